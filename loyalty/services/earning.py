"""The OEM's earn rules applied to what happened in leads and service (called by the timeline subscribers in
loyalty.registrations, each idempotent by the event's subject):

- a settled repair order: points per yuan the customer paid, times the member's tier multiplier, pending
  until the return window has passed (then the beat credits them);
- an OEM campaign running that day multiplies service and delivery points; the extra is the OEM's lot;
- a delivery: enrolment when the customer consented to hear from us, and the delivery points;
- the referred friend's delivery: the referral points to the referrer, once per referred customer;
- a voided repair order: its reserved redemptions are released (the points go back).
"""

from datetime import date
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crm.customers.models import Customer
from leads.models import Lead
from loyalty.exceptions import AlreadyMember
from loyalty.models import EarnCampaign, Member, PointsLot
from loyalty.models.ledger import EarnSource
from loyalty.selectors.club import programme_current
from loyalty.services.club import has_marketing_consent, member_enrol, member_tier_evaluate
from loyalty.services.ledger import pending_points_record, points_earn
from loyalty.services.redemption import redemptions_settle
from service.models import RepairOrder

Funder = PointsLot.Funder


def _multiplied(points, member: Member) -> int:
    multiplier = member.tier.earn_multiplier if member.tier_id else Decimal(1)
    return int((Decimal(points) * multiplier).to_integral_value(rounding=ROUND_FLOOR))


@transaction.atomic
def earn_on_repair_order_settled(*, customer_id: int, repair_order_id: int, customer_pay_total, settled_at) -> int:
    """Pending points for a settled order (none if the customer is not a member or paid nothing)."""
    member = Member.objects.select_related("tier").filter(customer_id=customer_id).first()
    if member is None:
        return 0
    redemptions_settle(repair_order_id=repair_order_id)
    points = _multiplied(Decimal(customer_pay_total) * programme_current().points_per_yuan, member)
    if points <= 0:
        return 0
    settled_at = (parse_datetime(settled_at) if isinstance(settled_at, str) else settled_at) or timezone.now()
    repair_order = RepairOrder.objects.select_related("dealer").get(id=repair_order_id)
    campaign = campaign_running(on=timezone.localtime(settled_at, ZoneInfo(repair_order.dealer.time_zone)).date())
    pending_points_record(
        member=member,
        repair_order=repair_order,
        points=points,
        settled_at=settled_at,
        campaign=campaign,
        campaign_points=campaign_bonus(points, campaign),
    )
    return points


def campaign_running(*, on: date) -> EarnCampaign | None:
    """The OEM campaign running on that day (the most generous, if several overlap)."""
    return EarnCampaign.objects.filter(starts_on__lte=on, ends_on__gte=on).order_by("-multiplier", "id").first()


def campaign_bonus(points: int, campaign: EarnCampaign | None) -> int:
    if campaign is None:
        return 0
    return int((Decimal(points) * (campaign.multiplier - 1)).to_integral_value(rounding=ROUND_FLOOR))


@transaction.atomic
def earn_on_delivery(*, customer_id: int, dealer, order_id: int, lead_id: int) -> Member | None:
    """The delivery: enrol the owner if they agreed to hear from us (and are not a member yet), credit the
    delivery points, and reward whoever referred them."""
    member = Member.objects.select_related("tier").filter(customer_id=customer_id).first()
    if member is None and has_marketing_consent(customer_id):
        try:
            member = member_enrol(
                customer=Customer.objects.get(id=customer_id),
                dealer=dealer,
                has_consent=True,
                via=Member.JoinedVia.DELIVERY,
            )
        except AlreadyMember:
            member = Member.objects.get(customer_id=customer_id)
    programme = programme_current()
    if member is not None and programme.delivery_points:
        points = _multiplied(programme.delivery_points, member)
        points_earn(
            member=member,
            points=points,
            source=EarnSource.DELIVERY,
            dealer=dealer,
            idempotency_key=f"delivery:order:{order_id}",
        )
        campaign = campaign_running(on=timezone.localdate(timezone=ZoneInfo(dealer.time_zone)))
        bonus = campaign_bonus(points, campaign)
        if bonus:
            points_earn(
                member=member,
                points=bonus,
                source=EarnSource.CAMPAIGN,
                dealer=dealer,
                funded_by=Funder.OEM,
                reason=campaign.name,
                idempotency_key=f"delivery:order:{order_id}:campaign",
            )
        member_tier_evaluate(member=member)
    referral_reward(friend_customer_id=customer_id, lead_id=lead_id, dealer=dealer)
    return member


def referral_reward(*, friend_customer_id: int, lead_id: int, dealer) -> bool:
    """The referral points to the owner who referred this customer (leads records the referrer in the
    referral lead's answers as `referred_by`): once per referred customer, whatever number of deliveries or
    duplicate events. Funded by the OEM."""
    lead = Lead.objects.filter(id=lead_id).only("answers").first()
    referrer_id = (lead.answers or {}).get("referred_by") if lead is not None else None
    if not isinstance(referrer_id, int) or referrer_id == friend_customer_id:
        return False
    referrer = Member.objects.select_related("tier").filter(customer_id=referrer_id).first()
    points = programme_current().referral_points
    if referrer is None or not points:
        return False
    points_earn(
        member=referrer,
        points=points,
        source=EarnSource.REFERRAL,
        dealer=dealer,
        funded_by=Funder.OEM,
        idempotency_key=f"referral:friend:{friend_customer_id}",
        reason=f"lead {lead_id}",
    )
    member_tier_evaluate(member=referrer)
    return True
