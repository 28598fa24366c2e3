"""Celery tasks: wake-up calls for work recorded in PostgreSQL. Each is short (one batch) and safe to run
twice; the tick (every few seconds, from beat) re-wakes anything whose wake-up call was lost."""

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.utils import timezone

from crm.core.scope import network_wide
from crm.messaging.models import Campaign, OutboxMessage
from crm.messaging.services.calls import call_place as call_place_service
from crm.messaging.services.calls import calls_resume_stale
from crm.messaging.services.campaigns import (
    campaign_snapshot_batch,
    campaign_summaries_refresh,
    campaigns_finish,
    campaigns_resume_stalled,
    campaigns_start_due,
)
from crm.messaging.services.care import care_programs_run
from crm.messaging.services.outbox import outbox_deliver_batch, outbox_sweep_stale, outbox_wake

PROGRESS_KEY = "messaging:progress:{channel}"


@shared_task(name="crm.messaging.tasks.outbox_deliver", acks_late=True)
def outbox_deliver(*, channel: str) -> int:
    """The realtime lane's sender (its own queue): one batch of one-off messages only, never a bulk row; if
    the batch was full, hand the baton to the next task (the chain ends when nothing is due)."""
    claimed = outbox_deliver_batch(channel=channel, bulk=False)
    if claimed >= settings.MESSAGING_BATCH_SIZE:
        outbox_wake(channel=channel)
    return claimed


@shared_task(name="crm.messaging.tasks.outbox_deliver_bulk", acks_late=True)
def outbox_deliver_bulk(*, channel: str) -> int:
    """A bulk sender (the bulk queue): one batch, one-off messages first, then bulk rows; the same baton."""
    claimed = outbox_deliver_batch(channel=channel)
    if claimed:
        cache.set(PROGRESS_KEY.format(channel=channel), timezone.now().timestamp(), timeout=300)
    if claimed >= settings.MESSAGING_BATCH_SIZE:
        outbox_wake(channel=channel, bulk=True)
    elif claimed:
        campaigns_finish()  # the chain ends here: a campaign whose last rows these were is done now
    return claimed


@shared_task(name="crm.messaging.tasks.campaign_snapshot", acks_late=True)
def campaign_snapshot(*, campaign_id: int) -> bool:
    return campaign_snapshot_batch(campaign_id=campaign_id)


@shared_task(name="crm.messaging.tasks.messaging_tick", acks_late=True)
def messaging_tick() -> dict:
    """Every few seconds: sweep sends whose worker died, start scheduled campaigns, resume listings whose
    chain was lost, complete finished campaigns, count again ended campaigns that late receipts changed,
    and wake senders where due messages wait and no sender has made progress lately."""
    report = {
        "swept": outbox_sweep_stale(),
        "started": campaigns_start_due(),
        "resumed": campaigns_resume_stalled(idle_seconds=settings.MESSAGING_STALL_SECONDS),
        "finished": campaigns_finish(),
        "recounted": campaign_summaries_refresh(),
        "calls_resumed": calls_resume_stale(),
        "woken": [],
    }
    now = timezone.now()
    for channel in settings.MESSAGING_CHANNELS:
        with network_wide(reason="messaging tick: anything due?"):
            due = OutboxMessage.objects.filter(
                channel=channel, status=OutboxMessage.Status.QUEUED, scheduled_at__lte=now
            )
            # One-off messages: their sender's chain is short, so any due one is woken at every tick.
            if due.filter(is_bulk=False).exists():
                outbox_wake(channel=channel)
                report["woken"].append(channel)
            last = cache.get(PROGRESS_KEY.format(channel=channel))
            if last and now.timestamp() - float(last) < settings.MESSAGING_STALL_SECONDS:
                continue
            bulk_due = (
                due.filter(is_bulk=True)
                .filter(
                    ~Exists(
                        Campaign.objects.filter(id=OuterRef("campaign_id")).exclude(
                            status=Campaign.Status.SENDING
                        )
                    )
                )
                .exists()
            )
        if bulk_due:
            outbox_wake(channel=channel, senders=settings.MESSAGING_SENDERS, bulk=True)
            report["woken"].append(f"{channel} (bulk)")
    return report


@shared_task(name="crm.messaging.tasks.care_messages", acks_late=True)
def care_messages() -> int:
    return care_programs_run()


@shared_task(name="crm.messaging.tasks.call_place", acks_late=True)
def call_place(*, call_id: int) -> str:
    """Ask the telephony provider to bridge one requested call (safe twice: see services/calls.py)."""
    call = call_place_service(call_id=call_id)
    return call.status if call is not None else "missing"
