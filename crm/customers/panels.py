"""Panels that higher apps add to the customer page: service history, membership, open complaints.

The customer record knows no higher app. Each app registers its panels from its `registrations` module: a
template and a function that builds the panel's context for this viewer and this customer, or answers None
when the viewer may not see it or there is nothing to say (the panel is then left out). Panels render in
`order` within their column: "main" beside the vehicles and timeline, "side" under the details.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Column = Literal["main", "side"]
# (request, customer) -> the panel's context, or None to leave the panel out.
PanelContext = Callable[[Any, Any], dict | None]


@dataclass(frozen=True)
class CustomerPanel:
    key: str
    order: int
    column: Column
    template: str
    context: PanelContext


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    template: str
    context: dict


_panels: dict[str, CustomerPanel] = {}


def panel_register(*panels: CustomerPanel) -> None:
    for panel in panels:
        if panel.column not in ("main", "side"):
            raise ValueError(f"panel {panel.key!r}: unknown column {panel.column!r}")
        _panels[panel.key] = panel


def panel_unregister(key: str) -> None:
    """For tests that register a panel of their own."""
    _panels.pop(key, None)


def panels_for(request, customer, *, column: Column) -> list[RenderedPanel]:
    rendered = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        if panel.column != column:
            continue
        context = panel.context(request, customer)
        if context is not None:
            rendered.append(RenderedPanel(key=panel.key, template=panel.template, context=context))
    return rendered
