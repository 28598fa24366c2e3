"""The places higher apps fill from `AppConfig.ready()`, so messaging serves them without importing them.

- Segment filters: a form field plus how it narrows a Customer queryset (the core registers those on the
  customer record in selectors/segments.py; leads registers lead grade and stage).
- Placeholder values: a provider adds values for a batch of recipients (leads: the customer's salesperson).
- Care occasions: which customers have an occasion on a day (the core: birthdays, purchase anniversaries;
  later maintenance due, insurance renewal, survey invitations).
- Due now: what a staff member has overdue right now (leads: overdue follow-ups), shown on the
  notifications page and counted on the bell whether or not a reminder was ever sent.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.messaging.exceptions import SegmentFilterInvalid

# Segment filters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentFilter:
    key: str
    label: str
    field: Callable[[], forms.Field]
    # (customers, JSON value, dealer id of the segment or None for the network) → customers
    apply: Callable[[QuerySet, object, int | None], QuerySet]
    group: str = "customer"
    order: int = 100


_segment_filters: dict[str, SegmentFilter] = {}


def segment_filter_register(segment_filter: SegmentFilter) -> None:
    _segment_filters[segment_filter.key] = segment_filter


def segment_filters() -> list[SegmentFilter]:
    return sorted(_segment_filters.values(), key=lambda f: (f.order, f.key))


def segment_filter_get(key: str) -> SegmentFilter:
    try:
        return _segment_filters[key]
    except KeyError:
        raise SegmentFilterInvalid(_("Unknown segment filter: %(key)s") % {"key": key}) from None


# Placeholder values -------------------------------------------------------------------------------------

# (customer ids, dealer id by customer id) → {customer id: {"salesperson.name": "…", …}}
ContextProvider = Callable[[list[int], dict[int, int | None]], dict[int, dict[str, str]]]
_context_providers: list[ContextProvider] = []


def context_provider_register(provider: ContextProvider) -> None:
    if provider not in _context_providers:
        _context_providers.append(provider)


def context_providers() -> list[ContextProvider]:
    return list(_context_providers)


# Care occasions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occasion:
    """What one care message is about. `key` replaces the day in the message's idempotency key, so an
    occasion that stays due for several days (a vehicle's service due within two weeks) is messaged once;
    `on` is the occasion's own date ({{ occasion.date }}), not the day it was noticed."""

    key: str
    on: date | None = None


@dataclass(frozen=True)
class CareTrigger:
    key: str
    label: str
    # (day, dealer id or None) → customers whose occasion is that day
    due: Callable[[date, int | None], QuerySet]
    # (customer ids, day, dealer id or None) → {customer id: Occasion}; None: one occasion per customer and day.
    occasions: Callable[[list[int], date, int | None], dict[int, Occasion]] | None = None
    # The consent purpose its messages go under whatever the template says (service reminders: "service").
    purpose: str | None = None


_care_triggers: dict[str, CareTrigger] = {}


def care_trigger_register(trigger: CareTrigger) -> None:
    _care_triggers[trigger.key] = trigger


def care_triggers() -> list[CareTrigger]:
    return list(_care_triggers.values())


def care_trigger_get(key: str) -> CareTrigger | None:
    return _care_triggers.get(key)


# Due now ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    title: str
    link: str
    due_at: datetime
    detail: str = ""


@dataclass(frozen=True)
class DueSource:
    """Something a staff member has overdue now. `count(user, cap)` counts at most `cap` (the bell polls
    it every minute, so it must stay an index range); `items(user, limit)` lists the oldest first."""

    key: str
    label: str
    count: Callable[[object, int], int]
    items: Callable[[object, int], list[DueItem]]
    icon: str = "alarm"


_due_sources: dict[str, DueSource] = {}


def due_source_register(source: DueSource) -> None:
    _due_sources[source.key] = source


def due_sources() -> list[DueSource]:
    return list(_due_sources.values())


# --- Outcome watchers: the message kinds whose delivery outcome an app wants to hear of ----------------------
# A delivery receipt (delivered or failed) of a message of a watched kind writes a timeline event
# (events.MESSAGE_DELIVERED / MESSAGE_FAILED) in the receipt's transaction; other kinds (campaigns, care
# messages, staff reminders) write none, so the timeline is not flooded with receipts.
_watched_kinds: set[str] = set()


def outcome_watch_register(kind: str) -> None:
    _watched_kinds.add(kind)


def is_outcome_watched(kind: str) -> bool:
    return kind in _watched_kinds
