from celery import shared_task

from leads.services.reminders import staff_reminders_run_once
from leads.services.sla_watch import sla_breaches_mark


@shared_task(name="leads.tasks.sla_breaches_mark", acks_late=True)
def sla_breaches_mark_task() -> int:
    return sla_breaches_mark()


@shared_task(name="leads.tasks.staff_reminders", acks_late=True)
def staff_reminders() -> dict | None:
    """Once a minute (beat): digests, due-soon reminders and escalations of due rows, each sent once."""
    return staff_reminders_run_once()
