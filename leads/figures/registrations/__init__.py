"""The funnel's measures and key figures, registered with the core's KPI registry (crm.core.key_figures) from
leads.registrations. Each figure's rows URL opens the lead list on exactly the leads its number counts (the
selection of leads.figures.selectors its measure counts)."""

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from statistics import median
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm.core import key_figures as kf
from crm.customers import events as customer_events
from leads import events
from leads.figures import selectors as s
from leads.figures.registrations import follow_through
from leads.models import LeadType

# --- Which events may change a lead measure ----------------------------------------------------------------------

ARRIVAL = (events.LEAD_CREATED, customer_events.CUSTOMER_MERGED)
# A text logged as sent becomes verified when its delivery receipt arrives (lead.contact_verified).
CONTACT = (*ARRIVAL, events.LEAD_CONTACTED, events.LEAD_CONTACT_VERIFIED)
ACCEPTANCE = (*ARRIVAL, events.LEAD_ISSUED, events.LEAD_ACCEPTANCE)
# Follow-ups open, close and move with contacts, grades, visits, stage moves and closings.
FOLLOW_UP = (
    *ARRIVAL,
    events.LEAD_CONTACTED,
    events.LEAD_GRADED,
    events.LEAD_VISITED,
    events.LEAD_STAGE_CHANGED,
    events.LEAD_ASSIGNED,
    events.LEAD_DELIVERED,
    events.LEAD_LOST_DECIDED,
    events.LEAD_ACCEPTANCE,
)
FUNNEL = (
    *ARRIVAL,
    events.LEAD_STAGE_CHANGED,
    events.LEAD_ORDERED,
    events.LEAD_DELIVERED,
    events.LEAD_LOST_DECIDED,
    events.LEAD_ACCEPTANCE,
)
GRADING = (*ARRIVAL, events.LEAD_GRADED, events.LEAD_ORDERED)
VERDICT = (events.LEAD_LOST_PROPOSED, events.LEAD_LOST_DECIDED)
# Contact points and duplicate flags change in the customer record (the core), which writes no event for them:
# the nightly re-derivation of recent days picks those up.
QUALITY = (*ARRIVAL, events.LEAD_CONTACTED, events.LEAD_TOUCHED)


def rows_url(code: str) -> kf.RowsUrl:
    """The lead list on the selection `code` of a dealer (or every dealer the reader sees) and local days."""

    def url(dealer_id: int | None, first_day: date, last_day: date, *, person_id: int | None = None) -> str:
        params: dict[str, Any] = {"rows": code, "day_from": first_day.isoformat(), "day_to": last_day.isoformat()}
        if dealer_id is not None:
            params["dealer"] = dealer_id
        if person_id is not None:
            params["owner"] = person_id
        return f"{reverse('leads:list')}?{urlencode(params)}"

    return url


def share_of_values_at_most(values: str, limit: float, denominator: str) -> kf.Combine:
    """The percentage of `denominator` whose value in `values` is at or under `limit` (leads never contacted
    have no value and count against the share)."""

    def combine(totals: Mapping[str, Any]) -> kf.FigureValue:
        within = sum(1 for value in totals[values] if value <= limit)
        bottom = totals[denominator]
        if not bottom:
            return kf.FigureValue(None, within, bottom)
        return kf.FigureValue(within / bottom * 100, within, bottom)

    return combine


def _count(code: str, selection: str, changed_by) -> kf.Measure:
    return kf.Measure(
        code,
        kf.MeasureKind.COUNT,
        s.count_of(selection),
        changed_by=tuple(changed_by),
        cells=s.lead_cells,
        per_person=s.count_by_owner(selection),
    )


def _values(code: str, compute, changed_by) -> kf.Measure:
    return kf.Measure(
        code,
        kf.MeasureKind.VALUES,
        compute,
        changed_by=tuple(changed_by),
        cells=s.lead_cells,
        per_person=getattr(compute, "per_owner", None),
    )


REACHED = ("contacted", "visited", "test_drive", "negotiation", "ordered", "delivered")

# --- Measures -----------------------------------------------------------------------------------------------------

MEASURES = [
    _count("leads.received", "received", ARRIVAL),
    *[_count(f"leads.received.{t.value}", f"received_{t.value}", ARRIVAL) for t in LeadType],
    _count("leads.clocked", "clocked", ARRIVAL),
    _values(
        "leads.first_response_minutes",
        s.values_of("responded", s.field_value("first_response_minutes"), "first_response_minutes"),
        CONTACT,
    ),
    _count("leads.within_sla", "within_sla", CONTACT),
    _count("leads.never_contacted", "never_contacted", CONTACT),
    _count("leads.first_contacted", "first_contacted", CONTACT),
    _count("leads.first_verified", "first_verified", CONTACT),
    _count("leads.first_claimed", "first_claimed", CONTACT),
    _count("leads.first_backdated", "first_backdated", CONTACT),
    _count("leads.issued", "issued", ACCEPTANCE),
    _count("leads.issued_accepted", "issued_accepted", ACCEPTANCE),
    _count("leads.issued_rejected", "issued_rejected", ACCEPTANCE),
    _count("leads.issued_pending", "issued_pending", ACCEPTANCE),
    _values(
        "leads.issued_decide_minutes",
        s.values_of("issued_decided", s.business_minutes("arrived_at", "decided_at"), "arrived_at", "decided_at"),
        ACCEPTANCE,
    ),
    _count("leads.follow_ups_owed", "follow_ups_owed", FOLLOW_UP),
    _count("leads.follow_ups_on_time", "follow_ups_on_time", FOLLOW_UP),
    _count("leads.overdue", "overdue", FOLLOW_UP),
    _values("leads.overdue_due_days", s.values_of("overdue", s.day_number("local_day"), "local_day"), FOLLOW_UP),
    _count("leads.call_backs_owed", "call_backs_owed", FOLLOW_UP),
    _count("leads.call_backs_done", "call_backs_done", FOLLOW_UP),
    *[
        _count(f"leads.{kind}.{reason.value}", f"{kind}_{reason.value}", FOLLOW_UP)
        for reason in s.CALLBACK_LABELS
        for kind in ("call_backs_owed", "call_backs_done")
    ],
    *[_count(f"leads.reached.{stage}", f"reached_{stage}", FUNNEL) for stage in REACHED],
    _count("leads.lost", "lost", FUNNEL),
    _count("leads.frozen", "frozen", FUNNEL),
    _count("leads.graded_h", "graded_h", GRADING),
    _count("leads.graded_h_ordered", "graded_h_ordered", GRADING),
    _count("leads.valid_phone", "valid_phone", QUALITY),
    _count("leads.source_filled", "source_filled", QUALITY),
    _count("leads.possible_duplicate", "possible_duplicate", QUALITY),
    _values(
        "leads.verdict_decide_minutes",
        s.values_of("verdicts_decided", s.business_minutes("proposed_at", "decided_at"), "proposed_at", "decided_at"),
        VERDICT,
    ),
    _count("leads.verdicts_pending", "verdicts_pending", VERDICT),
]

# --- Figures ------------------------------------------------------------------------------------------------------

_TYPE_LABELS = {
    LeadType.WALK_IN: _("Walk-in leads received"),
    LeadType.PHONE: _("Phone leads received"),
    LeadType.INTERNET: _("Internet leads received"),
    LeadType.REFERRAL: _("Referral leads received"),
    LeadType.SERVICE: _("Service-customer leads received"),
    LeadType.PREVIOUS_CUSTOMER: _("Previous-customer leads received"),
}

COHORT = _(
    "Leads are counted on the day they arrived, in the dealer's own time zone; a lead merged as a duplicate of "
    "one still open counts once."
)
CLOCK = _(
    "First response is counted in business minutes: only while the dealer is open, by its business hours and "
    "time zone, from the lead's arrival to its first contact attempt. Leads whose source has no first-response "
    "SLA (walk-ins) are not clocked."
)
VERIFIED = _(
    "A contact is verified when the system witnessed it (a message it sent and the gateway delivered, an inbound "
    "reply, a call placed through it); anything else is only claimed."
)


def _definition(*parts) -> Any:
    return format_lazy("{}" + " {}" * (len(parts) - 1), *parts)


FIGURES = [
    kf.KeyFigure(
        code="leads.received",
        owner="leads",
        label=_("Leads received"),
        unit=kf.Unit.COUNT,
        higher_is_better=True,
        definition=_definition(_("Every lead that reached the dealer, of every type and source."), COHORT),
        measures=("leads.received",),
        combine=kf.total_of("leads.received"),
        group="intake",
        order=10,
        rows_url=rows_url("received"),
        is_scorable=False,
        tags=frozenset({"volume"}),
    ),
    *[
        kf.KeyFigure(
            code=f"leads.received.{lead_type.value}",
            owner="leads",
            label=_TYPE_LABELS[lead_type],
            unit=kf.Unit.COUNT,
            higher_is_better=True,
            definition=_definition(_("The leads received of this type."), COHORT),
            measures=(f"leads.received.{lead_type.value}",),
            combine=kf.total_of(f"leads.received.{lead_type.value}"),
            group="intake",
            order=11 + index,
            rows_url=rows_url(f"received_{lead_type.value}"),
            is_scorable=False,
            tags=frozenset({"volume", "by_type"}),
        )
        for index, lead_type in enumerate(LeadType)
    ],
    kf.KeyFigure(
        code="leads.first_response_median",
        owner="leads",
        label=_("Median first response"),
        unit=kf.Unit.MINUTES,
        higher_is_better=False,
        definition=_definition(
            _("The median business minutes to the first contact attempt, over the clocked leads contacted."),
            CLOCK,
            COHORT,
        ),
        measures=("leads.first_response_minutes",),
        combine=kf.median_of("leads.first_response_minutes"),
        group="response",
        order=10,
        rows_url=rows_url("responded"),
    ),
    kf.KeyFigure(
        code="leads.first_response_p90",
        owner="leads",
        label=_("First response, 90th percentile"),
        unit=kf.Unit.MINUTES,
        higher_is_better=False,
        definition=_definition(
            _("Nine in ten contacted leads had their first contact attempt within this many business minutes."),
            CLOCK,
            COHORT,
        ),
        measures=("leads.first_response_minutes",),
        combine=kf.percentile_of("leads.first_response_minutes", 90),
        group="response",
        order=11,
        rows_url=rows_url("responded"),
    ),
    kf.KeyFigure(
        code="leads.first_response_within_5",
        owner="leads",
        label=_("First response within 5 minutes"),
        unit=kf.Unit.PERCENT,
        higher_is_better=True,
        definition=_definition(
            _("The share of clocked leads first contacted within 5 business minutes (never contacted: not within)."),
            CLOCK,
            COHORT,
        ),
        measures=("leads.first_response_minutes", "leads.clocked"),
        combine=share_of_values_at_most("leads.first_response_minutes", 5, "leads.clocked"),
        group="response",
        order=20,
        rows_url=rows_url("within_5"),
    ),
    kf.KeyFigure(
        code="leads.first_response_within_30",
        owner="leads",
        label=_("First response within 30 minutes"),
        unit=kf.Unit.PERCENT,
        higher_is_better=True,
        definition=_definition(
            _("The share of clocked leads first contacted within 30 business minutes (never contacted: not within)."),
            CLOCK,
            COHORT,
        ),
        measures=("leads.first_response_minutes", "leads.clocked"),
        combine=share_of_values_at_most("leads.first_response_minutes", 30, "leads.clocked"),
        group="response",
        order=21,
        rows_url=rows_url("within_30"),
    ),
    kf.KeyFigure(
        code="leads.first_response_within_sla",
        owner="leads",
        label=_("First response within the SLA"),
        unit=kf.Unit.PERCENT,
        higher_is_better=True,
        definition=_definition(
            _("The share of clocked leads first contacted by their first-response due time."), CLOCK, COHORT
        ),
        measures=("leads.within_sla", "leads.clocked"),
        combine=kf.ratio("leads.within_sla", "leads.clocked"),
        group="response",
        order=22,
        rows_url=rows_url("within_sla"),
    ),
    kf.KeyFigure(
        code="leads.first_response_within_24h",
        owner="leads",
        label=_("First response within 24 business hours"),
        unit=kf.Unit.PERCENT,
        higher_is_better=True,
        definition=_definition(
            _("The share of clocked leads first contacted within 1,440 business minutes (never contacted: not within)."),
            CLOCK,
            COHORT,
        ),
        measures=("leads.first_response_minutes", "leads.clocked"),
        combine=share_of_values_at_most("leads.first_response_minutes", 24 * 60, "leads.clocked"),
        group="response",
        order=23,
        rows_url=rows_url("within_1440"),
    ),
    kf.KeyFigure(
        code="leads.never_contacted",
        owner="leads",
        label=_("Never contacted"),
        unit=kf.Unit.PERCENT,
        higher_is_better=False,
        definition=_definition(
            _("The share of clocked leads with no contact attempt logged yet."), CLOCK, COHORT
        ),
        measures=("leads.never_contacted", "leads.clocked"),
        combine=kf.ratio("leads.never_contacted", "leads.clocked"),
        group="response",
        order=30,
        rows_url=rows_url("never_contacted"),
    ),
    kf.KeyFigure(
        code="leads.first_contact_verified",
        owner="leads",
        label=_("First contacts verified"),
        unit=kf.Unit.PERCENT,
        higher_is_better=True,
        definition=_definition(
            _("The share of clocked leads whose first contact attempt the system witnessed."), VERIFIED, COHORT
        ),
        measures=("leads.first_verified", "leads.first_contacted"),
        combine=kf.ratio("leads.first_verified", "leads.first_contacted"),
        group="evidence",
        order=10,
        rows_url=rows_url("first_verified"),
        tags=frozenset({"verified"}),
    ),
    kf.KeyFigure(
        code="leads.first_contact_claimed",
        owner="leads",
        label=_("First contacts only claimed"),
        unit=kf.Unit.PERCENT,
        higher_is_better=False,
        definition=_definition(
            _("The share of clocked leads whose first contact attempt was only claimed, not witnessed."),
            VERIFIED,
            COHORT,
        ),
        measures=("leads.first_claimed", "leads.first_contacted"),
        combine=kf.ratio("leads.first_claimed", "leads.first_contacted"),
        group="evidence",
        order=11,
        rows_url=rows_url("first_claimed"),
        tags=frozenset({"verified"}),
    ),
    kf.KeyFigure(
        code="leads.first_contact_backdated",
        owner="leads",
        label=_("First contacts back-dated"),
        unit=kf.Unit.PERCENT,
        higher_is_better=False,
        definition=_definition(
            _(
                "The share of clocked leads whose first contact attempt was logged well after the time it claims "
                "(more than the back-dating limit, an hour by default)."
            ),
            COHORT,
        ),
        measures=("leads.first_backdated", "leads.first_contacted"),
        combine=kf.ratio("leads.first_backdated", "leads.first_contacted"),
        group="evidence",
        order=12,
        rows_url=rows_url("first_backdated"),
        tags=frozenset({"verified"}),
    ),
    kf.KeyFigure(
        code="leads.issued",
        owner="leads",
        label=_("OEM leads issued"),
        unit=kf.Unit.COUNT,
        higher_is_better=True,
        definition=_definition(_("Leads the OEM issued to the dealer."), COHORT),
        measures=("leads.issued",),
        combine=kf.total_of("leads.issued"),
        group="acceptance",
        order=10,
        rows_url=rows_url("issued"),
        is_scorable=False,
        tags=frozenset({"volume"}),
    ),
    kf.KeyFigure(
        code="leads.issued_accepted",
        owner="leads",
        label=_("OEM leads accepted"),
        unit=kf.Unit.PERCENT,
        higher_is_better=True,
        definition=_definition(
            _("The share of the leads the OEM issued that the dealer accepted (pending ones count as not)."), COHORT
        ),
        measures=("leads.issued_accepted", "leads.issued"),
        combine=kf.ratio("leads.issued_accepted", "leads.issued"),
        group="acceptance",
        order=11,
        rows_url=rows_url("issued_accepted"),
    ),
    kf.KeyFigure(
        code="leads.issued_rejected",
        owner="leads",
        label=_("OEM leads rejected"),
        unit=kf.Unit.PERCENT,
        higher_is_better=False,
        definition=_definition(
            _("The share of the leads the OEM issued that the dealer rejected; the list shows each reason."), COHORT
        ),
        measures=("leads.issued_rejected", "leads.issued"),
        combine=kf.ratio("leads.issued_rejected", "leads.issued"),
        group="acceptance",
        order=12,
        rows_url=rows_url("issued_rejected"),
    ),
    kf.KeyFigure(
        code="leads.issued_pending",
        owner="leads",
        label=_("OEM leads awaiting acceptance"),
        unit=kf.Unit.COUNT,
        higher_is_better=False,
        definition=_definition(_("Leads the OEM issued that the dealer has neither accepted nor rejected."), COHORT),
        measures=("leads.issued_pending",),
        combine=kf.total_of("leads.issued_pending"),
        group="acceptance",
        order=13,
        rows_url=rows_url("issued_pending"),
    ),
    kf.KeyFigure(
        code="leads.issued_time_to_decide",
        owner="leads",
        label=_("Median time to accept an OEM lead"),
        unit=kf.Unit.MINUTES,
        higher_is_better=False,
        definition=_definition(
            _(
                "The median business minutes from an issued lead's arrival to the dealer's acceptance or "
                "rejection, by the dealer's business hours and time zone."
            ),
            COHORT,
        ),
        measures=("leads.issued_decide_minutes",),
        combine=kf.median_of("leads.issued_decide_minutes"),
        group="acceptance",
        order=14,
        rows_url=rows_url("issued_decided"),
    ),
]


def median_age_in_days(values: str) -> kf.Combine:
    """The median age today, in days, of things recorded by their day number (date.toordinal)."""

    def combine(totals: Mapping[str, Any]) -> kf.FigureValue:
        days = totals[values]
        if not days:
            return kf.FigureValue(None, None, 0)
        today = timezone.localdate().toordinal()
        return kf.FigureValue(median(today - day for day in days), None, len(days))

    return combine


FOLLOW_UP_DAYS = _(
    "Follow-ups are counted on the day they fall due, in the dealer's time zone. A follow-up replaced by a new "
    "grade or closed with its lead before it fell due was never owed."
)
CALL_BACKS = _(
    "A delivered lead's sales call-backs (3 days, 7 days and one month after delivery) are counted on the day "
    "they fall due; done means a contact attempt was logged for them."
)
FUNNEL_TEXT = _("A lead that jumped a stage counts as having reached the stages it skipped.")


def _figure(code, label, unit, higher_is_better, definition, measures, combine, group, order, rows, **extra):
    return kf.KeyFigure(
        code=code,
        owner="leads",
        label=label,
        unit=unit,
        higher_is_better=higher_is_better,
        definition=definition,
        measures=tuple(measures),
        combine=combine,
        group=group,
        order=order,
        rows_url=rows_url(rows),
        **extra,
    )


_STEP_LABELS = {
    "contacted": (_("New → contacted"), "received"),
    "visited": (_("Contacted → showroom visit"), "contacted"),
    "test_drive": (_("Visit → test drive"), "visited"),
    "negotiation": (_("Test drive → negotiation"), "test_drive"),
    "ordered": (_("Negotiation → order"), "negotiation"),
    "delivered": (_("Order → delivery"), "ordered"),
}


def _measure_of(step: str) -> str:
    return "leads.received" if step == "received" else f"leads.reached.{step}"


FIGURES += [
    _figure(
        "leads.follow_ups_on_time",
        _("Follow-ups done on time"),
        kf.Unit.PERCENT,
        True,
        _definition(
            _("The share of follow-ups owed (by grade, after a visit, while ordered) done by their due time."),
            FOLLOW_UP_DAYS,
        ),
        ("leads.follow_ups_on_time", "leads.follow_ups_owed"),
        kf.ratio("leads.follow_ups_on_time", "leads.follow_ups_owed"),
        "follow_up",
        10,
        "follow_ups_on_time",
    ),
    _figure(
        "leads.overdue",
        _("Overdue follow-ups now"),
        kf.Unit.COUNT,
        False,
        _definition(
            _("Follow-ups (first responses and call-backs included) past their due time and still not done."),
            FOLLOW_UP_DAYS,
        ),
        ("leads.overdue",),
        kf.total_of("leads.overdue"),
        "follow_up",
        20,
        "overdue",
    ),
    _figure(
        "leads.overdue_age",
        _("Median age of the overdue backlog"),
        kf.Unit.DAYS,
        False,
        _definition(_("How many days ago the overdue follow-ups fell due, the median of them today."), FOLLOW_UP_DAYS),
        ("leads.overdue_due_days",),
        median_age_in_days("leads.overdue_due_days"),
        "follow_up",
        21,
        "overdue",
    ),
    _figure(
        "leads.call_backs_done",
        _("Sales call-backs done"),
        kf.Unit.PERCENT,
        True,
        _definition(_("The share of sales call-backs due that were made."), CALL_BACKS),
        ("leads.call_backs_done", "leads.call_backs_owed"),
        kf.ratio("leads.call_backs_done", "leads.call_backs_owed"),
        "follow_up",
        30,
        "call_backs_done",
    ),
    *[
        _figure(
            f"leads.call_backs_done.{reason.value}",
            label,
            kf.Unit.PERCENT,
            True,
            _definition(_("The share of these call-backs due that were made."), CALL_BACKS),
            (f"leads.call_backs_done.{reason.value}", f"leads.call_backs_owed.{reason.value}"),
            kf.ratio(f"leads.call_backs_done.{reason.value}", f"leads.call_backs_owed.{reason.value}"),
            "follow_up",
            31 + index,
            f"call_backs_done_{reason.value}",
        )
        for index, (reason, (_owed, label)) in enumerate(s.CALLBACK_LABELS.items())
    ],
    *[
        _figure(
            f"leads.conversion.{stage}",
            label,
            kf.Unit.PERCENT,
            True,
            _definition(
                _("The share of the leads that reached the first stage which went on to reach the second."),
                FUNNEL_TEXT,
                COHORT,
            ),
            (f"leads.reached.{stage}", _measure_of(previous)),
            kf.ratio(f"leads.reached.{stage}", _measure_of(previous)),
            "conversion",
            10 + index,
            f"reached_{stage}",
        )
        for index, (stage, (label, previous)) in enumerate(_STEP_LABELS.items())
    ],
    _figure(
        "leads.conversion.order",
        _("Leads that ordered"),
        kf.Unit.PERCENT,
        True,
        _definition(_("The share of the leads received that reached an order."), FUNNEL_TEXT, COHORT),
        ("leads.reached.ordered", "leads.received"),
        kf.ratio("leads.reached.ordered", "leads.received"),
        "conversion",
        20,
        "reached_ordered",
    ),
    _figure(
        "leads.lost_rate",
        _("Lost rate"),
        kf.Unit.PERCENT,
        False,
        _definition(_("The share of the leads received that closed as lost (approved by a manager)."), COHORT),
        ("leads.lost", "leads.received"),
        kf.ratio("leads.lost", "leads.received"),
        "conversion",
        30,
        "lost",
    ),
    _figure(
        "leads.frozen_rate",
        _("Frozen leads"),
        kf.Unit.PERCENT,
        False,
        _definition(_("The share of the leads received that were frozen (not in the market for now)."), COHORT),
        ("leads.frozen", "leads.received"),
        kf.ratio("leads.frozen", "leads.received"),
        "conversion",
        31,
        "frozen",
        is_scorable=False,
    ),
    _figure(
        "leads.grade_h_ordered",
        _("H leads that ordered within 30 days"),
        kf.Unit.PERCENT,
        True,
        _definition(
            _(
                "Grade inflation: of the leads ever graded H (buys within about 7 days), the share that placed an "
                "order within 30 days of their first H grade. Low means the dealer grades leads hotter than they are."
            ),
            COHORT,
        ),
        ("leads.graded_h_ordered", "leads.graded_h"),
        kf.ratio("leads.graded_h_ordered", "leads.graded_h"),
        "grading",
        10,
        "graded_h_ordered",
    ),
    _figure(
        "leads.valid_phone",
        _("Leads with a valid phone"),
        kf.Unit.PERCENT,
        True,
        _definition(_("The share of leads whose customer has a phone number not marked invalid."), COHORT),
        ("leads.valid_phone", "leads.received"),
        kf.ratio("leads.valid_phone", "leads.received"),
        "data_quality",
        10,
        "valid_phone",
    ),
    _figure(
        "leads.source_filled",
        _("Leads with a source"),
        kf.Unit.PERCENT,
        True,
        _definition(_("The share of leads that record where they came from."), COHORT),
        ("leads.source_filled", "leads.received"),
        kf.ratio("leads.source_filled", "leads.received"),
        "data_quality",
        11,
        "source_filled",
    ),
    _figure(
        "leads.possible_duplicates",
        _("Possible duplicate leads"),
        kf.Unit.PERCENT,
        False,
        _definition(
            _(
                "The share of leads whose customer is flagged as a possible duplicate of another customer the "
                "dealer knows (still to review, or merged)."
            ),
            COHORT,
        ),
        ("leads.possible_duplicate", "leads.received"),
        kf.ratio("leads.possible_duplicate", "leads.received"),
        "data_quality",
        12,
        "possible_duplicate",
    ),
    _figure(
        "leads.approval_turnaround",
        _("Median manager approval time"),
        kf.Unit.MINUTES,
        False,
        _definition(
            _(
                "The median business minutes a sales manager took to approve or send back a proposed lost "
                "verdict, counted on the day it was proposed, by the dealer's business hours and time zone."
            )
        ),
        ("leads.verdict_decide_minutes",),
        kf.median_of("leads.verdict_decide_minutes"),
        "follow_up",
        40,
        "verdicts_decided",
    ),
    _figure(
        "leads.approvals_pending",
        _("Lost verdicts awaiting a manager"),
        kf.Unit.COUNT,
        False,
        _definition(_("Proposed lost verdicts no manager has decided yet, on the day they were proposed.")),
        ("leads.verdicts_pending",),
        kf.total_of("leads.verdicts_pending"),
        "follow_up",
        41,
        "verdicts_pending",
    ),
]


# The figures the dealer page splits per salesperson (their measures have the person dimension).
PER_PERSON = {
    "leads.first_response_median",
    "leads.first_response_within_sla",
    "leads.first_contact_verified",
    "leads.overdue",
    "leads.follow_ups_on_time",
    "leads.untouched",
}

MEASURES += follow_through.measures(_count, CONTACT, FOLLOW_UP, FUNNEL)
FIGURES += follow_through.figures(_figure, _definition, CLOCK, COHORT)
FIGURES = [
    replace(figure, tags=figure.tags | {"per_person"}) if figure.code in PER_PERSON else figure for figure in FIGURES
]


def register() -> None:
    kf.measure_register(*MEASURES)
    kf.figure_register(*FIGURES)
