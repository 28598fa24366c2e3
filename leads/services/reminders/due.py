"""Due-soon reminders (follow-ups, first-response deadlines), the catch-up for follow-ups that fell due while
no scan ran, and first-response escalation."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from crm.core.names import customer_name, staff_name
from leads import sla
from leads.models import FollowUp, Lead
from leads.services.common import CALLBACK_REASONS
from leads.services.reminders.common import (
    BREACH_LOOKBACK,
    OVERDUE_LOOKBACK,
    REGIONAL_LOOKBACK,
    DealerClock,
    base_params,
    lead_path,
    leads_load,
    logger,
    notify_each,
    pairs_due,
    when,
)
from leads.services.reminders.queries import (
    FOLLOW_UPS_DUE_SQL,
    FOLLOW_UPS_OVERDUE_SQL,
    REGIONAL_DEALERS_SQL,
    REGIONAL_SQL,
    SLA_BREACHES_SQL,
    SLA_DUE_SQL,
)


def follow_ups_remind(*, dealers: dict[int, DealerClock], now: datetime, limit: int) -> int:
    """One batch of follow-ups due within LEAD_FOLLOW_UP_REMINDER_MINUTES. Returns the pairs handled."""
    until = now + timedelta(minutes=settings.LEAD_FOLLOW_UP_REMINDER_MINUTES)
    pairs = pairs_due(
        FOLLOW_UPS_DUE_SQL,
        base_params(dealers, now, limit) | {"until": until, "callbacks": list(CALLBACK_REASONS)},
        reason="staff reminders: follow-ups due soon",
    )

    def compose(follow_up: FollowUp, user, *, is_owner: bool) -> dict:
        lead, dealer = follow_up.lead, dealers[follow_up.dealer_id]
        values = {"time": when(follow_up.due_at, dealer, now), "customer": customer_name(lead.customer)}
        title = (
            _("Follow-up at %(time)s: %(customer)s")
            if is_owner
            else _("Unassigned follow-up at %(time)s: %(customer)s")
        ) % values
        body = " · ".join(
            filter(None, [follow_up.get_reason_display(), lead.get_stage_display(), lead.grade, dealer.name])
        )
        return {"kind": "follow_up_due", "title": title, "body": body, "link": lead_path(lead.id)}

    return notify_each(pairs, FollowUp.objects.select_related("lead__customer").in_bulk, compose)


def follow_ups_overdue_remind(*, dealers: dict[int, DealerClock], now: datetime, limit: int) -> int:
    """One batch of follow-ups already overdue that nobody was reminded of (the scans did not run in their
    due-soon window): one "overdue" reminder each, keyed `followup-overdue:<id>`, so the catch-up happens
    once. Returns the pairs handled."""
    pairs = pairs_due(
        FOLLOW_UPS_OVERDUE_SQL,
        base_params(dealers, now, limit)
        | {"earliest": now - OVERDUE_LOOKBACK, "callbacks": list(CALLBACK_REASONS)},
        reason="staff reminders: overdue follow-ups nobody was reminded of",
    )

    def compose(follow_up: FollowUp, user, *, is_owner: bool) -> dict:
        lead, dealer = follow_up.lead, dealers[follow_up.dealer_id]
        values = {"time": when(follow_up.due_at, dealer, now), "customer": lead.customer.name}
        title = (
            _("Overdue since %(time)s: %(customer)s")
            if is_owner
            else _("Unassigned follow-up overdue since %(time)s: %(customer)s")
        ) % values
        body = " · ".join(
            filter(None, [follow_up.get_reason_display(), lead.get_stage_display(), lead.grade, dealer.name])
        )
        return {"kind": "follow_up_overdue", "title": title, "body": body, "link": lead_path(lead.id)}

    return notify_each(pairs, FollowUp.objects.select_related("lead__customer").in_bulk, compose)


def sla_due_remind(*, dealers: dict[int, DealerClock], now: datetime, limit: int) -> int:
    """One batch of first-response deadlines within LEAD_SLA_REMINDER_MINUTES."""
    until = now + timedelta(minutes=settings.LEAD_SLA_REMINDER_MINUTES)
    pairs = pairs_due(
        SLA_DUE_SQL,
        base_params(dealers, now, limit) | {"until": until},
        reason="staff reminders: first responses due soon",
    )

    def compose(lead: Lead, user, *, is_owner: bool) -> dict:
        dealer = dealers[lead.dealer_id]
        values = {"time": when(lead.sla_due_at, dealer, now), "customer": customer_name(lead.customer)}
        minutes = max(0, int((lead.sla_due_at - now).total_seconds() // 60))
        if is_owner:
            title = _("First response due at %(time)s: %(customer)s") % values
            body = _("%(minutes)s minutes left to make the first contact.") % {"minutes": minutes}
        else:
            title = _("Unassigned lead, first response due at %(time)s: %(customer)s") % values
            body = _("Nobody owns this lead yet: assign it, %(minutes)s minutes are left.") % {
                "minutes": minutes
            }
        source = lead.source.name if lead.source else lead.get_type_display()
        return {
            "kind": "sla_due",
            "title": title,
            "body": f"{body}\n{source} · {dealer.name}",
            "link": lead_path(lead.id),
        }

    return notify_each(pairs, leads_load, compose)


def _escalation(lead: Lead, dealer: DealerClock, now: datetime) -> dict:
    owner = staff_name(lead.owner) or _("nobody")
    return {
        "customer": customer_name(lead.customer),
        "dealer": dealer.name,
        "due": when(lead.sla_due_at, dealer, now),
        "arrived": when(lead.arrived_at, dealer, now),
        "owner": owner,
    }


def sla_breaches_escalate(*, dealers: dict[int, DealerClock], now: datetime, limit: int) -> int:
    """One batch of missed first-response deadlines, to the dealer's sales managers."""
    pairs = pairs_due(
        SLA_BREACHES_SQL,
        base_params(dealers, now, limit) | {"earliest": now - BREACH_LOOKBACK},
        reason="staff reminders: first-response breaches",
    )

    def compose(lead: Lead, user, *, is_owner: bool) -> dict:
        values = _escalation(lead, dealers[lead.dealer_id], now)
        return {
            "kind": "sla_breach",
            "title": _("First response missed: %(customer)s (due %(due)s)") % values,
            "body": _("No contact attempt yet. Arrived %(arrived)s; owner: %(owner)s; %(dealer)s.") % values,
            "link": lead_path(lead.id),
        }

    return notify_each(pairs, leads_load, compose)


def business_cutoff(
    now: datetime, minutes: int, *, dealer: DealerClock, earliest: datetime
) -> datetime | None:
    """The latest deadline (to the minute, not before `earliest`) from which `minutes` business minutes
    of the dealer have passed by `now`; None when none has. Business minutes between a deadline and now
    only grow as the deadline moves back, so a bisection finds it."""

    def elapsed(back: int) -> int:
        return sla.business_minutes_between(
            now - timedelta(minutes=back),
            now,
            business_hours=dealer.business_hours,
            time_zone=dealer.time_zone,
        )

    low, high = minutes, int((now - earliest).total_seconds() // 60)
    if high < low or elapsed(high) < minutes:
        return None
    while low < high:
        middle = (low + high) // 2
        if elapsed(middle) >= minutes:
            high = middle
        else:
            low = middle + 1
    return now - timedelta(minutes=low)


def sla_regional_escalate(*, dealers: dict[int, DealerClock], now: datetime, limit: int) -> int:
    """One batch of leads still uncontacted LEAD_SLA_REGIONAL_ESCALATION_MINUTES business minutes after
    their deadline, to the OEM regional managers of the dealer's region."""
    minutes = settings.LEAD_SLA_REGIONAL_ESCALATION_MINUTES
    earliest = now - REGIONAL_LOOKBACK - timedelta(minutes=minutes)
    params = base_params(dealers, now, limit) | {"earliest": earliest}
    reason = "staff reminders: regional escalation"
    # Business minutes never outrun wall-clock ones: only deadlines this far back can qualify.
    waiting = pairs_due(
        REGIONAL_DEALERS_SQL, params | {"latest": now - timedelta(minutes=minutes)}, reason=reason
    )
    cutoffs = {}
    for (dealer_id,) in waiting:
        try:
            cutoff = business_cutoff(now, minutes, dealer=dealers[dealer_id], earliest=earliest)
        except ValueError:
            logger.warning("dealer %s has unusable business hours; no regional escalation", dealer_id)
            continue
        if cutoff is not None:
            cutoffs[dealer_id] = cutoff
    if not cutoffs:
        return 0
    pairs = pairs_due(
        REGIONAL_SQL,
        params | {"cutoff_dealers": list(cutoffs), "cutoffs": list(cutoffs.values())},
        reason=reason,
    )

    def compose(lead: Lead, user, *, is_owner: bool) -> dict:
        values = _escalation(lead, dealers[lead.dealer_id], now) | {"hours": f"{minutes / 60:g}"}
        return {
            "kind": "sla_regional",
            "title": _("%(dealer)s: lead still uncontacted %(hours)s business hours after its deadline")
            % values,
            "body": _("%(customer)s: first response was due %(due)s (arrived %(arrived)s); owner: %(owner)s.")
            % values,
            "link": lead_path(lead.id),
        }

    return notify_each(pairs, leads_load, compose)
