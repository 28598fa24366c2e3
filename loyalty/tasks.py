"""Loyalty's Celery tasks: thin, network-wide by necessity (they sweep every dealer), safe to run twice."""

from celery import shared_task

from crm.core.scope import network_wide
from loyalty.services.surveys import complaints_open_due, invitations_remind_due

# --- Satisfaction surveys -------------------------------------------------------------------------------


@shared_task(name="loyalty.tasks.survey_reminders", acks_late=True)
def survey_reminders() -> int:
    with network_wide(reason="survey reminders: unanswered invitations of every dealer"):
        return invitations_remind_due()


@shared_task(name="loyalty.tasks.survey_complaints", acks_late=True)
def survey_complaints() -> int:
    with network_wide(reason="survey complaints: low responses of every dealer"):
        return complaints_open_due()
