"""The owner club's beat jobs: thin, network-wide by necessity (they cross every dealer), each in batches of
short transactions, each safe to run twice (the services key every write).

Loyalty's Celery tasks: thin, network-wide by necessity (they sweep every dealer), safe to run twice.
"""

from celery import shared_task

from crm.core.scope import network_wide
from loyalty.services.club import tiers_evaluate
from loyalty.services.ledger import lots_expire, pending_points_release
from loyalty.services.surveys import complaints_open_due, invitations_remind_due, nps_invitations_due

BATCH = 500


@shared_task(name="loyalty.tasks.points_expire", acks_late=True)
def points_expire() -> int:
    """Every lot past the end of its last day (in its member's dealer's zone) expires; hourly, so each zone's
    midnight is caught within the hour."""
    total = 0
    while True:
        with network_wide(reason="loyalty: points expiry run"):
            expired = lots_expire(limit=BATCH)
        total += expired
        if expired < BATCH:
            return total


@shared_task(name="loyalty.tasks.pending_points_release", acks_late=True)
def pending_points_release_task() -> int:
    total = 0
    while True:
        with network_wide(reason="loyalty: pending points past their return window"):
            credited = pending_points_release(limit=BATCH)
        total += credited
        if credited < BATCH:
            return total


@shared_task(name="loyalty.tasks.tiers_evaluate", acks_late=True)
def tiers_evaluate_task() -> int:
    last_id, batches = 0, 0
    while True:
        with network_wide(reason="loyalty: nightly tier re-evaluation"):
            last_id = tiers_evaluate(after_id=last_id, batch=BATCH)
        if last_id is None:
            return batches
        batches += 1


@shared_task(name="loyalty.tasks.survey_reminders", acks_late=True)
def survey_reminders() -> int:
    with network_wide(reason="survey reminders: unanswered invitations of every dealer"):
        return invitations_remind_due()


@shared_task(name="loyalty.tasks.survey_complaints", acks_late=True)
def survey_complaints() -> int:
    with network_wide(reason="survey complaints: low responses of every dealer"):
        return complaints_open_due()


@shared_task(name="loyalty.tasks.nps_invitations", acks_late=True)
def nps_invitations() -> int:
    """NPS-only surveys due today: after deliveries and members' periodic ones (keyed by occasion)."""
    total = 0
    while True:
        with network_wide(reason="NPS surveys: deliveries and members of every dealer"):
            created = nps_invitations_due(limit=BATCH)
        total += created
        if created < BATCH:
            return total
