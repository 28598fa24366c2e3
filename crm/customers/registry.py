"""Steps that higher apps add to a customer merge, for their rows whose rules a plain repoint would break.

A merge (crm.customers.services.merge) repoints every foreign key to the merged customer onto the survivor.
Some rows cannot simply move: a club membership is one per customer, and two members' points are a ledger
that is never edited. The app that owns such rows registers a step from its `registrations` module: the
relations it moves itself, and a function run inside the merge's transaction (network-wide, both customers
locked) before the generic repoint. The step returns what it moved, for the merge's record; raising an
ApplicationError refuses the whole merge, leaving nothing half-done.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# (survivor_id, merged_id, by) -> {what: how many}
MergeRun = Callable[..., dict[str, int]]


@dataclass(frozen=True)
class MergeStep:
    key: str
    # The (model label in lower case, field name) relations to Customer this step moves itself.
    handles: frozenset[tuple[str, str]]
    run: MergeRun
    order: int = 100


_steps: dict[str, MergeStep] = {}


def merge_step_register(*steps: MergeStep) -> None:
    for step in steps:
        _steps[step.key] = step


def merge_steps() -> list[MergeStep]:
    return sorted(_steps.values(), key=lambda step: (step.order, step.key))


def handled_relations() -> set[tuple[str, str]]:
    return {relation for step in _steps.values() for relation in step.handles}


def merge_steps_run(*, survivor_id: int, merged_id: int, by: Any) -> dict[str, int]:
    moved: dict[str, int] = {}
    for step in merge_steps():
        moved.update(step.run(survivor_id=survivor_id, merged_id=merged_id, by=by))
    return moved
