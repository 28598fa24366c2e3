"""Beat jobs of the dealers app: thin, idempotent, each calls one service.

The daily facts' nightly pass: one task plans the batches, one task per batch of dealers recomputes them (each
safe to run twice: a refresh rewrites its cells).
"""

from datetime import date

from celery import shared_task
from django.conf import settings

from crm.core.scope import network_wide
from dealers.services.facts import dealer_batches, facts_rederive, rederive_days
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


@shared_task(name="dealers.tasks.facts_rederive_recent", acks_late=True)
def facts_rederive_recent() -> int:
    with network_wide(reason="nightly re-derivation of the dealers' daily facts: planning"):
        first_day, last_day = rederive_days(days=settings.DEALERS_FACTS_REDERIVE_DAYS)
        batches = dealer_batches()
    for batch in batches:
        facts_rederive_batch.delay(
            dealer_ids=batch, first_day=first_day.isoformat(), last_day=last_day.isoformat()
        )
    return len(batches)


@shared_task(name="dealers.tasks.facts_rederive_batch", acks_late=True)
def facts_rederive_batch(*, dealer_ids: list[int], first_day: str, last_day: str) -> int:
    with network_wide(reason="nightly re-derivation of the dealers' daily facts"):
        return facts_rederive(
            dealer_ids=dealer_ids, first_day=date.fromisoformat(first_day), last_day=date.fromisoformat(last_day)
        )
