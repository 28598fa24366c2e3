"""Reads of the points ledger: balances, lots expiring soon, pending points, history, monthly statements."""

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from loyalty.models import Member, PendingPoints, PointsEntry, PointsLot


def balance_of(*, member: Member, at: datetime | None = None) -> int:
    """What the member may spend now: the points remaining in unexpired lots."""
    at = at or timezone.now()
    total = PointsLot.objects.filter(member=member, remaining__gt=0, expires_at__gt=at).aggregate(
        total=Sum("remaining")
    )["total"]
    return total or 0


def expiring_within(*, member: Member, days: int, at: datetime | None = None) -> int:
    at = at or timezone.now()
    total = PointsLot.objects.filter(
        member=member, remaining__gt=0, expires_at__gt=at, expires_at__lte=at + timedelta(days=days)
    ).aggregate(total=Sum("remaining"))["total"]
    return total or 0


def lots_expiring(*, member: Member, days: int, at: datetime | None = None) -> QuerySet[PointsLot]:
    at = at or timezone.now()
    return PointsLot.objects.filter(
        member=member, remaining__gt=0, expires_at__gt=at, expires_at__lte=at + timedelta(days=days)
    ).order_by("expires_at", "id")


def pending_of(*, member: Member) -> int:
    total = PendingPoints.objects.filter(member=member, status=PendingPoints.Status.PENDING).aggregate(
        total=Sum("points")
    )["total"]
    return total or 0


def history_of(*, member: Member) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(member=member).select_related("dealer", "repair_order").order_by(
        "-occurred_at", "-id"
    )


def entries_between(*, member: Member, start: datetime, end: datetime) -> QuerySet[PointsEntry]:
    return history_of(member=member).filter(occurred_at__gte=start, occurred_at__lt=end).order_by("occurred_at", "id")


def total_before(*, member: Member, moment: datetime) -> int:
    """The sum of the member's entries before `moment` (the opening balance of a statement)."""
    total = PointsEntry.objects.filter(Q(member=member) & Q(occurred_at__lt=moment)).aggregate(total=Sum("points"))
    return total["total"] or 0
