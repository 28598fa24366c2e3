"""What apps register with the timeline at start-up: the kinds of event they write (how to show them) and
the subscribers that react to them. Lower apps write events; higher apps subscribe (ARCHITECTURE.md)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class EventKind:
    kind: str
    label: str
    # A translatable sentence with %(placeholders)s filled from the event's data.
    summary: str
    icon: str = "dot"
    # Turns stored codes into words in the reader's language, at display time.
    prepare: Callable[[dict], dict] | None = None


@dataclass(frozen=True)
class Subscriber:
    name: str
    kinds: frozenset[str]
    handler: Callable


_kinds: dict[str, EventKind] = {}
_subscribers: dict[str, Subscriber] = {}


def kind_register(
    kind: str, *, label, summary, icon: str = "dot", prepare: Callable[[dict], dict] | None = None
) -> None:
    _kinds[kind] = EventKind(kind=kind, label=label, summary=summary, icon=icon, prepare=prepare)


def kind_get(kind: str) -> EventKind:
    return _kinds.get(kind) or EventKind(kind=kind, label=kind, summary=kind)


def subscribe(*, name: str, kinds: set[str] | frozenset[str], handler: Callable) -> None:
    """Register `handler(event)` for events of `kinds`. It runs inside a transaction, network-wide scoped,
    at most once per event (the delivery row is written in the same transaction), so it must not call out
    to the world directly: write an outbox row instead."""
    existing = _subscribers.get(name)
    if existing is not None and existing.handler is not handler:
        raise ValueError(f"Another subscriber is already registered as {name!r}.")
    _subscribers[name] = Subscriber(name=name, kinds=frozenset(kinds), handler=handler)


def subscribers_for(kind: str) -> list[Subscriber]:
    return [s for s in _subscribers.values() if kind in s.kinds]


def event_summary(event) -> str:
    info = kind_get(event.kind)
    data = dict(event.data or {})
    try:
        if info.prepare is not None:
            data = {**data, **info.prepare(data)}
        return str(info.summary) % data
    except (KeyError, TypeError, ValueError):
        return str(info.label)
