"""The owner club's measures for the key-figure registry (crm.core.key_figures), computed from the ledger and
the funnel's deliveries per dealer and per local day of that dealer:

- points issued (credits earned at the dealer) and points redeemed there (net of released redemptions);
- the members active at the dealer (earned or redeemed there), as member ids, so a period counts each once;
- members who joined with the dealer as home dealer;
- deliveries, and "loyal" deliveries: to an owner who already had a car, or through an owner's referral —
  the loyalty index is their share.
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncDate

from crm.customers.models import Vehicle
from crm.network.models import Dealer
from leads.models import LeadType, Order
from loyalty.models import EntryKind, Member, PointsEntry


def _zones(dealer_ids) -> dict[str, list[int]]:
    by_zone: dict[str, list[int]] = {}
    for dealer_id, zone in Dealer.objects.filter(id__in=list(dealer_ids)).values_list("id", "time_zone"):
        by_zone.setdefault(zone, []).append(dealer_id)
    return by_zone


def _bounds(first_day: date, last_day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first_day, time.min, tzinfo=zone),
        datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone),
    )


def _per_day(queryset, *, moment: str, dealer: str, dealer_ids, first_day, last_day, value) -> Iterable[tuple]:
    for zone_name, ids in _zones(dealer_ids).items():
        zone = ZoneInfo(zone_name)
        start, end = _bounds(first_day, last_day, zone)
        rows = (
            queryset.filter(**{f"{dealer}__in": ids, f"{moment}__gte": start, f"{moment}__lt": end})
            .annotate(day=TruncDate(moment, tzinfo=zone))
            .values(dealer, "day")
            .annotate(value=value)
        )
        for row in rows:
            yield row[dealer], row["day"], row["value"]


def points_issued(*, dealer_ids, first_day, last_day):
    return _per_day(
        PointsEntry.objects.filter(kind=EntryKind.EARN),
        moment="occurred_at", dealer="dealer_id", dealer_ids=dealer_ids, first_day=first_day, last_day=last_day,
        value=Sum("points"),
    )  # fmt: skip


def points_redeemed(*, dealer_ids, first_day, last_day):
    redeemed = PointsEntry.objects.filter(
        Q(kind=EntryKind.REDEEM) | Q(kind=EntryKind.REVERSE, reverses__kind=EntryKind.REDEEM)
    )
    for dealer_id, day, total in _per_day(
        redeemed, moment="occurred_at", dealer="dealer_id", dealer_ids=dealer_ids, first_day=first_day,
        last_day=last_day, value=Sum("points"),
    ):  # fmt: skip
        yield dealer_id, day, -(total or 0)


def active_member_ids(*, dealer_ids, first_day, last_day):
    active = PointsEntry.objects.filter(kind__in=[EntryKind.EARN, EntryKind.REDEEM])
    per_day: dict[tuple[int, date], set[int]] = {}
    for zone_name, ids in _zones(dealer_ids).items():
        zone = ZoneInfo(zone_name)
        start, end = _bounds(first_day, last_day, zone)
        rows = (
            active.filter(dealer_id__in=ids, occurred_at__gte=start, occurred_at__lt=end)
            .annotate(day=TruncDate("occurred_at", tzinfo=zone))
            .values_list("dealer_id", "day", "member_id")
            .distinct()
        )
        for dealer_id, day, member_id in rows:
            per_day.setdefault((dealer_id, day), set()).add(member_id)
    for (dealer_id, day), members in per_day.items():
        yield dealer_id, day, sorted(members)


def members_joined(*, dealer_ids, first_day, last_day):
    return _per_day(
        Member.objects.all(), moment="joined_at", dealer="home_dealer_id", dealer_ids=dealer_ids,
        first_day=first_day, last_day=last_day, value=Count("id"),
    )  # fmt: skip


def _delivered():
    return Order.objects.filter(status=Order.Status.DELIVERED, delivered_at__isnull=False)


def deliveries(*, dealer_ids, first_day, last_day):
    return _per_day(
        _delivered(), moment="delivered_at", dealer="dealer_id", dealer_ids=dealer_ids, first_day=first_day,
        last_day=last_day, value=Count("id"),
    )  # fmt: skip


def loyal_deliveries(*, dealer_ids, first_day, last_day):
    """Deliveries to an owner who already had a car (another vehicle of theirs bought earlier), or through an
    owner's referral."""
    earlier_car = Vehicle.objects.filter(
        owner_id=OuterRef("lead__customer_id"), purchase_date__lt=OuterRef("delivered_on")
    ).exclude(id=OuterRef("vehicle_id"))
    loyal = _delivered().annotate(delivered_on=TruncDate("delivered_at")).filter(
        Q(lead__type=LeadType.REFERRAL) | Q(lead__answers__has_key="referred_by") | Q(Exists(earlier_car))
    )
    return _per_day(
        loyal, moment="delivered_at", dealer="dealer_id", dealer_ids=dealer_ids, first_day=first_day,
        last_day=last_day, value=Count("id"),
    )  # fmt: skip


# The points liability is a stock (what members hold at the end of a day), not a flow: its measure gives, per
# dealer and local day, the triple [dealer id, the day's ordinal, points held at the day's end], so the figure
# can take each dealer's last known day of any period (and, for a region, sum them) from additive cells. A cell
# is written on a day something is held or the amount changed (to zero too), so a dealer's last cell in a
# period is its amount at the period's end, and a dealer that holds nothing has no cells.
_LIABILITY_SQL = """
    WITH lots AS (
        SELECT l.id, l.dealer_id, l.points, d.time_zone AS zone,
               (timezone(d.time_zone, e.occurred_at))::date AS from_day,
               (timezone(d.time_zone, l.expires_at - interval '1 microsecond'))::date AS to_day
        FROM loyalty_pointslot l
        JOIN network_dealer d ON d.id = l.dealer_id
        JOIN loyalty_pointsentry e ON e.id = l.entry_id
        WHERE l.dealer_id = ANY(%(dealers)s) AND l.funded_by = 'dealer' AND l.expires_at > %(start)s
    ), changes AS (
        SELECT dealer_id, from_day, to_day, points FROM lots
        UNION ALL
        SELECT lots.dealer_id, (timezone(lots.zone, e.occurred_at))::date, lots.to_day, a.points
        FROM loyalty_pointsallocation a
        JOIN lots ON lots.id = a.lot_id
        JOIN loyalty_pointsentry e ON e.id = a.entry_id
    )
    SELECT dealer_id,
           coalesce(sum(points) FILTER (WHERE from_day <= %(first)s), 0) AS held_at_first,
           array_agg(from_day) FILTER (WHERE from_day > %(first)s AND from_day <= %(last)s),
           array_agg(points) FILTER (WHERE from_day > %(first)s AND from_day <= %(last)s),
           array_agg(to_day) FILTER (WHERE to_day <= %(last)s),
           array_agg(points) FILTER (WHERE to_day <= %(last)s)
    FROM changes
    WHERE from_day < to_day AND to_day > %(first)s AND from_day <= %(last)s
    GROUP BY dealer_id
"""


def liability_points(*, dealer_ids, first_day, last_day):
    """Per dealer and local day: [dealer id, day ordinal, points held at the end of the day in unexpired lots
    the dealer earned and funded]. One pass over the lots alive in the period and their allocations: a lot
    counts from the day it was earned until (not including) its last day's end; each allocation (spent,
    returned, expired) changes it from its own day on."""
    from django.db import connection

    dealer_ids = sorted(set(dealer_ids))
    if not dealer_ids or first_day > last_day:
        return
    start = datetime.combine(first_day, time.min, tzinfo=ZoneInfo("UTC")) - timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(_LIABILITY_SQL, {"dealers": dealer_ids, "start": start, "first": first_day, "last": last_day})
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    for dealer_id in dealer_ids:
        held, from_days, from_points, to_days, to_points = rows.get(dealer_id, (0, None, None, None, None))
        delta: dict[date, int] = {}
        for day, points in zip(from_days or [], from_points or [], strict=True):
            delta[day] = delta.get(day, 0) + points
        for day, points in zip(to_days or [], to_points or [], strict=True):
            delta[day] = delta.get(day, 0) - points
        held = int(held)
        for day in days:
            change = delta.get(day, 0) if day != first_day else 0
            held += change
            if held or change:
                yield dealer_id, day, [float(dealer_id), float(day.toordinal()), float(held)]
