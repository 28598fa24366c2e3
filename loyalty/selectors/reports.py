"""The club's reports: a member's monthly statement, and the OEM's monthly settlement between dealers
(points earned at one dealer and redeemed at another: the earning dealer owes the redeeming one what the
discount was worth; points the OEM funded — referrals, campaigns, its own adjustments — the OEM owes)."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from crm.network.models import Dealer
from loyalty.models import EntryKind, Member, PendingPoints, PointsAllocation, PointsEntry, PointsLot
from loyalty.selectors.club import add_months, programme_current
from loyalty.selectors.ledger import entries_between, total_before

CENT = Decimal("0.01")


def month_bounds(month: date, zone: str | None = None) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next, in `zone` (default: the project's)."""
    tz = ZoneInfo(zone or settings.TIME_ZONE)
    first = month.replace(day=1)
    return datetime.combine(first, time.min, tzinfo=tz), datetime.combine(add_months(first, 1), time.min, tzinfo=tz)


def parse_month(text: str | None, *, default: date) -> date:
    try:
        year, month = (int(part) for part in (text or "").split("-", 1))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return default.replace(day=1)


@dataclass(frozen=True)
class Statement:
    member: Member
    month: date
    opening: int
    entries: list[PointsEntry]
    earned: int
    spent: int
    closing: int


def statement_for(*, member: Member, month: date) -> Statement:
    start, end = month_bounds(month, member.home_dealer.time_zone)
    entries = list(entries_between(member=member, start=start, end=end))
    opening = total_before(member=member, moment=start)
    earned = sum(e.points for e in entries if e.points > 0)
    spent = sum(e.points for e in entries if e.points < 0)
    return Statement(member, month, opening, entries, earned, spent, opening + earned + spent)


@dataclass(frozen=True)
class SettlementRow:
    payer: str  # a dealer's name, or "OEM"
    payer_dealer_id: int | None
    payee_dealer_id: int
    payee: str
    points: int
    amount: Decimal


def settlement_for(*, month: date) -> list[SettlementRow]:
    """Who owes whom for the month's redemptions (net of redemptions released in the month), one row per
    payer and redeeming dealer; points redeemed where the dealer funded them itself are nobody's debt."""
    start, end = month_bounds(month)
    redeemed = (
        PointsAllocation.objects.filter(
            Q(entry__kind=EntryKind.REDEEM) | Q(entry__kind=EntryKind.REVERSE, entry__reverses__kind=EntryKind.REDEEM),
            entry__occurred_at__gte=start,
            entry__occurred_at__lt=end,
            entry__dealer__isnull=False,
        )
        .values("lot__funded_by", "lot__dealer_id", "entry__dealer_id")
        .annotate(points=Sum("points"))
    )
    value = programme_current().point_value
    names = dict(Dealer.objects.values_list("id", "name"))
    rows = []
    for row in redeemed:
        points = -(row["points"] or 0)
        payee = row["entry__dealer_id"]
        is_oem = row["lot__funded_by"] == PointsLot.Funder.OEM or row["lot__dealer_id"] is None
        payer = None if is_oem else row["lot__dealer_id"]
        if points == 0 or payer == payee:
            continue
        rows.append(
            SettlementRow(
                payer=names.get(payer, "") if payer else "",
                payer_dealer_id=payer,
                payee_dealer_id=payee,
                payee=names.get(payee, ""),
                points=points,
                amount=(Decimal(points) * value).quantize(CENT, rounding=ROUND_HALF_UP),
            )
        )
    merged: dict[tuple, SettlementRow] = {}
    for row in rows:
        key = (row.payer_dealer_id, row.payee_dealer_id)
        if key in merged:
            old = merged[key]
            row = SettlementRow(
                old.payer, old.payer_dealer_id, old.payee_dealer_id, old.payee,
                old.points + row.points, old.amount + row.amount,
            )
        merged[key] = row
    return sorted(merged.values(), key=lambda r: (r.payer_dealer_id is not None, r.payer, r.payee))


@dataclass(frozen=True)
class Liability:
    points: int
    amount: Decimal
    pending: int
    members: int


def liability_now() -> Liability:
    """What the programme owes members right now (points in unexpired lots, at the current point value),
    plus the points still pending, over the members the viewer may see."""
    points = (
        PointsLot.objects.filter(remaining__gt=0, expires_at__gt=timezone.now()).aggregate(total=Sum("remaining"))[
            "total"
        ]
        or 0
    )
    pending = PendingPoints.objects.filter(status=PendingPoints.Status.PENDING).aggregate(total=Sum("points"))
    return Liability(
        points=points,
        amount=(Decimal(points) * programme_current().point_value).quantize(CENT, rounding=ROUND_HALF_UP),
        pending=pending["total"] or 0,
        members=Member.objects.count(),
    )
