"""Contact attempts and showroom visits: the evidence that leads are followed up, and the SLA figures."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.customers.models import Channel, Consent, ContactPoint
from crm.customers.services import consent_record
from crm.network.access import access_for
from crm.network.models import Dealer
from crm.timeline.services import event_record
from leads import events, sla
from leads.exceptions import LeadClosed
from leads.models import OPEN_GRADES, ContactAttempt, FollowUp, Lead, LeadType, ShowroomVisit, Stage
from leads.permissions import can_contact_lead, can_work_dealer, require
from leads.services.capture import lead_capture
from leads.services.common import (
    CALLBACK_REASONS,
    contact_time_check,
    follow_up_by_grade,
    follow_up_schedule,
    is_backdated,
    local_morning,
    lock_lead,
    models_of_interest_normalise,
    stage_advance,
    user_or_none,
    visit_times_check,
)
from leads.services.grading import grade_apply

UNANSWERED = (
    ContactAttempt.Outcome.NO_ANSWER,
    ContactAttempt.Outcome.BUSY,
    ContactAttempt.Outcome.LEFT_MESSAGE,
)


@transaction.atomic
def contact_log(
    *,
    lead: Lead,
    by,
    channel: str,
    outcome: str,
    note: str = "",
    at: datetime | None = None,
) -> ContactAttempt:
    """Log an attempt to reach the prospect, by hand: it is only claimed (leads/verification.py; the
    verified ones are written by leads/services/witnessed.py from what the system saw). It closes the due
    follow-up and schedules the next one from the grade; the first attempt stops the first-response clock
    (business minutes, breach, verified or only claimed). Unanswered attempts are counted; an invalid
    number is marked on the customer; a request not to be contacted withdraws marketing consent at once. A
    delivered lead takes attempts only for its call-backs (day 3, day 7, one month), which they close.
    `at`, when given, is the claimed time: after the lead arrived and not in the future
    (ContactTimeImplausible); one well before now is kept as back-dated."""
    lead = lock_lead(lead.id)
    require(can_contact_lead(access_for(by), lead))
    if not lead.is_open and not _open_call_backs(lead).exists():
        raise LeadClosed()
    now = timezone.now()
    if at is not None:
        contact_time_check(lead=lead, at=at, now=now)
    return _contact_record(
        lead=lead,
        by=by,
        channel=channel,
        outcome=outcome,
        note=note,
        at=at or now,
    )


def _open_call_backs(lead: Lead):
    return FollowUp.objects.filter(lead=lead, done_at__isnull=True, reason__in=CALLBACK_REASONS).order_by(
        "due_at", "id"
    )


def _contact_record(
    *,
    lead: Lead,
    by,
    channel: str,
    outcome: str,
    note: str,
    at: datetime,
    evidence: str = "",
    message=None,
    reply=None,
    call=None,
    duration_seconds: int | None = None,
) -> ContactAttempt:
    """contact_log's work, for a lead already locked and checked. Verified exactly when `evidence` (from
    leads/verification.py) is given; `message`, `reply` or `call` is what the system saw."""
    is_verified = bool(evidence)
    logged_at = timezone.now()
    attempt = ContactAttempt.objects.create(
        lead=lead,
        dealer_id=lead.dealer_id,
        by=user_or_none(by),
        channel=channel,
        outcome=outcome,
        note=note.strip(),
        at=at,
        logged_at=logged_at,
        is_backdated=is_backdated(at=at, logged_at=logged_at),
        is_verified=is_verified,
        evidence=evidence,
        message=message,
        reply=reply,
        call=call,
        duration_seconds=duration_seconds,
    )
    changes: dict = {}
    if lead.first_contact_at is None:
        changes["first_contact_at"] = at
        changes["is_first_contact_verified"] = is_verified
        dealer = lead.dealer
        changes["first_response_minutes"] = sla.business_minutes_between(
            lead.arrived_at, at, business_hours=dealer.business_hours, time_zone=dealer.time_zone
        )
        if lead.sla_due_at is not None and at > lead.sla_due_at:
            changes["is_sla_breached"] = True
    if outcome in UNANSWERED:
        changes["unreachable_attempts"] = F("unreachable_attempts") + 1
    elif outcome == ContactAttempt.Outcome.REACHED:
        changes["unreachable_attempts"] = 0
    Lead.objects.filter(id=lead.id).update(**changes, updated_at=timezone.now())
    lead.refresh_from_db(fields=list(changes) or None)

    done = {"done_at": at, "done_by_attempt": attempt, "closed_reason": FollowUp.Closing.CONTACTED}
    if lead.is_open:
        FollowUp.objects.filter(lead=lead, done_at__isnull=True).exclude(reason__in=CALLBACK_REASONS).update(
            **done
        )
    else:
        # A delivered lead's attempt is its next call-back (day 3, then day 7, then one month).
        FollowUp.objects.filter(id__in=_open_call_backs(lead).values("id")[:1]).update(**done)
    if outcome == ContactAttempt.Outcome.REACHED and channel != ContactAttempt.Channel.VISIT:
        stage_advance(lead=lead, to_stage=Stage.CONTACTED, by=by, at=at)
    if outcome == ContactAttempt.Outcome.INVALID_NUMBER:
        ContactPoint.objects.filter(
            customer_id=lead.customer_id, kind=ContactPoint.Kind.PHONE, is_primary=True
        ).update(is_invalid=True)
    if outcome == ContactAttempt.Outcome.DO_NOT_CONTACT:
        for consent_channel in Channel.values:
            consent_record(
                customer=lead.customer,
                channel=consent_channel,
                purpose=Consent.Purpose.MARKETING,
                status=Consent.Status.OPT_OUT,
                source=Consent.Source.PHONE,
                by=by,
                dealer=lead.dealer,
            )
        Lead.objects.filter(id=lead.id).update(next_follow_up_at=None)
    elif channel != ContactAttempt.Channel.VISIT:
        follow_up_by_grade(lead=lead, after=at)
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_CONTACTED,
        dealer_id=lead.dealer_id,
        actor=by,
        occurred_at=at,
        data={
            "lead": lead.id,
            "channel": channel,
            "outcome": outcome,
            "note": note[:500],
            "verified": is_verified,
        },
    )
    return attempt


@dataclass
class VisitResult:
    visit: ShowroomVisit
    lead: Lead | None
    customer_created: bool = False
    owned_by_other: object | None = None


@transaction.atomic
def visit_log(
    *,
    by,
    dealer: Dealer,
    phone: str = "",
    name: str = "",
    party_size: int = 1,
    arrived_at: datetime | None = None,
    left_at: datetime | None = None,
    models_of_interest: list[str] = (),
    grade: str = "",
    next_step: str = "",
    note: str = "",
    is_history: bool = False,
) -> VisitResult:
    """The salesperson's main screen: log a walk-in. With a phone, the customer is found or created, the
    visit joins the customer's open lead here (whoever owns it — the caller is told whose it is) or opens
    a walk-in lead owned by the salesperson; the lead moves to "visited", takes the grade, and a call is
    scheduled for the next morning. Without a phone the visit still counts in showroom traffic.

    The times must be plausible (VisitTimeImplausible): not ahead of now, and within the back-logging window
    unless `is_history` says the system itself records an old visit (demo history, a migrated visit log);
    pages and the API never pass it."""
    require(can_work_dealer(access_for(by), dealer.id))
    arrived_at = arrived_at or timezone.now()
    visit_times_check(arrived_at=arrived_at, left_at=left_at, now=timezone.now(), is_history=is_history)
    models_of_interest, _unknown = models_of_interest_normalise(dealer_id=dealer.id, texts=models_of_interest)
    if not phone.strip():
        visit = ShowroomVisit.objects.create(
            dealer=dealer,
            salesperson=by,
            arrived_at=arrived_at,
            left_at=left_at,
            party_size=party_size,
            models_of_interest=models_of_interest,
            grade=grade,
            next_step=next_step,
            note=note,
        )
        return VisitResult(visit=visit, lead=None)

    capture = lead_capture(
        dealer=dealer,
        by=by,
        name=name or phone,
        type=LeadType.WALK_IN,
        phones=[phone],
        models_of_interest=models_of_interest,
        arrived_at=arrived_at,
        owner=by,
        note=note,
    )
    lead = lock_lead(capture.lead.id)
    is_first_visit = not ShowroomVisit.objects.filter(lead=lead).exists()
    visit = ShowroomVisit.objects.create(
        dealer=dealer,
        lead=lead,
        customer_id=lead.customer_id,
        salesperson=by,
        arrived_at=arrived_at,
        left_at=left_at,
        party_size=party_size,
        models_of_interest=models_of_interest,
        grade=grade,
        next_step=next_step,
        note=note,
        is_first_visit=is_first_visit,
    )
    # A visit is a contact, whoever owns the lead (it joins that lead; the owner is told). Logged by hand,
    # it is only claimed (docs/decisions.md, "Verified vs claimed"): the mystery shop checks visits.
    _contact_record(
        lead=lead,
        by=by,
        channel=ContactAttempt.Channel.VISIT,
        outcome=ContactAttempt.Outcome.REACHED,
        note=note,
        at=arrived_at,
    )
    stage_advance(lead=lead, to_stage=Stage.VISITED, by=by, at=arrived_at)
    if grade in OPEN_GRADES:
        # The grade tapped on the floor is the salesperson's own; the call tomorrow morning comes next.
        grade_apply(lead=lead, by=by, changes={"grade": grade, "grade_reason": next_step[:300]})
    follow_up_schedule(
        lead=lead, reason=FollowUp.Reason.AFTER_VISIT, due_at=local_morning(dealer, 1, after=arrived_at)
    )
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_VISITED,
        dealer_id=dealer.id,
        actor=by,
        occurred_at=arrived_at,
        data={
            "lead": lead.id,
            "party_size": party_size,
            "models": models_of_interest,
            "next_step": next_step,
        },
    )
    return VisitResult(
        visit=visit,
        lead=lead,
        customer_created=capture.customer_created,
        owned_by_other=capture.owned_by_other,
    )
