"""Click-to-call: a call is a row first, then the provider is asked to bridge it, then the provider's signed
call record says what happened.

Guarantees
- A call is a PhoneCall row before the provider hears of it; its idempotency key is the provider's client
  reference, so asking again after a crash (a retried task, the tick's sweep) rings nobody twice.
- Nobody waits on the provider inside a transaction: the request is made between two short commits.
- A call record is applied once: the row is locked, and a record for a call that already has one (a
  provider's retry, a replay) changes nothing and writes no second event.
- Every applied record of a call with a customer writes a timeline event (CALL_RECORDED) in the same
  transaction, so the app that placed the call (leads) turns it into a contact attempt exactly once.
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from celery import current_app
from django.db import transaction
from django.utils import timezone

from crm.core.scope import network_wide
from crm.messaging import events
from crm.messaging.channels.telephony import telephony_adapter
from crm.messaging.exceptions import PermanentFailure, TemporaryFailure
from crm.messaging.models import PhoneCall
from crm.messaging.services.replies import phone_from_outside
from crm.timeline.services import event_record

logger = logging.getLogger(__name__)

Status = PhoneCall.Status
PLACE_TASK = "crm.messaging.tasks.call_place"
RECORD_STATUSES = {
    "answered": Status.ANSWERED,
    "completed": Status.ANSWERED,
    "no_answer": Status.NO_ANSWER,
    "busy": Status.BUSY,
    "failed": Status.FAILED,
}
# A requested call whose hand-off to the provider was lost is asked again by the tick after this long.
STALE_REQUEST = timedelta(seconds=30)
# …but not forever: a click-to-call an hour late would ring a salesperson who has moved on.
ABANDON_REQUEST = timedelta(minutes=5)


def call_request(
    *,
    idempotency_key: str,
    kind: str,
    reference_id: int | None,
    dealer_id: int,
    customer_id: int | None,
    user_id: int | None,
    caller_number: str,
    callee_number: str,
) -> PhoneCall:
    """Write one call in the caller's transaction; the provider is asked after commit. Preconditions: the
    numbers are E.164 and the caller checked who may call whom (messaging knows no leads)."""
    call = PhoneCall.objects.create(
        idempotency_key=idempotency_key,
        kind=kind,
        reference_id=reference_id,
        dealer_id=dealer_id,
        customer_id=customer_id,
        user_id=user_id,
        caller_number=caller_number,
        callee_number=callee_number,
        requested_at=timezone.now(),
    )
    transaction.on_commit(partial(_enqueue_place, call.id))
    return call


def _enqueue_place(call_id: int) -> None:
    try:
        current_app.send_task(PLACE_TASK, kwargs={"call_id": call_id})
    except Exception:  # the tick asks again; a broker outage must not fail the committed request
        logger.exception("could not enqueue call %s", call_id)


def call_place(*, call_id: int) -> PhoneCall | None:
    """Ask the provider to bridge a requested call. Safe to run twice: a call no longer "requested" is
    left alone, and the provider deduplicates by client reference."""
    with network_wide(reason="telephony: place a call"), transaction.atomic():
        call = PhoneCall.objects.filter(id=call_id).first()
    if call is None or call.status != Status.REQUESTED:
        return call
    changes: dict = {}
    try:
        provider_id = telephony_adapter().place(
            caller=call.caller_number, callee=call.callee_number, client_ref=call.idempotency_key
        )
    except PermanentFailure as error:
        changes = {"status": Status.FAILED, "last_error": str(error)[:2000]}
    except TemporaryFailure as error:
        if timezone.now() - call.requested_at > ABANDON_REQUEST:
            changes = {"status": Status.FAILED, "last_error": f"gave up: {error}"[:2000]}
        else:
            changes = {"last_error": str(error)[:2000]}
    else:
        changes = {"status": Status.RINGING, "provider_call_id": provider_id[:120], "last_error": ""}
    with network_wide(reason="telephony: placed"), transaction.atomic():
        # The record may have come back already (a fast provider): only a still-requested call moves on.
        PhoneCall.objects.filter(id=call.id, status=Status.REQUESTED).update(**changes)
        if "provider_call_id" in changes:
            PhoneCall.objects.filter(id=call.id, provider_call_id="").update(
                provider_call_id=changes["provider_call_id"]
            )
        call.refresh_from_db()
    return call


def calls_resume_stale() -> int:
    """Requested calls whose hand-off was lost (or failed for a moment): ask the provider again."""
    now = timezone.now()
    with network_wide(reason="telephony: stale requests"), transaction.atomic():
        ids = list(
            PhoneCall.objects.filter(
                status=Status.REQUESTED, requested_at__lt=now - STALE_REQUEST
            ).values_list("id", flat=True)[:100]
        )
    for call_id in ids:
        call_place(call_id=call_id)
    return len(ids)


def call_record_receive(
    *,
    provider_call_id: str,
    client_ref: str,
    status: str,
    caller: str,
    callee: str,
    duration_seconds: int,
    started_at: datetime | None,
    ended_at: datetime | None,
) -> tuple[PhoneCall | None, bool]:
    """Apply a provider's call record. Matched by our client reference, else by the provider's call id.
    Returns (the call or None when nothing matches, whether this record was applied now); a second record
    for the same call is a replay and changes nothing. `status` is one of RECORD_STATUSES."""
    with network_wide(reason="telephony: call record"), transaction.atomic():
        calls = PhoneCall.objects.select_for_update()
        if client_ref:
            call = calls.filter(idempotency_key=client_ref).first()
        elif provider_call_id:
            call = calls.filter(provider_call_id=provider_call_id).first()
        else:
            call = None
        if call is None:
            return None, False
        if call.recorded_at is not None:
            return call, False
        now = timezone.now()
        call.status = RECORD_STATUSES[status]
        call.is_answered = call.status == Status.ANSWERED
        call.duration_seconds = max(0, duration_seconds) if call.is_answered else 0
        call.recorded_caller_number = phone_from_outside(caller)[:32]
        call.recorded_callee_number = phone_from_outside(callee)[:32]
        call.started_at = started_at or call.requested_at
        call.ended_at = ended_at
        call.recorded_at = now
        if provider_call_id and not call.provider_call_id:
            call.provider_call_id = provider_call_id
        call.save()
        if call.customer_id:
            event_record(
                customer_id=call.customer_id,
                kind=events.CALL_RECORDED,
                dealer_id=call.dealer_id,
                actor=call.user,
                occurred_at=call.started_at,
                data={
                    "call_id": call.id,
                    "status": call.status,
                    "duration_seconds": call.duration_seconds,
                    "kind": call.kind,
                    "reference_id": call.reference_id,
                },
            )
        return call, True
