"""Reads of the bell and the notifications page. A notification belongs to one user: every read filters on
the user, so another user's notification looks missing. Beside the notifications, what the user has overdue
right now (what higher apps register as due sources: leads' overdue follow-ups), reminder or not."""

from dataclasses import dataclass
from functools import cached_property

from crm.messaging.models import Notification
from crm.messaging.registry import DueItem, DueSource, due_sources

# The badge counts up to this many unread notifications ("99+" beyond): the count stays an index scan of
# at most this many entries however many a user lets pile up.
BADGE_CAP = 100


def notifications_unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@dataclass
class Badge:
    """The bell's unread count for the header, counted only when a template shows it."""

    user: object

    @cached_property
    def count(self) -> int:
        if not getattr(self.user, "is_authenticated", False):
            return 0
        return Notification.objects.filter(user=self.user, read_at__isnull=True)[:BADGE_CAP].count()

    @property
    def label(self) -> str:
        return _capped(self.count)

    @cached_property
    def overdue(self) -> int:
        """What is overdue now, counted only when the badge is drawn (after the page, then each minute)."""
        if not getattr(self.user, "is_authenticated", False):
            return 0
        return min(sum(source.count(self.user, BADGE_CAP) for source in due_sources()), BADGE_CAP)

    @property
    def overdue_label(self) -> str:
        return _capped(self.overdue)


def _capped(count: int) -> str:
    return f"{BADGE_CAP - 1}+" if count >= BADGE_CAP else str(count)


@dataclass(frozen=True)
class DueGroup:
    source: DueSource
    count: int
    items: list[DueItem]

    @property
    def label(self) -> str:
        return _capped(self.count)


def due_now(*, user, limit: int = 50) -> list[DueGroup]:
    """What the user has overdue now, per registered source, the longest overdue first: up to `limit` items
    each and how many in all (counted up to the badge's cap only when there are more than `limit`)."""
    groups = []
    for source in due_sources():
        items = source.items(user, limit + 1)
        count = source.count(user, BADGE_CAP) if len(items) > limit else len(items)
        if items:
            groups.append(DueGroup(source=source, count=count, items=items[:limit]))
    return groups


def notifications_latest(*, user, limit: int = 8) -> list[Notification]:
    """The user's newest notifications, read or not (the bell's dropdown)."""
    return list(Notification.objects.filter(user=user).order_by("-created_at", "-id")[:limit])


def notifications_page(
    *, user, unread_only: bool = False, page: int = 1, per_page: int = 25
) -> tuple[list[Notification], bool]:
    """One page of the user's notifications, newest first, and whether another page follows."""
    notifications = Notification.objects.filter(user=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    start = (max(page, 1) - 1) * per_page
    rows = list(notifications.order_by("-created_at", "-id")[start : start + per_page + 1])
    return rows[:per_page], len(rows) > per_page
