"""The first-response clock keeps running without anyone looking: a periodic sweep marks leads whose due
time passed with no contact attempt, so breaches show in reports before anyone logs a contact."""

from django.utils import timezone

from crm.core.scope import network_wide
from leads.models import OPEN_STAGES, Lead


def sla_breaches_mark() -> int:
    """Mark every open lead past its first-response due time without a contact attempt. Idempotent."""
    with network_wide(reason="first-response SLA sweep"):
        return Lead.objects.filter(
            first_contact_at__isnull=True,
            sla_due_at__lt=timezone.now(),
            is_sla_breached=False,
            stage__in=OPEN_STAGES,
        ).update(is_sla_breached=True)
