"""The leads every funnel figure counts, as named selections over one cohort, and the measures computed from them.

The cohort of a dealer's local day is the leads that *arrived* on that day in the dealer's own time zone (a lead
that arrived at 23:30 in Shanghai counts on that Shanghai day), less merged duplicates: a lead counts once, so a
lead that arrived while an earlier lead of the same customer at the same dealer was still open is the same
buying intent recorded twice (two customer records merged later) and is left out. Every selection narrows that
cohort; a measure counts a selection per dealer and day (or collects one value per lead of it), and the lead
list's drill-down applies the very same selection to the user's scoped leads: one query, so the number and the
rows cannot disagree.

Business minutes are the first-response clock's (`leads.sla`), read from the lead where the contact service
stored them, or computed by the same module.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    BigIntegerField,
    Count,
    DateField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from crm.timeline.models import TimelineEvent
from leads import events, sla
from leads.models import ContactAttempt, Lead, LeadType

# The widest gap between UTC and a local clock (Kiribati, +14): an index range on arrived_at this much wider
# than the local days holds every lead of those days.
_WIDEST_OFFSET = timedelta(days=1)


class LocalDay(Func):
    """The dealer-local date of an instant: (instant AT TIME ZONE dealer's zone)::date."""

    template = "(timezone(%(expressions)s))::date"
    output_field = DateField()

    def __init__(self, instant, zone="dealer__time_zone"):
        super().__init__(F(zone), F(instant))


def _earlier_open_lead_of_same_customer() -> Exists:
    earlier = Q(arrived_at__lt=OuterRef("arrived_at")) | Q(arrived_at=OuterRef("arrived_at"), id__lt=OuterRef("id"))
    still_open = Q(closed_at__isnull=True) | Q(closed_at__gt=OuterRef("arrived_at"))
    return Exists(
        Lead.objects.filter(customer_id=OuterRef("customer_id"), dealer_id=OuterRef("dealer_id"))
        .filter(earlier)
        .filter(still_open)
    )


def cohort(leads: QuerySet[Lead], *, dealer_ids, first_day: date, last_day: date) -> QuerySet[Lead]:
    """The leads of `leads` that arrived on the dealers' local days first_day…last_day, merged duplicates left
    out, annotated with `local_day`. `dealer_ids` None: every dealer `leads` holds."""
    start = datetime.combine(first_day, time.min, tzinfo=UTC) - _WIDEST_OFFSET
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC) + _WIDEST_OFFSET
    leads = leads.filter(arrived_at__gte=start, arrived_at__lt=end)
    if dealer_ids is not None:
        leads = leads.filter(dealer_id__in=list(dealer_ids))
    return (
        leads.annotate(local_day=LocalDay("arrived_at"))
        .filter(local_day__gte=first_day, local_day__lte=last_day)
        .exclude(_earlier_open_lead_of_same_customer())
    )


# --- Selections ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    code: str
    label: Any  # what the lead list's drill-down banner says it lists
    narrow: Callable[[QuerySet[Lead]], QuerySet[Lead]]


_selections: dict[str, Selection] = {}


def selection_add(code: str, label, narrow: Callable[[QuerySet[Lead]], QuerySet[Lead]]) -> Selection:
    selection = Selection(code=code, label=label, narrow=narrow)
    _selections[code] = selection
    return selection


def selection_get(code: str) -> Selection | None:
    return _selections.get(code)


def selection_codes() -> list[str]:
    return sorted(_selections)


def selected(
    leads: QuerySet[Lead], code: str, *, dealer_ids, first_day: date, last_day: date
) -> QuerySet[Lead]:
    """The selection `code` over the cohort of `leads` (the raw table for a measure, a user's scoped leads for
    the drill-down list)."""
    return _selections[code].narrow(cohort(leads, dealer_ids=dealer_ids, first_day=first_day, last_day=last_day))


def _first_attempt(field: str) -> Subquery:
    """A field of the lead's first contact attempt (by the time it claims, then the order it was logged)."""
    return Subquery(ContactAttempt.objects.filter(lead_id=OuterRef("id")).order_by("at", "id").values(field)[:1])


def _clocked(leads):
    return leads.filter(sla_due_at__isnull=False)


def _first_contacted(leads):
    return _clocked(leads).filter(first_contact_at__isnull=False).annotate(
        first_is_verified=_first_attempt("is_verified"), first_is_backdated=_first_attempt("is_backdated")
    )


def _decided_at() -> Subquery:
    """When the dealer accepted or rejected an issued lead: its acceptance event (the lead keeps no time)."""
    return Subquery(
        TimelineEvent.objects.filter(dealer_id=OuterRef("dealer_id"), kind=events.LEAD_ACCEPTANCE)
        .annotate(lead_id=Cast(KT("data__lead"), BigIntegerField()))
        .filter(lead_id=OuterRef("id"))
        .order_by("occurred_at", "id")
        .values("occurred_at")[:1]
    )


ISSUED = ~Q(acceptance=Lead.Acceptance.NOT_ISSUED)
FIRST_RESPONSE_LIMITS = (5, 30, 24 * 60)  # business minutes

RECEIVED = selection_add("received", _("Leads received"), lambda leads: leads)
for _type in LeadType:
    selection_add(
        f"received_{_type.value}",
        _type.label,
        lambda leads, lead_type=_type.value: leads.filter(type=lead_type),
    )
selection_add("clocked", _("Leads with a first-response clock"), _clocked)
selection_add(
    "responded",
    _("Leads with a first contact"),
    lambda leads: _clocked(leads).filter(first_response_minutes__isnull=False),
)
_WITHIN_LABELS = {
    5: _("First contact within 5 business minutes"),
    30: _("First contact within 30 business minutes"),
    24 * 60: _("First contact within 24 business hours"),
}
for _limit in FIRST_RESPONSE_LIMITS:
    selection_add(
        f"within_{_limit}",
        _WITHIN_LABELS[_limit],
        lambda leads, limit=_limit: _clocked(leads).filter(first_response_minutes__lte=limit),
    )
selection_add(
    "within_sla",
    _("First contact by the SLA's due time"),
    lambda leads: _clocked(leads).filter(first_contact_at__isnull=False, first_contact_at__lte=F("sla_due_at")),
)
selection_add(
    "never_contacted",
    _("Never contacted"),
    lambda leads: _clocked(leads).filter(first_contact_at__isnull=True),
)
selection_add("first_contacted", _("Leads with a first contact attempt"), _first_contacted)
selection_add(
    "first_verified",
    _("First contact verified (witnessed by the system)"),
    lambda leads: _first_contacted(leads).filter(first_is_verified=True),
)
selection_add(
    "first_claimed",
    _("First contact only claimed"),
    lambda leads: _first_contacted(leads).filter(first_is_verified=False),
)
selection_add(
    "first_backdated",
    _("First contact back-dated"),
    lambda leads: _first_contacted(leads).filter(first_is_backdated=True),
)
selection_add("issued", _("Issued by the OEM"), lambda leads: leads.filter(ISSUED))
selection_add(
    "issued_accepted",
    _("Issued by the OEM and accepted"),
    lambda leads: leads.filter(acceptance=Lead.Acceptance.ACCEPTED),
)
selection_add(
    "issued_rejected",
    _("Issued by the OEM and rejected"),
    lambda leads: leads.filter(acceptance=Lead.Acceptance.REJECTED),
)
selection_add(
    "issued_pending",
    _("Issued by the OEM, still awaiting acceptance"),
    lambda leads: leads.filter(acceptance=Lead.Acceptance.PENDING),
)
selection_add(
    "issued_decided",
    _("Issued by the OEM and accepted or rejected"),
    lambda leads: leads.filter(acceptance__in=[Lead.Acceptance.ACCEPTED, Lead.Acceptance.REJECTED])
    .annotate(decided_at=_decided_at())
    .filter(decided_at__isnull=False),
)


# --- Measures: counts and values per dealer and local day, from the raw rows -----------------------------------


def count_of(code: str):
    """A measure's compute: how many leads of the selection, per dealer and local day."""

    def compute(*, dealer_ids, first_day: date, last_day: date):
        rows = (
            selected(Lead.objects.all(), code, dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)
            .order_by()
            .values("dealer_id", "local_day")
            .annotate(n=Count("id"))
            .values_list("dealer_id", "local_day", "n")
        )
        return list(rows)

    return compute


def values_of(code: str, value: Callable[[dict], float | None], *fields: str):
    """A measure's compute: one value per lead of the selection (None: the lead has none), per dealer and day.
    `value` gets each lead's `fields` (and its dealer's business hours and zone) as a dict."""

    def compute(*, dealer_ids, first_day: date, last_day: date):
        rows = (
            selected(Lead.objects.all(), code, dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)
            .order_by("dealer_id", "local_day", "id")
            .values("dealer_id", "local_day", "dealer__business_hours", "dealer__time_zone", *fields)
        )
        collected: dict[tuple[int, date], list[float]] = defaultdict(list)
        for row in rows:
            number = value(row)
            key = (row["dealer_id"], row["local_day"])
            collected.setdefault(key, [])
            if number is not None:
                collected[key].append(number)
        return [(dealer_id, day, numbers) for (dealer_id, day), numbers in collected.items()]

    return compute


def business_minutes(start_field: str, end_field: str) -> Callable[[dict], int | None]:
    """The dealer's business minutes between two instants of the lead (leads.sla: its hours, its zone)."""

    def value(row: dict) -> int | None:
        start, end = row[start_field], row[end_field]
        if start is None or end is None:
            return None
        return sla.business_minutes_between(
            start, end, business_hours=row["dealer__business_hours"], time_zone=row["dealer__time_zone"]
        )

    return value


def field_value(name: str) -> Callable[[dict], Any]:
    return lambda row: row[name]


# --- The drill-down: a selection applied to the user's leads ----------------------------------------------------


def figure_rows(leads: QuerySet[Lead], *, code: str, dealer_id: int | None, first_day: date, last_day: date):
    """The leads of `leads` (already the user's scope) behind a figure: the selection `code` of the dealer (or
    every dealer in scope) over the local days. Exactly the rows its measure counts."""
    return selected(
        leads,
        code,
        dealer_ids=None if dealer_id is None else [dealer_id],
        first_day=first_day,
        last_day=last_day,
    )


@dataclass(frozen=True)
class FigureRows:
    leads: QuerySet[Lead]
    label: Any
    count: int
    dealer: Any
    first_day: date
    last_day: date


def figure_rows_for_user(*, user, rows: str, dealer=None, day_from: date, day_to: date) -> FigureRows:
    """The lead list's drill-down: the user's leads behind a figure, and how many they are (the figure's count:
    the same selection over the same days; a dealer outside the user's scope selects nothing)."""
    from leads.selectors import leads_for_user

    leads = figure_rows(
        leads_for_user(user=user),
        code=rows,
        dealer_id=dealer.id if dealer is not None else None,
        first_day=day_from,
        last_day=day_to,
    )
    return FigureRows(
        leads=leads,
        label=_selections[rows].label,
        count=leads.order_by().count(),
        dealer=dealer,
        first_day=day_from,
        last_day=day_to,
    )
