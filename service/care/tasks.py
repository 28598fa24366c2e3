"""Beat's complaint escalation scan: thin, safe to run twice (the service escalates each level once)."""

from celery import shared_task

from service.care.services import complaints_escalate as escalate


@shared_task(name="service.care.tasks.complaints_escalate", acks_late=True)
def complaints_escalate() -> int:
    return escalate()
