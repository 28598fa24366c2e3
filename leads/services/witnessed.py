"""Contacts the system witnessed: click-to-call and texts from the lead page, and what comes back from the
telephony provider and the SMS gateway. leads/verification.py decides what counts as proof; this module
writes the contact attempts with their evidence.

- lead_call_start: a call row in messaging (rung by the provider after commit). The provider's signed
  record becomes a timeline event (messaging.CALL_RECORDED); contact_from_call turns it into the lead's
  contact attempt, once per call, with the real outcome and duration.
- lead_sms_send: an outbox message and, in the same transaction, a contact attempt pointing at it, only
  claimed until the gateway's receipt (messaging.MESSAGE_DELIVERED) makes it verified
  (contact_from_message_outcome); a failed one stays claimed.
- contact_from_reply: a reply from the lead's own number, to a text the dealer sent, is a verified contact
  of each of the customer's open leads at that dealer.
The subscribers run once per event (the timeline's delivery record) and the database holds one attempt per
call, per message and per reply and lead, so a replay changes nothing.
"""

from datetime import datetime, timedelta
from uuid import uuid4

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.customers.exceptions import InvalidPhone
from crm.customers.models import ContactPoint, Customer
from crm.customers.normalize import phone_normalize
from crm.messaging.events import (
    CALL_RECORDED,
    MESSAGE_DELIVERED,
    MESSAGE_FAILED,
    MESSAGE_RECEIVED,
    MESSAGE_REPLIED,
)
from crm.messaging.models import InboundMessage, OutboxMessage, PhoneCall, Purpose
from crm.messaging.registry import outcome_watch_register
from crm.messaging.services.calls import call_record_receive, call_request
from crm.messaging.services.outbox import message_enqueue
from crm.network.access import access_for
from crm.network.models import StaffProfile
from crm.timeline.registry import subscribe
from crm.timeline.services import event_record
from leads import events
from leads.exceptions import CallInProgress, CustomerPhoneMissing, LeadClosed, MessageEmpty, StaffPhoneMissing
from leads.models import OPEN_STAGES, ContactAttempt, Lead
from leads.permissions import can_reach_through_system, require
from leads.services.common import lock_lead
from leads.services.contact import _contact_record, _open_call_backs
from leads.verification import call_evidence, message_evidence, reply_evidence

LEAD_CALL_KIND = "leads.lead_call"
LEAD_SMS_KIND = "leads.lead_sms"
# A salesperson has one click-to-call at a time; one older than this without a record no longer blocks.
CALL_BUSY_WINDOW = timedelta(minutes=2)
CALL_OUTCOMES = {
    PhoneCall.Status.ANSWERED: ContactAttempt.Outcome.REACHED,
    PhoneCall.Status.NO_ANSWER: ContactAttempt.Outcome.NO_ANSWER,
    PhoneCall.Status.BUSY: ContactAttempt.Outcome.BUSY,
}


def lead_numbers(*, customer_id: int) -> set[str]:
    """The lead's own numbers: every phone on its customer's record (E.164)."""
    return set(
        ContactPoint.objects.filter(customer_id=customer_id, kind=ContactPoint.Kind.PHONE).values_list(
            "value", flat=True
        )
    )


def _customer_phone(lead: Lead) -> str:
    value = (
        ContactPoint.objects.filter(customer_id=lead.customer_id, kind=ContactPoint.Kind.PHONE, is_invalid=False)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    if not value:
        raise CustomerPhoneMissing()
    return value


def _staff_phone(by) -> str:
    raw = StaffProfile.objects.filter(user_id=by.pk).values_list("phone", flat=True).first()
    try:
        return phone_normalize(raw or "")
    except InvalidPhone as error:
        raise StaffPhoneMissing() from error


def _workable(lead: Lead) -> None:
    if not lead.is_open and not _open_call_backs(lead).exists():
        raise LeadClosed()


@transaction.atomic
def lead_call_start(*, lead: Lead, by) -> PhoneCall:
    """Click-to-call: ask the provider (after commit) to ring `by`'s own phone, then bridge the customer's
    primary valid number. Only the lead's dealer's sales staff who may contact it (PermissionDenied);
    StaffPhoneMissing, CustomerPhoneMissing, LeadClosed, CallInProgress (one call at a time per person).
    The contact attempt is written when the provider's record arrives (contact_from_call)."""
    lead = lock_lead(lead.id)
    require(can_reach_through_system(access_for(by), lead))
    _workable(lead)
    caller, callee = _staff_phone(by), _customer_phone(lead)
    busy = PhoneCall.objects.filter(
        user_id=by.pk,
        status__in=[PhoneCall.Status.REQUESTED, PhoneCall.Status.RINGING],
        requested_at__gte=timezone.now() - CALL_BUSY_WINDOW,
    )
    if busy.exists():
        raise CallInProgress()
    return call_request(
        idempotency_key=f"lead-call:{uuid4().hex}",
        kind=LEAD_CALL_KIND,
        reference_id=lead.id,
        dealer_id=lead.dealer_id,
        customer_id=lead.customer_id,
        user_id=by.pk,
        caller_number=caller,
        callee_number=callee,
    )


@transaction.atomic
def lead_sms_send(*, lead: Lead, by, text: str) -> ContactAttempt:
    """Text the customer's primary valid number through the outbox (a service message: it goes unless the
    customer opted out of service texts) and log the attempt, claimed until the gateway reports it
    delivered. Same permission and errors as lead_call_start, plus MessageEmpty."""
    lead = lock_lead(lead.id)
    require(can_reach_through_system(access_for(by), lead))
    _workable(lead)
    text = (text or "").strip()
    if not text:
        raise MessageEmpty()
    recipient = _customer_phone(lead)
    language = Customer.objects.filter(id=lead.customer_id).values_list("preferred_language", flat=True).first()
    message = message_enqueue(
        idempotency_key=f"lead-sms:{uuid4().hex}",
        kind=LEAD_SMS_KIND,
        channel="sms",
        purpose=Purpose.SERVICE,
        recipient=recipient,
        body_text=text,
        customer_id=lead.customer_id,
        dealer_id=lead.dealer_id,
        language=language or "zh-hans",
    )
    return _contact_record(
        lead=lead,
        by=by,
        channel=ContactAttempt.Channel.SMS,
        outcome=ContactAttempt.Outcome.LEFT_MESSAGE,
        note=text[:500],
        at=timezone.now(),
        message=message,
    )


@transaction.atomic
def call_history_record(
    *, lead: Lead, by, started_at: datetime, answered: bool, duration_seconds: int
) -> ContactAttempt | None:
    """A call that went through click-to-call in the past, with the provider's record as it came: for demo
    history and migrated call logs only (pages and the API never call it). The same rules and rows as a
    live call, without ringing anyone: the record is applied before the provider would be asked."""
    call = lead_call_start(lead=lead, by=by)
    duration = duration_seconds if answered else 0
    call, _applied = call_record_receive(
        provider_call_id="",
        client_ref=call.idempotency_key,
        status="answered" if answered else "no_answer",
        caller=call.caller_number,
        callee=call.callee_number,
        duration_seconds=duration,
        started_at=started_at,
        ended_at=started_at + timedelta(seconds=duration or 20),
    )
    PhoneCall.objects.filter(id=call.id).update(requested_at=started_at)
    return _attempt_from_call(PhoneCall.objects.select_related("user").get(id=call.id))


# --- What comes back (timeline subscribers; each runs once per event, network-wide scoped) ---------------


def contact_from_call(event) -> ContactAttempt | None:
    """The provider's record of a lead's click-to-call: the lead's contact attempt with the real outcome
    and duration, verified when leads/verification.py says so. A failed call (nobody was rung) and a call
    on a lead closed meanwhile write nothing."""
    call = PhoneCall.objects.select_related("user").filter(id=event.data.get("call_id")).first()
    if call is None or call.kind != LEAD_CALL_KIND or call.reference_id is None:
        return None
    return _attempt_from_call(call)


def _attempt_from_call(call: PhoneCall) -> ContactAttempt | None:
    outcome = CALL_OUTCOMES.get(call.status)
    if outcome is None:
        return None
    lead = lock_lead(call.reference_id)
    existing = ContactAttempt.objects.filter(call=call).first()
    if existing is not None:
        return existing
    if not lead.is_open and not _open_call_backs(lead).exists():
        return None
    evidence = call_evidence(
        is_answered=call.is_answered,
        duration_seconds=call.duration_seconds,
        dialled=call.recorded_callee_number,
        lead_numbers=lead_numbers(customer_id=lead.customer_id),
    )
    return _contact_record(
        lead=lead,
        by=call.user,
        channel=ContactAttempt.Channel.CALL,
        outcome=outcome,
        note=_("Called through the system"),
        at=call.started_at or call.requested_at,
        evidence=evidence,
        call=call,
        duration_seconds=call.duration_seconds,
    )


def contact_from_message_outcome(event) -> ContactAttempt | None:
    """A delivery receipt of a text sent from the lead page: delivered makes its attempt verified; failed
    (even after a delivered) leaves it, or makes it again, only claimed."""
    message = OutboxMessage.objects.filter(id=event.data.get("message_id")).only("id", "status").first()
    attempt = ContactAttempt.objects.filter(message_id=event.data.get("message_id")).first()
    if message is None or attempt is None:
        return None
    return attempt_evidence_set(attempt=attempt, evidence=message_evidence(status=message.status))


def contact_from_reply(event) -> list[ContactAttempt]:
    """A reply to the dealer's text from one of the customer's own numbers: a verified contact of each of
    the customer's open leads at that dealer that had arrived by then."""
    reply = InboundMessage.objects.filter(id=event.data.get("reply_id")).first()
    if reply is None or not event.dealer_id:
        return []
    evidence = reply_evidence(sender=reply.sender, lead_numbers=lead_numbers(customer_id=event.customer_id))
    if not evidence:
        return []
    attempts = []
    lead_ids = Lead.objects.filter(
        customer_id=event.customer_id,
        dealer_id=event.dealer_id,
        stage__in=OPEN_STAGES,
        arrived_at__lte=reply.received_at,
    ).order_by("id").values_list("id", flat=True)
    for lead_id in list(lead_ids):
        lead = lock_lead(lead_id)
        if ContactAttempt.objects.filter(lead=lead, reply=reply).exists():
            continue
        attempts.append(
            _contact_record(
                lead=lead,
                by=None,
                channel=ContactAttempt.Channel.SMS,
                outcome=ContactAttempt.Outcome.REACHED,
                note=_("Replied: %(body)s") % {"body": reply.body[:400]},
                at=reply.received_at,
                evidence=evidence,
                reply=reply,
            )
        )
    return attempts


def attempt_evidence_set(*, attempt: ContactAttempt, evidence: str) -> ContactAttempt:
    """Change an attempt's evidence after it was logged (in the caller's transaction), and the lead's
    "first contact verified" when it is the lead's first attempt. Writes LEAD_CONTACT_VERIFIED so figures
    kept from events read it again. Nothing happens when the evidence is unchanged."""
    lead = lock_lead(attempt.lead_id)
    attempt = ContactAttempt.objects.select_for_update().get(id=attempt.id)
    if attempt.evidence == evidence:
        return attempt
    attempt.evidence, attempt.is_verified = evidence, bool(evidence)
    attempt.save(update_fields=["evidence", "is_verified"])
    first_id = ContactAttempt.objects.filter(lead=lead).order_by("id").values_list("id", flat=True).first()
    if first_id == attempt.id:
        Lead.objects.filter(id=lead.id).update(
            is_first_contact_verified=attempt.is_verified, updated_at=timezone.now()
        )
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_CONTACT_VERIFIED,
        dealer_id=lead.dealer_id,
        occurred_at=attempt.at,
        data={"lead": lead.id, "attempt": attempt.id, "verified": attempt.is_verified, "evidence": evidence},
    )
    return attempt


outcome_watch_register(LEAD_SMS_KIND)
subscribe(name="leads.contact_from_call", kinds={CALL_RECORDED}, handler=contact_from_call)
subscribe(
    name="leads.contact_from_message_outcome",
    kinds={MESSAGE_DELIVERED, MESSAGE_FAILED},
    handler=contact_from_message_outcome,
)
subscribe(name="leads.contact_from_reply", kinds={MESSAGE_RECEIVED, MESSAGE_REPLIED}, handler=contact_from_reply)
