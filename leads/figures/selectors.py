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
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    BigIntegerField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core import key_figures as kf
from crm.customers.models import ContactPoint, CustomerDealer, DuplicateCandidate
from crm.timeline.models import TimelineEvent
from leads import events, sla
from leads.models import (
    CALLBACK_REASONS,
    FUNNEL_STAGES,
    OPEN_STAGES,
    ContactAttempt,
    FollowUp,
    Lead,
    LeadType,
    LostVerdict,
    Order,
    Stage,
)


def _earlier_open_lead_of_same_customer() -> Exists:
    earlier = Q(arrived_at__lt=OuterRef("arrived_at")) | Q(arrived_at=OuterRef("arrived_at"), id__lt=OuterRef("id"))
    still_open = Q(closed_at__isnull=True) | Q(closed_at__gt=OuterRef("arrived_at"))
    return Exists(
        Lead.objects.filter(customer_id=OuterRef("customer_id"), dealer_id=OuterRef("dealer_id"))
        .filter(earlier)
        .filter(still_open)
    )


@dataclass(frozen=True)
class Basis:
    """What a selection counts, and the instant whose dealer-local day it counts on: leads on the day they
    arrived, follow-ups on the day they fall due, lost verdicts on the day they were proposed."""

    model: type
    day_field: str
    noun: Any  # what the drill-down banner counts ("leads", "follow-ups"…)


LEADS = Basis(Lead, "arrived_at", _("leads"))
FOLLOW_UPS = Basis(FollowUp, "due_at", _("follow-ups"))
VERDICTS = Basis(LostVerdict, "proposed_at", _("lost verdicts"))


def on_days(rows: QuerySet, basis: Basis, *, dealer_ids, first_day: date, last_day: date) -> QuerySet:
    """The rows of `rows` (a queryset of the basis' model) of the dealers' local days first_day…last_day,
    annotated with `local_day`; for leads, merged duplicates left out. `dealer_ids` None: every dealer."""
    rows = kf.on_local_days(rows, basis.day_field, dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)
    if basis is LEADS:
        rows = rows.exclude(_earlier_open_lead_of_same_customer())
    return rows


def cohort(leads: QuerySet[Lead], *, dealer_ids, first_day: date, last_day: date) -> QuerySet[Lead]:
    """The leads of `leads` that arrived on the dealers' local days first_day…last_day, merged duplicates left
    out, annotated with `local_day`. `dealer_ids` None: every dealer `leads` holds."""
    return on_days(leads, LEADS, dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)


# --- Selections ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    code: str
    label: Any  # what the lead list's drill-down banner says it lists
    narrow: Callable[[QuerySet], QuerySet]
    basis: Basis = LEADS


_selections: dict[str, Selection] = {}


def selection_add(code: str, label, narrow: Callable[[QuerySet], QuerySet], basis: Basis = LEADS) -> Selection:
    selection = Selection(code=code, label=label, narrow=narrow, basis=basis)
    _selections[code] = selection
    return selection


def selection_get(code: str) -> Selection | None:
    return _selections.get(code)


def selection_codes() -> list[str]:
    return sorted(_selections)


def selected(rows: QuerySet | None, code: str, *, dealer_ids, first_day: date, last_day: date) -> QuerySet:
    """The selection `code` over `rows` (a queryset of its basis' model; None: the whole table, as a measure
    reads it) on those local days."""
    selection = _selections[code]
    rows = selection.basis.model.objects.all() if rows is None else rows
    return selection.narrow(
        on_days(rows, selection.basis, dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)
    )


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


# Follow-ups by the day they fall due. A follow-up a new grade or the lead's closing replaced before it fell due
# was never owed; one still open past its due time, or done after it, was missed.
CADENCE_REASONS = (FollowUp.Reason.CADENCE, FollowUp.Reason.AFTER_VISIT, FollowUp.Reason.ORDERED)
_NOT_OWED = Q(closed_reason__in=(FollowUp.Closing.REPLACED, FollowUp.Closing.LEAD_CLOSED), done_at__lte=F("due_at"))
_DONE_ON_TIME = Q(closed_reason=FollowUp.Closing.CONTACTED, done_at__lte=F("due_at"))


def _owed(follow_ups, reasons):
    """Follow-ups of `reasons` that were owed and can be judged now: fallen due, or already done."""
    return (
        follow_ups.filter(reason__in=reasons)
        .exclude(_NOT_OWED)
        .filter(Q(due_at__lte=timezone.now()) | Q(closed_reason=FollowUp.Closing.CONTACTED))
    )


selection_add(
    "follow_ups_owed",
    _("Follow-ups due"),
    lambda rows: _owed(rows, CADENCE_REASONS),
    FOLLOW_UPS,
)
selection_add(
    "follow_ups_on_time",
    _("Follow-ups done on time"),
    lambda rows: _owed(rows, CADENCE_REASONS).filter(_DONE_ON_TIME),
    FOLLOW_UPS,
)
selection_add(
    "follow_ups_missed",
    _("Follow-ups late or missed"),
    lambda rows: _owed(rows, CADENCE_REASONS).exclude(_DONE_ON_TIME),
    FOLLOW_UPS,
)
selection_add(
    "overdue",
    _("Overdue follow-ups, still open"),
    lambda rows: rows.filter(done_at__isnull=True, due_at__lt=timezone.now()).filter(
        Q(lead__stage__in=OPEN_STAGES) | Q(reason__in=CALLBACK_REASONS)
    ),
    FOLLOW_UPS,
)
CALLBACK_LABELS = {
    FollowUp.Reason.DELIVERY_DAY_3: (_("Day-3 call-backs due"), _("Day-3 call-backs done")),
    FollowUp.Reason.DELIVERY_DAY_7: (_("Day-7 call-backs due"), _("Day-7 call-backs done")),
    FollowUp.Reason.DELIVERY_MONTH_1: (_("One-month call-backs due"), _("One-month call-backs done")),
}
selection_add("call_backs_owed", _("Sales call-backs due"), lambda rows: _owed(rows, CALLBACK_REASONS), FOLLOW_UPS)
selection_add(
    "call_backs_done",
    _("Sales call-backs done"),
    lambda rows: _owed(rows, CALLBACK_REASONS).filter(closed_reason=FollowUp.Closing.CONTACTED),
    FOLLOW_UPS,
)
for _reason, (_owed_label, _done_label) in CALLBACK_LABELS.items():
    selection_add(
        f"call_backs_owed_{_reason.value}", _owed_label, lambda rows, r=_reason: _owed(rows, (r,)), FOLLOW_UPS
    )
    selection_add(
        f"call_backs_done_{_reason.value}",
        _done_label,
        lambda rows, r=_reason: _owed(rows, (r,)).filter(closed_reason=FollowUp.Closing.CONTACTED),
        FOLLOW_UPS,
    )

# Lost verdicts by the day they were proposed: how long the manager took to decide.
selection_add(
    "verdicts_decided",
    _("Lost verdicts decided by a manager"),
    lambda rows: rows.filter(
        status__in=(LostVerdict.Status.APPROVED, LostVerdict.Status.RETURNED), decided_at__isnull=False
    ),
    VERDICTS,
)
selection_add(
    "verdicts_pending",
    _("Lost verdicts awaiting a manager"),
    lambda rows: rows.filter(status=LostVerdict.Status.PROPOSED),
    VERDICTS,
)

# The funnel: how far the cohort's leads got (a jump passes the stages it skipped), and how they ended.
REACHED_LABELS = {
    Stage.CONTACTED: _("Leads that reached contact"),
    Stage.VISITED: _("Leads that reached a showroom visit"),
    Stage.TEST_DRIVE: _("Leads that reached a test drive"),
    Stage.NEGOTIATION: _("Leads that reached negotiation"),
    Stage.ORDERED: _("Leads that reached an order"),
    Stage.DELIVERED: _("Leads that reached delivery"),
}
for _rank, _stage in enumerate(FUNNEL_STAGES):
    if _stage in REACHED_LABELS:
        selection_add(
            f"reached_{_stage.value}",
            REACHED_LABELS[_stage],
            lambda leads, stages=[st.value for st in FUNNEL_STAGES[_rank:]]: leads.filter(furthest_stage__in=stages),
        )
selection_add("lost", _("Leads lost"), lambda leads: leads.filter(stage=Stage.LOST))
selection_add("frozen", _("Leads frozen"), lambda leads: leads.filter(stage=Stage.FROZEN))


# Grade inflation: a lead graded H should buy within about a week; the share of H leads that ordered within 30
# days of their first H grade shows whether a dealer's H means anything.
def _graded_h(leads):
    first_h = Subquery(
        TimelineEvent.objects.filter(dealer_id=OuterRef("dealer_id"), kind=events.LEAD_GRADED, data__grade="H")
        .annotate(lead_id=Cast(KT("data__lead"), BigIntegerField()))
        .filter(lead_id=OuterRef("id"))
        .order_by("occurred_at", "id")
        .values("occurred_at")[:1]
    )
    return leads.annotate(first_h_at=first_h).filter(first_h_at__isnull=False)


def _ordered_within_30_days_of_h(leads):
    deadline = ExpressionWrapper(OuterRef("first_h_at") + timedelta(days=30), output_field=DateTimeField())
    return _graded_h(leads).filter(
        Exists(Order.objects.filter(lead_id=OuterRef("id"), ordered_at__isnull=False, ordered_at__lte=deadline))
    )


selection_add("graded_h", _("Leads graded H"), _graded_h)
selection_add("graded_h_ordered", _("Leads graded H that ordered within 30 days"), _ordered_within_30_days_of_h)

# Data quality of the cohort. A possible duplicate counts only when the dealer knows both customers, so the
# figure reveals nothing of other dealers' customers and equals the rows the dealer may list.
selection_add(
    "valid_phone",
    _("Leads with a valid phone number"),
    lambda leads: leads.filter(
        Exists(
            ContactPoint.objects.filter(
                customer_id=OuterRef("customer_id"), kind=ContactPoint.Kind.PHONE, is_invalid=False
            )
        )
    ),
)
selection_add("source_filled", _("Leads with a source"), lambda leads: leads.filter(source__isnull=False))


def _possible_duplicates(leads):
    known_here = CustomerDealer.objects.filter(dealer_id=OuterRef(OuterRef("dealer_id")))
    flagged = DuplicateCandidate.objects.filter(
        status__in=(DuplicateCandidate.Status.OPEN, DuplicateCandidate.Status.MERGED)
    ).filter(
        Q(customer_id=OuterRef("customer_id"), other_id__in=known_here.values("customer_id"))
        | Q(other_id=OuterRef("customer_id"), customer_id__in=known_here.values("customer_id"))
    )
    return leads.filter(Exists(flagged))


selection_add("possible_duplicate", _("Leads of a possible duplicate customer"), _possible_duplicates)


# --- Measures: counts and values per dealer and local day, from the raw rows -----------------------------------


def count_of(code: str):
    """A measure's compute: how many leads of the selection, per dealer and local day."""

    def compute(*, dealer_ids, first_day: date, last_day: date):
        rows = (
            selected(None, code, dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)
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
            selected(None, code, dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)
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

    compute.per_owner = values_by_owner(code, value, *fields)
    return compute


def _owner_field(code: str) -> str:
    """Whose a row of the selection is: a lead's owner, or the owner of the lead a follow-up or verdict is on
    (the lead list's `owner` filter narrows by the same field, so a person's number and rows agree)."""
    return "owner_id" if _selections[code].basis is LEADS else "lead__owner_id"


def count_by_owner(code: str):
    """A measure's person dimension: how many rows of the selection per salesperson, for one dealer × period."""

    def compute(*, dealer_id: int, first_day: date, last_day: date):
        owner = _owner_field(code)
        rows = selected(None, code, dealer_ids=[dealer_id], first_day=first_day, last_day=last_day)
        return list(rows.order_by().values(owner).annotate(n=Count("id")).values_list(owner, "n"))

    return compute


def values_by_owner(code: str, value: Callable[[dict], float | None], *fields: str):
    """A measure's person dimension: the values of the selection's rows per salesperson (None: no value)."""

    def compute(*, dealer_id: int, first_day: date, last_day: date):
        owner = _owner_field(code)
        rows = (
            selected(None, code, dealer_ids=[dealer_id], first_day=first_day, last_day=last_day)
            .order_by("id")
            .values(owner, "local_day", "dealer__business_hours", "dealer__time_zone", *fields)
        )
        collected: dict[int | None, list[float]] = {}
        for row in rows:
            number = value(row)
            collected.setdefault(row[owner], [])
            if number is not None:
                collected[row[owner]].append(number)
        return list(collected.items())

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


@dataclass(frozen=True)
class FigureRows:
    leads: QuerySet[Lead]
    label: Any
    count: int  # how many rows the figure counts: leads, or follow-ups / verdicts on these leads
    noun: Any
    counts_leads: bool
    dealer: Any
    first_day: date
    last_day: date


def figure_rows_for_user(
    *, user, rows: str, dealer=None, day_from: date, day_to: date, owner: int | None = None
) -> FigureRows:
    """The lead list's drill-down: the user's leads behind a figure, and how many rows it counts (the same
    selection over the same local days, within the user's leads: a dealer outside the user's scope selects
    nothing). A follow-up or verdict figure lists the leads they belong to, and says how many it counts.
    `owner`: one salesperson's share of it (their leads; the figure's person dimension counts the same)."""
    from leads.selectors import leads_for_user

    selection = _selections[rows]
    scoped = leads_for_user(user=user)
    if owner is not None:
        scoped = scoped.filter(owner_id=owner)
    dealer_ids = None if dealer is None else [dealer.id]
    if selection.basis is LEADS:
        leads = selected(scoped, rows, dealer_ids=dealer_ids, first_day=day_from, last_day=day_to)
        count = leads.order_by().count()
    else:
        counted = selected(
            selection.basis.model.objects.filter(lead_id__in=scoped.order_by().values("id")),
            rows,
            dealer_ids=dealer_ids,
            first_day=day_from,
            last_day=day_to,
        )
        leads = scoped.filter(id__in=counted.order_by().values("lead_id"))
        count = counted.order_by().count()
    return FigureRows(
        leads=leads,
        label=selection.label,
        count=count,
        noun=selection.basis.noun,
        counts_leads=selection.basis is LEADS,
        dealer=dealer,
        first_day=day_from,
        last_day=day_to,
    )


# --- Which dealer × day cells an event may have changed -----------------------------------------------------------


def lead_cells(event) -> set[tuple[int, date]]:
    """The dealer-local days a lead event can move a measure on: the lead's arrival day, the due days of its
    follow-ups, the days its lost verdicts were proposed. A customer merge: those of every lead of the survivor
    (a duplicate now counts once). The caller reads network-wide."""
    lead_ids = []
    if isinstance(event.data, dict) and str(event.data.get("lead", "")).isdigit():
        lead_ids = [int(event.data["lead"])]
    elif event.customer_id is not None:
        lead_ids = list(Lead.objects.filter(customer_id=event.customer_id).values_list("id", flat=True))
    if not lead_ids:
        return set()
    cells: set[tuple[int, date]] = set()
    for basis, lead_field in ((LEADS, "id"), (FOLLOW_UPS, "lead_id"), (VERDICTS, "lead_id")):
        cells.update(
            basis.model.objects.filter(**{f"{lead_field}__in": lead_ids})
            .annotate(local_day=kf.LocalDay(basis.day_field))
            .values_list("dealer_id", "local_day")
            .distinct()
        )
    return cells


def day_number(name: str) -> Callable[[dict], int]:
    """A date as its day number (date.toordinal), so a VALUES measure can hold it."""
    return lambda row: row[name].toordinal()
