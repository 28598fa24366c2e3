"""Three more funnel figures, kept apart from this package's __init__ and from selectors.py (both past 400 lines):
first response within the same business day, leads left untouched for N days, and the lost-reason mix (a
breakdown: one figure per reason, shown as a table). Their selections join the same registry of selections, so
the lead list's drill-down lists exactly the rows each number counts; `register()` is called by
leads.figures.registrations (this package)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm.core import key_figures as kf
from leads import sla
from leads.figures import selectors as s
from leads.models import OPEN_STAGES, ContactAttempt, LostVerdict, Stage

# --- First response within the same business day -------------------------------------------------------------


def _first_contact_on_clock_start_day(leads):
    """Clocked leads first contacted on the dealer's business day their clock started: the day of the lead's
    arrival if the dealer was open, else the day it next opened (a lead arriving Saturday is answered the same
    business day if contacted on Monday). Read per lead in Python by the SLA clock (leads.sla): the dealer's
    hours and zone decide, as for the business minutes."""
    candidates = (
        s._clocked(leads)
        .filter(first_contact_at__isnull=False)
        .order_by()
        .values_list("id", "arrived_at", "first_contact_at", "dealer__business_hours", "dealer__time_zone")
    )
    ids = []
    for lead_id, arrived_at, contacted_at, hours, zone in candidates:
        try:
            starts = sla.next_opening(arrived_at, business_hours=hours, time_zone=zone)
        except ValueError:  # never open, or hours it cannot read: no business day to answer on
            continue
        local = ZoneInfo(zone)
        if contacted_at.astimezone(local).date() <= starts.astimezone(local).date():
            ids.append(lead_id)
    return leads.filter(id__in=ids)


s.selection_add(
    "within_business_day",
    _("First contact within the same business day"),
    _first_contact_on_clock_start_day,
)

# --- Leads untouched for N days --------------------------------------------------------------------------------


def untouched_days() -> int:
    return int(getattr(settings, "LEADS_UNTOUCHED_DAYS", 7))


def _untouched(leads):
    """Open leads whose last contact attempt (or, without one, their arrival) is N days old or more now."""
    last_attempt = Subquery(
        ContactAttempt.objects.filter(lead_id=OuterRef("id")).order_by().values("lead_id").annotate(at=Max("at")).values("at")[:1]
    )
    since = timezone.now() - timedelta(days=untouched_days())
    return (
        leads.filter(stage__in=OPEN_STAGES)
        .annotate(last_touched_at=Greatest(Coalesce(last_attempt, F("arrived_at")), F("arrived_at")))
        .filter(last_touched_at__lte=since)
    )


s.selection_add("untouched", _("Open leads untouched for days"), _untouched)

# --- Lost-reason mix -------------------------------------------------------------------------------------------


def _lost_for(reason: str):
    """Lost leads whose loss a manager approved for this reason (the latest approved verdict that lost it)."""

    def narrow(leads):
        approved_reason = Subquery(
            LostVerdict.objects.filter(lead_id=OuterRef("id"), status=LostVerdict.Status.APPROVED, freeze_only=False)
            .order_by("-decided_at", "-id")
            .values("reason")[:1]
        )
        return leads.filter(stage=Stage.LOST).annotate(lost_reason=approved_reason).filter(Q(lost_reason=reason))

    return narrow


for _reason in LostVerdict.Reason:
    s.selection_add(f"lost_reason_{_reason.value}", _reason.label, _lost_for(_reason.value))


# --- Measures and figures ---------------------------------------------------------------------------------------


def measures(count, contact_events, follow_up_events, funnel_events) -> list[kf.Measure]:
    return [
        count("leads.within_business_day", "within_business_day", contact_events),
        count("leads.untouched", "untouched", follow_up_events),
        *[count(f"leads.lost_reason.{r.value}", f"lost_reason_{r.value}", funnel_events) for r in LostVerdict.Reason],
    ]


def figures(figure, definition, clock_text, cohort_text) -> list[kf.KeyFigure]:
    return [
        figure(
            "leads.first_response_within_business_day",
            _("First response within the same business day"),
            kf.Unit.PERCENT,
            True,
            definition(
                _(
                    "The share of clocked leads first contacted on the business day their clock started: the day "
                    "they arrived, or the day the dealer next opened if it was closed (never contacted: not within)."
                ),
                clock_text,
                cohort_text,
            ),
            ("leads.within_business_day", "leads.clocked"),
            kf.ratio("leads.within_business_day", "leads.clocked"),
            "response",
            24,
            "within_business_day",
        ),
        figure(
            "leads.untouched",
            _("Leads untouched for days"),
            kf.Unit.COUNT,
            False,
            definition(
                format_lazy(
                    _(
                        "Open leads with no contact attempt for {days} days or more now (a lead never contacted: "
                        "{days} days since it arrived)."
                    ),
                    days=untouched_days(),
                ),
                cohort_text,
            ),
            ("leads.untouched",),
            kf.total_of("leads.untouched"),
            "follow_up",
            22,
            "untouched",
        ),
        *[
            figure(
                f"leads.lost_reason.{r.value}",
                format_lazy(_("Lost: {reason}"), reason=r.label),
                kf.Unit.PERCENT,
                False,
                definition(_("The share of the leads lost (approved by a manager) lost for this reason."), cohort_text),
                (f"leads.lost_reason.{r.value}", "leads.lost"),
                kf.ratio(f"leads.lost_reason.{r.value}", "leads.lost"),
                "lost_reasons",
                index,
                f"lost_reason_{r.value}",
                is_scorable=False,
                tags=frozenset({"breakdown", "lost_reason"}),
            )
            for index, r in enumerate(LostVerdict.Reason)
        ],
    ]
