from celery import shared_task

from crm.timeline.services import SubscriberFailed, event_dispatch, events_undispatched_ids


@shared_task(
    name="crm.timeline.tasks.timeline_dispatch",
    acks_late=True,
    autoretry_for=(SubscriberFailed,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def timeline_dispatch(*, event_id: int) -> int:
    return event_dispatch(event_id=event_id)


@shared_task(name="crm.timeline.tasks.timeline_dispatch_sweep", acks_late=True)
def timeline_dispatch_sweep() -> int:
    event_ids = events_undispatched_ids()
    for event_id in event_ids:
        timeline_dispatch.delay(event_id=event_id)
    return len(event_ids)
