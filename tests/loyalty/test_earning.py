"""Earn rules applied to what happened in leads and service: pending points on a settled repair order,
enrolment and points on delivery, the referral once per referred customer, tiers from qualifying points."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.timeline.models import EventDelivery, TimelineEvent
from crm.timeline.services import event_dispatch
from leads import services as funnel
from leads.call_centre.services import referral_record
from leads.models import Grade, Lead
from loyalty.exceptions import ConsentRequired
from loyalty.models import EntryKind, Member, PendingPoints, PointsEntry, Programme
from loyalty.models.ledger import EarnSource
from loyalty.selectors.ledger import balance_of, pending_of
from loyalty.services.club import member_enrol, member_tier_evaluate, qualifying_points
from loyalty.services.ledger import pending_points_release, points_earn, points_redeem
from service.models import RepairOrder
from tests.factories import CustomerFactory, consent_give, make_vin, walk_in
from tests.loyalty.conftest import (
    as_user,
    dispatch_all,
    enrol,
    everything,
    repair_order_billed,
    settle,
    sums,
    tiers_make,
)

pytestmark = pytest.mark.django_db


def test_points_from_a_settled_repair_order_stay_pending_until_the_return_window_has_passed(club):
    member = club["member"]
    repair_order = repair_order_billed(club["dealer"], club["advisor"], club["owner"], labour="600")
    settled_at = datetime(2026, 11, 1, 2, tzinfo=UTC)
    settle(repair_order, club["advisor"], settled_at=settled_at)
    dispatch_all()
    dispatch_all()  # a second hand-off of the same events changes nothing
    with everything():
        pending = PendingPoints.objects.get(member=member)
        assert pending.points == 678  # 600 + 13 % tax, 1 point per yuan
        assert pending.available_at == settled_at + timedelta(days=7)
        assert pending_of(member=member) == 678 and balance_of(member=member) == 0
        assert points_redeem_refused(member, 1)
        assert pending_points_release(now=settled_at + timedelta(days=6, hours=23)) == 0
        assert pending_points_release(now=settled_at + timedelta(days=7)) == 1
        assert pending_points_release(now=settled_at + timedelta(days=8)) == 0
        entry = PointsEntry.objects.get(member=member)
        assert (entry.kind, entry.source, entry.points, entry.repair_order_id) == (
            EntryKind.EARN, EarnSource.SERVICE, 678, repair_order.id,
        )
        assert PendingPoints.objects.get(id=pending.id).status == PendingPoints.Status.CREDITED
    assert sums(member) == (678, 678, 678)


def points_redeem_refused(member, points) -> bool:
    from loyalty.exceptions import InsufficientPoints

    try:
        points_redeem(member=member, points=points, idempotency_key=f"try-{points}")
    except InsufficientPoints:
        return True
    return False


def test_a_customer_who_is_not_a_member_earns_nothing_on_a_repair_order(club):
    stranger = CustomerFactory(dealer=club["dealer"])
    settle(repair_order_billed(club["dealer"], club["advisor"], stranger), club["advisor"])
    dispatch_all()
    with everything():
        assert not PendingPoints.objects.exists()


def test_the_tier_multiplier_applies_to_service_points(club):
    tiers_make()
    with everything():
        points_earn(member=club["member"], points=6000, source="campaign", idempotency_key="big")
        member = member_tier_evaluate(member=club["member"])
        assert member.tier.code == "gold"
    settle(repair_order_billed(club["dealer"], club["advisor"], club["owner"], labour="100"), club["advisor"])
    dispatch_all()
    with everything():
        assert PendingPoints.objects.get().points == 141  # 113 yuan × 1.25, rounded down


def delivered(seller, dealer, *, customer_phone, lead=None):
    lead = lead or walk_in(seller, dealer, phone=customer_phone, grade=Grade.H)
    with as_user(seller):
        order = funnel.order_quote(
            lead=lead, by=seller, model="A6", trim="", list_price=Decimal("300000"), discount=Decimal("0")
        )
        order = funnel.order_place(order=order, by=seller, deposit=Decimal("20000"))
        funnel.order_deliver(order=order, by=seller, vin=make_vin(), plate="")
    return lead


def test_a_delivery_enrols_an_owner_who_agreed_to_hear_from_us_and_credits_the_delivery_points(club):
    lead = walk_in(club["seller"], club["dealer"], phone="+8613811120001", grade=Grade.H)
    with everything():
        customer = Lead.objects.get(id=lead.id).customer
    consent_give(customer, channel="sms")
    delivered(club["seller"], club["dealer"], customer_phone=None, lead=lead)
    dispatch_all()
    with everything():
        member = Member.objects.get(customer=customer)
        assert member.joined_via == Member.JoinedVia.DELIVERY and member.home_dealer_id == club["dealer"].id
        assert [(e.source, e.points) for e in PointsEntry.objects.filter(member=member)] == [("delivery", 1000)]


def test_a_delivery_without_consent_enrols_nobody(club):
    lead = delivered(club["seller"], club["dealer"], customer_phone="+8613811120002")
    dispatch_all()
    with everything():
        assert not Member.objects.filter(customer_id=Lead.objects.get(id=lead.id).customer_id).exists()
    with everything(), pytest.raises(ConsentRequired):
        member_enrol(customer=CustomerFactory(), dealer=club["dealer"], has_consent=False)


def test_the_referrer_earns_once_per_referred_friend_even_if_the_delivery_event_arrives_twice(club):
    def refer_and_deliver():
        with as_user(club["seller"]):
            capture = referral_record(
                by=club["seller"], dealer=club["dealer"], referrer=club["owner"], name="李女士",
                phone="+8613811120003",
            )
        delivered(club["seller"], club["dealer"], customer_phone=None, lead=capture.lead)
        dispatch_all()

    refer_and_deliver()
    with everything():
        event = TimelineEvent.objects.get(kind="lead.delivered")
        # The same event handed over again, as if its delivery rows had been lost.
        EventDelivery.objects.filter(event=event).delete()
        TimelineEvent.objects.filter(id=event.id).update(dispatched_at=None)
    event_dispatch(event_id=event.id)
    # The friend buys a second car, referred again by the same owner.
    refer_and_deliver()
    with everything():
        assert TimelineEvent.objects.filter(kind="lead.delivered").count() == 2
        referrals = PointsEntry.objects.filter(member=club["member"], source=EarnSource.REFERRAL)
        assert [(e.points, e.dealer_id) for e in referrals] == [(2000, club["dealer"].id)]
        assert referrals.get().lot.funded_by == "oem"


def test_redeeming_points_never_demotes_the_tier(club):
    tiers_make()
    member = club["member"]
    with everything():
        points_earn(member=member, points=6000, source="delivery", idempotency_key="delivery")
        member = member_tier_evaluate(member=member)
        assert member.tier.code == "gold"
        points_redeem(member=member, points=5900, idempotency_key="spend")
        member = member_tier_evaluate(member=member)
        assert member.tier.code == "gold" and member.downgrade_on is None
        assert qualifying_points(member=member, today=timezone.localdate()) == 6000


def test_a_member_below_the_tier_keeps_it_through_the_grace_period_then_drops(club):
    tiers_make()
    member = club["member"]
    with everything():
        Programme.objects.create(id=1, rolling_months=12, downgrade_grace_days=30)
        points_earn(
            member=member, points=6000, source="delivery", idempotency_key="old",
            occurred_at=datetime(2025, 1, 10, 4, tzinfo=UTC),
        )
        member = member_tier_evaluate(member=member, today=date(2025, 2, 1))
        assert member.tier.code == "gold"
        # A year on, the points left the rolling window: the grace period starts.
        member = member_tier_evaluate(member=member, today=date(2026, 1, 20))
        assert member.tier.code == "gold" and member.downgrade_on == date(2026, 2, 19)
        member = member_tier_evaluate(member=member, today=date(2026, 2, 18))
        assert member.tier.code == "gold"
        member = member_tier_evaluate(member=member, today=date(2026, 2, 19))
        assert member.tier.code == "silver" and member.downgrade_on is None


def test_the_calendar_year_basis_counts_this_year_only(club):
    tiers_make()
    member = club["member"]
    with everything():
        Programme.objects.create(id=1, tier_basis=Programme.TierBasis.CALENDAR_YEAR)
        points_earn(
            member=member, points=6000, source="delivery", idempotency_key="last-year",
            occurred_at=datetime(2025, 12, 30, 4, tzinfo=UTC),
        )
        assert qualifying_points(member=member, today=date(2025, 12, 31)) == 6000
        assert qualifying_points(member=member, today=date(2026, 1, 1)) == 0


def test_repair_order_points_on_an_order_that_was_never_settled_are_not_pending(club):
    repair_order = repair_order_billed(club["dealer"], club["advisor"], club["owner"])
    with as_user(club["advisor"]):
        from service import services

        services.repair_order_void(repair_order=repair_order, by=club["advisor"], reason="Customer left")
    dispatch_all()
    with everything():
        assert RepairOrder.objects.get(id=repair_order.id).status == "voided"
        assert not PendingPoints.objects.exists()


def test_enrolment_is_idempotent_per_customer(club):
    from loyalty.exceptions import AlreadyMember

    with everything(), pytest.raises(AlreadyMember):
        enrol(club["owner"], club["dealer"])


def test_an_oem_campaign_multiplies_service_points_and_funds_the_extra(club):
    from loyalty.models import EarnCampaign, PointsLot

    settled_at = datetime(2026, 11, 1, 2, tzinfo=UTC)
    with everything():
        EarnCampaign.objects.create(
            name="Double points November", starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 30), multiplier=2
        )
    settle(repair_order_billed(club["dealer"], club["advisor"], club["owner"], labour="600"), club["advisor"],
           settled_at=settled_at)  # fmt: skip
    dispatch_all()
    with everything():
        pending = PendingPoints.objects.get()
        assert (pending.points, pending.campaign_points) == (678, 678)
        assert pending_points_release(now=settled_at + timedelta(days=8)) == 1
        assert pending_points_release(now=settled_at + timedelta(days=9)) == 0
        lots = sorted(PointsLot.objects.values_list("entry__source", "points", "funded_by"))
    assert lots == [("campaign", 678, "oem"), ("service", 678, "dealer")]
    assert sums(club["member"]) == (1356, 1356, 1356)
