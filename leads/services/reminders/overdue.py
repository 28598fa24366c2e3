"""What a salesperson has overdue right now, for the bell and the notifications page (registered with
messaging in leads/messaging_hooks.py): their open follow-ups past due, whether or not a reminder was ever
sent, so nothing overdue hides behind a missed reminder. Read in the request's own scope.

"Theirs" is who the reminders go to: the follow-up's assignee, else the lead's owner. "Open" is what the
reminders count: a follow-up not done on an open lead, or a delivered lead's call-back.
"""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.messaging.registry import DueItem
from leads.models import OPEN_STAGES, FollowUp, Stage
from leads.services.common import CALLBACK_REASONS
from leads.services.reminders.common import lead_path


def overdue_follow_ups(*, user, now: datetime | None = None) -> QuerySet[FollowUp]:
    """The user's follow-ups past due, the longest overdue first."""
    return (
        FollowUp.objects.filter(done_at__isnull=True, due_at__lt=now or timezone.now())
        .filter(Q(assigned_to=user) | Q(assigned_to__isnull=True, lead__owner=user))
        .filter(Q(lead__stage__in=OPEN_STAGES) | Q(lead__stage=Stage.DELIVERED, reason__in=CALLBACK_REASONS))
        .order_by("due_at", "id")
    )


def overdue_count(user, cap: int) -> int:
    """How many, counting at most `cap` (the bell asks every minute)."""
    return overdue_follow_ups(user=user)[:cap].count()


def overdue_items(user, limit: int) -> list[DueItem]:
    follow_ups = overdue_follow_ups(user=user).select_related("lead__customer")[:limit]
    return [
        DueItem(
            title=follow_up.lead.customer.name or _("Unnamed customer"),
            link=lead_path(follow_up.lead_id),
            due_at=follow_up.due_at,
            detail=" · ".join(
                filter(None, [follow_up.get_reason_display(), follow_up.lead.get_stage_display()])
            ),
        )
        for follow_up in follow_ups
    ]
