"""The owner club's writes: enrolment (at delivery with consent, or at the dealer's desk), the member's tier.

Tiers come from qualifying points earned over the programme's window (rolling months or the calendar year),
never from the spendable balance, so spending points never demotes. An upgrade applies at once; a member
whose qualifying points fall below the tier keeps it for the grace period, then drops.
"""

from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from crm.customers.models import Consent, CustomerDealer
from crm.customers.services.identity import customer_link
from crm.network.access import access_for
from crm.timeline.services import event_record
from loyalty import events
from loyalty.exceptions import AlreadyMember, ConsentRequired
from loyalty.models import EarnCampaign, Member, PointsEntry, Programme, Tier
from loyalty.permissions import can_configure_programme, can_enrol, require
from loyalty.selectors.club import add_months, programme_current


def _luhn_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def member_number(member_id: int) -> str:
    """A member number: the id on nine digits and a Luhn check digit (a mistyped number is caught)."""
    digits = f"{member_id:09d}"
    return digits + _luhn_digit(digits)


def has_marketing_consent(customer_id: int) -> bool:
    return Consent.objects.filter(
        customer_id=customer_id, purpose=Consent.Purpose.MARKETING, status=Consent.Status.OPT_IN
    ).exists()


@transaction.atomic
def member_enrol(*, customer, dealer, by=None, has_consent: bool, via: str = Member.JoinedVia.DEALER) -> Member:
    """Make the customer a club member with `dealer` as home dealer. Needs the customer's consent; a
    customer is a member once (AlreadyMember). `by` is None only for the delivery subscriber."""
    if by is not None:
        require(can_enrol(access_for(by), dealer.id))
    if not has_consent:
        raise ConsentRequired()
    if Member.objects.filter(customer_id=customer.id).exists():
        raise AlreadyMember()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('loyalty_member', 'id'))")
        member_id = cursor.fetchone()[0]
    now = timezone.now()
    member = Member.objects.create(
        id=member_id,
        customer_id=customer.id,
        number=member_number(member_id),
        home_dealer=dealer,
        joined_via=via,
        joined_at=now,
        consent_recorded_at=now,
        enrolled_by=by if getattr(by, "is_authenticated", False) else None,
    )
    customer_link(customer_id=customer.id, dealer=dealer, reason=CustomerDealer.Reason.MEMBERSHIP, by=by)
    event_record(
        customer_id=customer.id,
        kind=events.MEMBER_JOINED,
        dealer_id=dealer.id,
        actor=by,
        data={"member": member.id, "number": member.number, "via": via},
    )
    member_tier_evaluate(member=member, today=timezone.localdate())
    return member


def window_start(*, programme: Programme, today: date) -> date:
    if programme.tier_basis == Programme.TierBasis.CALENDAR_YEAR:
        return date(today.year, 1, 1)
    return add_months(today, -programme.rolling_months)


def qualifying_points(*, member: Member, today: date, programme: Programme | None = None) -> int:
    """Points earned in the window (earned points and their reversals; not adjustments, not returns of
    spent points, not redemptions, not transfers), by the member and the memberships merged into it: what
    the tier is judged on."""
    programme = programme or programme_current()
    start = window_start(programme=programme, today=today)
    # A membership merged into this one brought its earnings along (they stay on its own ledger).
    members = Q(member=member) | Q(member__merged_into=member)
    total = PointsEntry.objects.filter(
        members, is_qualifying=True, occurred_at__date__gte=start, occurred_at__date__lte=today
    ).aggregate(total=Sum("points"))["total"]
    return max(total or 0, 0)


def tier_for(points: int, tiers: list[Tier]) -> Tier | None:
    reached = [tier for tier in tiers if tier.qualifying_points <= points]
    return max(reached, key=lambda tier: tier.rank) if reached else None


@transaction.atomic
def member_tier_evaluate(*, member: Member, today: date | None = None, tiers: list[Tier] | None = None) -> Member:
    """Set the member's tier from qualifying points: up at once; down only after the grace period."""
    today = today or timezone.localdate()
    programme = programme_current()
    tiers = tiers if tiers is not None else list(Tier.objects.order_by("rank"))
    member = Member.objects.select_for_update(of=("self",)).select_related("tier").get(id=member.id)
    target = tier_for(qualifying_points(member=member, today=today, programme=programme), tiers)
    current = member.tier
    changes: dict = {"tier_evaluated_on": today}
    if target is not None and (current is None or target.rank >= current.rank):
        changes["downgrade_on"] = None
        if target != current:
            changes.update(tier=target, tier_since=today)
    elif current is not None:
        if member.downgrade_on is None:
            changes["downgrade_on"] = today + timedelta(days=programme.downgrade_grace_days)
        elif today >= member.downgrade_on:
            changes.update(tier=target, tier_since=today, downgrade_on=None)
    Member.objects.filter(id=member.id).update(**changes)
    if "tier" in changes:
        event_record(
            customer_id=member.customer_id,
            kind=events.TIER_CHANGED,
            dealer_id=member.home_dealer_id,
            data={
                "member": member.id,
                "from": current.code if current else "",
                "to": target.code if target else "",
                "to_name": target.name if target else "—",
            },
        )
    for name, value in changes.items():
        setattr(member, name, value)
    return member


def tiers_evaluate(*, today: date | None = None, after_id: int = 0, batch: int = 500) -> int | None:
    """The nightly re-evaluation, one batch of members after `after_id` (each member in its own savepoint
    under its row lock). Returns the last id evaluated, or None when there were none left. Safe to run twice:
    a second run on the same day changes nothing. The caller states the scope (beat: network-wide)."""
    today = today or timezone.localdate()
    tiers = list(Tier.objects.order_by("rank"))
    ids = list(Member.objects.filter(id__gt=after_id, merged_into__isnull=True).order_by("id").values_list("id", flat=True)[:batch])
    for member_id in ids:
        member_tier_evaluate(member=Member(id=member_id), today=today, tiers=tiers)
    return ids[-1] if ids else None


PROGRAMME_FIELDS = (
    "tier_basis",
    "rolling_months",
    "downgrade_grace_days",
    "expiry_months",
    "return_window_days",
    "points_per_yuan",
    "delivery_points",
    "referral_points",
    "point_value",
)
TIER_FIELDS = ("name", "name_zh", "qualifying_points", "earn_multiplier", "service_discount_percent")


@transaction.atomic
def programme_update(*, by, **values) -> Programme:
    """The OEM admin's earn rules and tier settings (one row). Unknown fields are refused."""
    require(can_configure_programme(access_for(by)))
    unknown = set(values) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"unknown programme fields: {sorted(unknown)}")
    programme, _created = Programme.objects.select_for_update().get_or_create(id=1)
    for name, value in values.items():
        setattr(programme, name, value)
    programme.full_clean()
    programme.save()
    return programme


@transaction.atomic
def tier_update(*, tier: Tier, by, **values) -> Tier:
    """Change a tier's threshold and benefits (the members move at the next nightly evaluation)."""
    require(can_configure_programme(access_for(by)))
    unknown = set(values) - set(TIER_FIELDS)
    if unknown:
        raise TypeError(f"unknown tier fields: {sorted(unknown)}")
    Tier.objects.filter(id=tier.id).update(**values)
    tier.refresh_from_db()
    return tier


@transaction.atomic
def earn_campaign_create(*, by, name: str, starts_on: date, ends_on: date, multiplier) -> EarnCampaign:
    """An OEM campaign multiplying service and delivery points between two days (the extra is OEM-funded)."""
    require(can_configure_programme(access_for(by)))
    campaign = EarnCampaign(name=name.strip()[:100], starts_on=starts_on, ends_on=ends_on, multiplier=multiplier)
    campaign.full_clean()
    campaign.save()
    return campaign
