"""Writing timeline events and handing committed ones to subscribers."""

import logging
from datetime import datetime, timedelta
from functools import partial

from celery import current_app
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from crm.core.scope import network_wide
from crm.timeline.models import TimelineEvent
from crm.timeline.registry import subscribers_for

logger = logging.getLogger(__name__)

DISPATCH_TASK = "crm.timeline.tasks.timeline_dispatch"
MAX_DISPATCH_ATTEMPTS = 10


def event_record(
    *,
    customer_id: int,
    kind: str,
    dealer_id: int | None = None,
    actor=None,
    data: dict | None = None,
    occurred_at: datetime | None = None,
) -> TimelineEvent:
    """Write an event in the caller's transaction. If anyone subscribes to its kind, the event is handed to
    them after the transaction commits (and by the periodic sweep if that hand-off is lost)."""
    has_subscribers = bool(subscribers_for(kind))
    now = timezone.now()
    event = TimelineEvent.objects.create(
        customer_id=customer_id,
        kind=kind,
        dealer_id=dealer_id,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        data=data or {},
        occurred_at=occurred_at or now,
        dispatched_at=None if has_subscribers else now,
    )
    if has_subscribers:
        transaction.on_commit(partial(_enqueue_dispatch, event.id))
    return event


def _enqueue_dispatch(event_id: int) -> None:
    try:
        current_app.send_task(DISPATCH_TASK, kwargs={"event_id": event_id})
    except Exception:  # the sweep will find it; a broker outage must not fail the committed request
        logger.exception("could not enqueue timeline dispatch for event %s", event_id)


def event_dispatch(*, event_id: int) -> int:
    """Hand one event to each of its subscribers, at most once each. Safe to run twice or concurrently:
    the delivery row is claimed with INSERT … ON CONFLICT in the subscriber's own transaction, so a second
    run waits for the first and then skips. Returns how many subscribers handled it now."""
    with network_wide(reason="timeline dispatch"):
        event = TimelineEvent.objects.filter(id=event_id).first()
    if event is None or event.dispatched_at is not None:
        return 0
    handled, failed = 0, []
    for subscriber in subscribers_for(event.kind):
        try:
            with network_wide(reason=f"timeline subscriber {subscriber.name}"):
                if not _claim_delivery(event.id, subscriber.name):
                    continue
                subscriber.handler(event)
                handled += 1
        except Exception:
            logger.exception("subscriber %s failed on event %s", subscriber.name, event.id)
            failed.append(subscriber.name)
    with network_wide(reason="timeline dispatch"):
        if failed:
            TimelineEvent.objects.filter(id=event.id).update(dispatch_attempts=F("dispatch_attempts") + 1)
        else:
            TimelineEvent.objects.filter(id=event.id, dispatched_at__isnull=True).update(
                dispatched_at=timezone.now()
            )
    if failed:
        raise SubscriberFailed(event_id=event.id, subscribers=failed)
    return handled


class SubscriberFailed(Exception):
    def __init__(self, *, event_id: int, subscribers: list[str]):
        super().__init__(f"event {event_id}: {', '.join(subscribers)} failed")


def _claim_delivery(event_id: int, subscriber: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO timeline_eventdelivery (event_id, subscriber, delivered_at) VALUES (%s, %s, now()) "
            "ON CONFLICT (event_id, subscriber) DO NOTHING RETURNING id",
            [event_id, subscriber],
        )
        return cursor.fetchone() is not None


def events_undispatched_ids(*, older_than: timedelta = timedelta(seconds=30), limit: int = 500) -> list[int]:
    """Events whose hand-off after commit was lost (a process died between commit and enqueue)."""
    with network_wide(reason="timeline dispatch sweep"):
        return list(
            TimelineEvent.objects.filter(
                dispatched_at__isnull=True,
                recorded_at__lt=timezone.now() - older_than,
                dispatch_attempts__lt=MAX_DISPATCH_ATTEMPTS,
            )
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
