"""The points ledger's writes: earn, redeem, reverse, adjust, expire, release pending points.

Guarantees (see loyalty.models.ledger):
- Every write is one transaction that first locks the member's row (SELECT … FOR UPDATE), so writes to one
  member's points run one after another: concurrent redemptions that together exceed the balance leave
  exactly one winner, and the others see the balance the winner left and get InsufficientPoints.
- Every write carries an idempotency key (unique in the database). A retry with the same key returns the
  entry the first call wrote and writes nothing; the key is looked up under the member's lock, and the
  unique constraint is the backstop.
- Debits draw from unexpired lots, nearest expiry first, recorded as allocations. A reversal of a debit
  returns each allocation to its lot; what lands in an already expired lot is expired again at once (an
  expire entry), so a reversal never revives expired points.
- Expiry writes one expire entry per lot (keyed by the lot), so running the job twice changes nothing.
- The sum of a member's entries equals the sum of its lots' remaining points; the balance is what remains
  in the unexpired ones (equal once the expiry run has passed).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from crm.core.exceptions import NotFound
from loyalty.exceptions import (
    AlreadyReversed,
    ApprovalRequired,
    IdempotencyKeyReused,
    InsufficientPoints,
    NothingToReverse,
    PointsAmountInvalid,
)
from loyalty.models import EntryKind, Member, PendingPoints, PointsAllocation, PointsEntry, PointsLot
from loyalty.models.ledger import EarnSource
from loyalty.selectors.club import add_months, programme_current

Funder = PointsLot.Funder


def member_lock(member_id: int) -> Member:
    """The member, locked for the rest of the transaction (the one lock every ledger write takes first)."""
    member = Member.objects.select_for_update(of=("self",)).select_related("home_dealer").filter(id=member_id).first()
    if member is None:
        raise NotFound()
    return member


def _existing(key: str, member: Member) -> PointsEntry | None:
    entry = PointsEntry.objects.filter(idempotency_key=key).first()
    if entry is not None and entry.member_id != member.id:
        raise IdempotencyKeyReused()
    return entry


def whole_points(points) -> int:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise PointsAmountInvalid()
    return points


def lot_expiry(*, member: Member, earned_at: datetime) -> datetime:
    """The end of the last day of the lot's life, in the member's home dealer's zone: a lot earned on 3 March
    local time with 24 months' life is spendable through 3 March two years later, local midnight."""
    zone = ZoneInfo(member.home_dealer.time_zone)
    last_day = add_months(timezone.localtime(earned_at, zone).date(), programme_current().expiry_months)
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def _entry(member: Member, **fields) -> PointsEntry:
    fields.setdefault("occurred_at", timezone.now())
    try:
        with transaction.atomic():
            return PointsEntry.objects.create(member=member, **fields)
    except IntegrityError:
        # Only a concurrent writer with the same key gets here (we hold the member's lock): its entry wins.
        existing = PointsEntry.objects.filter(idempotency_key=fields["idempotency_key"]).first()
        if existing is None:
            raise
        return existing


def _credit(member: Member, *, funded_by: str, **fields) -> PointsEntry:
    entry = _entry(member, **fields)
    PointsLot.objects.create(
        entry=entry,
        member=member,
        dealer_id=entry.dealer_id,
        funded_by=funded_by,
        points=entry.points,
        remaining=entry.points,
        expires_at=lot_expiry(member=member, earned_at=entry.occurred_at),
    )
    return entry


@dataclass(frozen=True)
class _Take:
    lot_id: int
    points: int


def _plan(
    member: Member, points: int, now: datetime, *, excluding: int | None = None, partial: bool = False
) -> list[_Take]:
    """Which unexpired lots a debit of `points` draws from, nearest expiry first; InsufficientPoints else
    (or, when `partial`, as much as there is)."""
    # A lot is spendable from when it was earned (an import or the demo may record a debit in the past).
    lots = PointsLot.objects.filter(member=member, remaining__gt=0, expires_at__gt=now, entry__occurred_at__lte=now)
    if excluding is not None:
        lots = lots.exclude(id=excluding)
    plan, still = [], points
    for lot_id, remaining in lots.order_by("expires_at", "id").values_list("id", "remaining").iterator(chunk_size=200):
        take = min(remaining, still)
        plan.append(_Take(lot_id, take))
        still -= take
        if still == 0:
            return plan
    if partial:
        return plan
    raise InsufficientPoints(extra={"balance": points - still, "requested": points})


def _draw(entry: PointsEntry, plan: list[_Take]) -> None:
    for take in plan:
        PointsLot.objects.filter(id=take.lot_id).update(remaining=F("remaining") - take.points)
    PointsAllocation.objects.bulk_create(
        PointsAllocation(entry=entry, lot_id=take.lot_id, member_id=entry.member_id, points=-take.points)
        for take in plan
    )


def _debit(member: Member, *, points: int, now: datetime, **fields) -> PointsEntry:
    plan = _plan(member, points, now)
    entry = _entry(member, points=-points, occurred_at=now, **fields)
    _draw(entry, plan)
    return entry


@transaction.atomic
def points_earn(
    *,
    member: Member,
    points: int,
    source: str,
    idempotency_key: str,
    dealer=None,
    by=None,
    reason: str = "",
    repair_order=None,
    funded_by: str = Funder.DEALER,
    occurred_at: datetime | None = None,
) -> PointsEntry:
    """Credit `points` to the member as a new lot (qualifying for the tier). Idempotent by key."""
    member = member_lock(member.id)
    existing = _existing(idempotency_key, member)
    if existing is not None:
        return existing
    return _credit(
        member,
        funded_by=funded_by if dealer is not None else Funder.OEM,
        kind=EntryKind.EARN,
        source=source,
        points=whole_points(points),
        dealer=dealer,
        is_qualifying=True,
        repair_order=repair_order,
        reason=reason[:300],
        actor=_user(by),
        idempotency_key=idempotency_key,
        occurred_at=occurred_at or timezone.now(),
    )


@transaction.atomic
def points_redeem(
    *,
    member: Member,
    points: int,
    idempotency_key: str,
    dealer=None,
    by=None,
    repair_order=None,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> PointsEntry:
    """Spend `points` from the member's lots unexpired at `occurred_at` (now; an import or the demo may
    record an earlier time), nearest expiry first. Raises InsufficientPoints (and writes nothing) when the
    balance does not cover it. Idempotent by key."""
    member = member_lock(member.id)
    existing = _existing(idempotency_key, member)
    if existing is not None:
        return existing
    return _debit(
        member,
        points=whole_points(points),
        now=occurred_at or timezone.now(),
        kind=EntryKind.REDEEM,
        source=EarnSource.REDEMPTION,
        dealer=dealer,
        repair_order=repair_order,
        reason=reason[:300],
        actor=_user(by),
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def points_adjust(
    *, member: Member, points: int, reason: str, approver, idempotency_key: str, by=None, dealer=None
) -> PointsEntry:
    """A manual correction, up (a new lot, not qualifying for the tier) or down (drawn like a redemption).
    Needs a reason and an approver who is not the person asking."""
    if not reason.strip() or approver is None or (by is not None and getattr(by, "pk", None) == approver.pk):
        raise ApprovalRequired()
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise PointsAmountInvalid()
    member = member_lock(member.id)
    existing = _existing(idempotency_key, member)
    if existing is not None:
        return existing
    fields = {
        "kind": EntryKind.ADJUST,
        "source": EarnSource.ADJUSTMENT,
        "dealer": dealer,
        "reason": reason.strip()[:300],
        "approver": approver,
        "actor": _user(by),
        "idempotency_key": idempotency_key,
    }
    if points > 0:
        return _credit(member, funded_by=Funder.DEALER if dealer else Funder.OEM, points=points, **fields)
    return _debit(member, points=-points, now=timezone.now(), **fields)


def _expire_returned(member: Member, reversal: PointsEntry, returned: dict[int, int], now: datetime) -> None:
    """Points a reversal put back into lots already past their expiry expire again at once."""
    expired_lots = dict(
        PointsLot.objects.filter(id__in=returned, expires_at__lte=now).values_list("id", "expires_at")
    )
    if not expired_lots:
        return
    total = sum(returned[lot_id] for lot_id in expired_lots)
    entry = _entry(
        member,
        kind=EntryKind.EXPIRE,
        source=EarnSource.EXPIRY,
        points=-total,
        dealer=None,
        reason="returned to an expired lot",
        idempotency_key=f"{reversal.idempotency_key}:expired",
        occurred_at=now,
    )
    _draw(entry, [_Take(lot_id, returned[lot_id]) for lot_id in sorted(expired_lots)])
    PointsLot.objects.filter(id__in=expired_lots, expired_at__isnull=True).update(expired_at=now)


@transaction.atomic
def points_reverse(*, entry: PointsEntry, idempotency_key: str, by=None, reason: str = "") -> PointsEntry:
    """Undo one entry, pointing at it. A debit's points go back to the lots it drew from (those already
    expired expire again at once); a credit's points are taken back from its lot, and if its lot was partly
    spent, from the member's other lots as far as the balance goes (what of it expired is not taken twice). Idempotent by key; a second
    reversal of the same entry raises AlreadyReversed."""
    member = member_lock(entry.member_id)
    existing = _existing(idempotency_key, member)
    if existing is not None:
        return existing
    entry = PointsEntry.objects.get(id=entry.id)
    if PointsEntry.objects.filter(reverses=entry).exists():
        raise AlreadyReversed()
    if entry.kind in (EntryKind.EXPIRE, EntryKind.REVERSE):
        raise NothingToReverse()
    now = timezone.now()
    common = {
        "kind": EntryKind.REVERSE,
        "source": entry.source,
        "dealer": entry.dealer,
        "reverses": entry,
        "repair_order": entry.repair_order,
        "reason": reason[:300],
        "actor": _user(by),
        "idempotency_key": idempotency_key,
    }
    if entry.points < 0:
        returned = {a.lot_id: -a.points for a in PointsAllocation.objects.filter(entry=entry)}
        reversal = _entry(member, points=-entry.points, occurred_at=now, **common)
        for lot_id, points in returned.items():
            PointsLot.objects.filter(id=lot_id).update(remaining=F("remaining") + points)
        PointsAllocation.objects.bulk_create(
            PointsAllocation(entry=reversal, lot_id=lot_id, member=member, points=points)
            for lot_id, points in returned.items()
        )
        _expire_returned(member, reversal, returned, now)
        return reversal
    lot = PointsLot.objects.get(entry=entry)
    expired = -(
        PointsAllocation.objects.filter(lot=lot, entry__kind=EntryKind.EXPIRE).aggregate(total=Sum("points"))["total"]
        or 0
    )
    owed = entry.points - expired
    if owed <= 0:
        raise NothingToReverse()
    from_lot = min(lot.remaining if lot.expires_at > now else 0, owed)
    plan = [_Take(lot.id, from_lot)] if from_lot else []
    if owed > from_lot:
        # Spent already: taken from the member's other lots, as far as they go (never below zero).
        plan += _plan(member, owed - from_lot, now, excluding=lot.id, partial=True)
    owed = sum(take.points for take in plan)
    if owed == 0:
        raise NothingToReverse()
    reversal = _entry(member, points=-owed, occurred_at=now, **{**common, "is_qualifying": entry.is_qualifying})
    _draw(reversal, plan)
    return reversal


def points_transfer_open_lots(*, source: Member, target: Member, key_prefix: str, reason: str) -> int:
    """Move every unexpired remaining point of `source` to `target`, lot by lot: a transfer entry out of the
    lot (an allocation emptying it) and a transfer entry into a new lot of `target` with the same expiry,
    earning dealer and funder, so settlement and expiry read as before. The caller holds both members' locks
    (taken in id order) inside its transaction. Idempotent by `key_prefix` and the lot. Returns the points
    moved. Not qualifying: the tier counts the merged member's earnings where they were made."""
    now = timezone.now()
    moved = 0
    lots = PointsLot.objects.filter(member=source, remaining__gt=0, expires_at__gt=now).order_by("expires_at", "id")
    for lot in lots.select_related("entry"):
        out_key, in_key = f"{key_prefix}:lot:{lot.id}:out", f"{key_prefix}:lot:{lot.id}:in"
        if _existing(out_key, source) is not None:
            continue
        common = {"kind": EntryKind.TRANSFER, "source": EarnSource.MERGE, "dealer_id": lot.dealer_id, "reason": reason[:300]}
        out = _entry(source, points=-lot.remaining, idempotency_key=out_key, occurred_at=now, **common)
        _draw(out, [_Take(lot.id, lot.remaining)])
        into = _entry(target, points=lot.remaining, idempotency_key=in_key, occurred_at=now, **common)
        PointsLot.objects.create(
            entry=into, member=target, dealer_id=lot.dealer_id, funded_by=lot.funded_by, points=lot.remaining,
            remaining=lot.remaining, expires_at=lot.expires_at,
        )  # fmt: skip
        moved += lot.remaining
    return moved


def lots_expire(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Expire what remains in every lot past its end of day: one expire entry per lot, keyed by the lot, each
    in its own short transaction under the member's lock. Safe to run twice or concurrently. The caller
    states the scope (the beat task runs network-wide). Returns how many lots expired now."""
    now = now or timezone.now()
    due = list(
        PointsLot.objects.filter(remaining__gt=0, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("id", "member_id")[:limit]
    )
    expired = 0
    for lot_id, member_id in due:
        with transaction.atomic():
            member = member_lock(member_id)
            lot = PointsLot.objects.get(id=lot_id)
            if lot.remaining == 0:
                continue
            key = f"expire:lot:{lot.id}"
            if _existing(key, member) is not None:
                continue
            entry = _entry(
                member,
                kind=EntryKind.EXPIRE,
                source=EarnSource.EXPIRY,
                points=-lot.remaining,
                idempotency_key=key,
                occurred_at=now,
            )
            _draw(entry, [_Take(lot.id, lot.remaining)])
            PointsLot.objects.filter(id=lot.id).update(expired_at=now)
            expired += 1
    return expired


@transaction.atomic
def pending_points_record(
    *, member: Member, repair_order, points: int, settled_at: datetime, campaign=None, campaign_points: int = 0
) -> PendingPoints:
    """Points earned on a settled repair order (and an OEM campaign's extra points) wait for its return
    window (idempotent by the order)."""
    window = timedelta(days=programme_current().return_window_days)
    pending, _created = PendingPoints.objects.get_or_create(
        repair_order=repair_order,
        defaults={
            "member": member,
            "dealer_id": repair_order.dealer_id,
            "points": whole_points(points),
            "campaign": campaign if campaign_points > 0 else None,
            "campaign_points": max(campaign_points, 0),
            "available_at": settled_at + window,
        },
    )
    return pending


@transaction.atomic
def pending_points_cancel(*, repair_order_id: int) -> int:
    return PendingPoints.objects.filter(repair_order_id=repair_order_id, status=PendingPoints.Status.PENDING).update(
        status=PendingPoints.Status.CANCELLED
    )


def pending_points_release(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Credit every pending amount whose return window has passed (one earn entry keyed by the order, each
    in its own transaction). Safe to run twice. Returns how many were credited now."""
    now = now or timezone.now()
    due = list(
        PendingPoints.objects.filter(status=PendingPoints.Status.PENDING, available_at__lte=now)
        .order_by("available_at", "id")
        .values_list("id", "member_id")[:limit]
    )
    credited = 0
    for pending_id, member_id in due:
        with transaction.atomic():
            member = member_lock(member_id)
            pending = PendingPoints.objects.select_for_update().get(id=pending_id)
            if pending.status != PendingPoints.Status.PENDING:
                continue
            entry = points_earn(
                member=member,
                points=pending.points,
                source=EarnSource.SERVICE,
                dealer=pending.dealer,
                repair_order=pending.repair_order,
                idempotency_key=f"service:repair_order:{pending.repair_order_id}",
                occurred_at=pending.available_at,
            )
            if pending.campaign_points:
                points_earn(
                    member=member,
                    points=pending.campaign_points,
                    source=EarnSource.CAMPAIGN,
                    dealer=pending.dealer,
                    funded_by=Funder.OEM,
                    repair_order=pending.repair_order,
                    reason=pending.campaign.name if pending.campaign_id else "",
                    idempotency_key=f"service:repair_order:{pending.repair_order_id}:campaign",
                    occurred_at=pending.available_at,
                )
            PendingPoints.objects.filter(id=pending.id).update(status=PendingPoints.Status.CREDITED, entry=entry)
            credited += 1
    return credited
