"""Beat jobs of the dealers app: thin, idempotent, each calls one service."""

from celery import shared_task

from dealers.services.findings import findings_escalate as _findings_escalate
from dealers.services.mystery import mystery_shops_reconcile_pending
from dealers.services.scorecards import scorecards_draft as _scorecards_draft


@shared_task(name="dealers.tasks.scorecards_draft", acks_late=True)
def scorecards_draft() -> dict:
    """Hourly: the month that closed in the OEM's zone gets its drafts, earlier months their restatements
    (a run that finds nothing new changes nothing)."""
    return _scorecards_draft()


@shared_task(name="dealers.tasks.findings_escalate", acks_late=True)
def findings_escalate() -> int:
    """Hourly: overdue findings escalated once each; pending mystery-shop follow-ups reconciled again."""
    escalated = _findings_escalate()
    mystery_shops_reconcile_pending()
    return escalated
