from celery import shared_task

from leads.services.sla_watch import sla_breaches_mark


@shared_task(name="leads.tasks.sla_breaches_mark", acks_late=True)
def sla_breaches_mark_task() -> int:
    return sla_breaches_mark()
