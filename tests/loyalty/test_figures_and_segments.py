"""The club's key figures (loyalty index, active members, points issued and redeemed), messaging's segment
filters (tier, balance, points expiring within N days) and the "points expiring" care occasion."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from crm.core import key_figures as kf
from crm.customers.models import Customer
from crm.messaging.registry import care_trigger_get, segment_filter_get
from leads.call_centre.services import referral_record
from loyalty.services.club import member_tier_evaluate
from loyalty.services.ledger import points_earn, points_redeem
from tests.factories import CustomerFactory
from tests.loyalty.conftest import as_user, enrol, everything, tiers_make

pytestmark = pytest.mark.django_db


def test_active_members_count_each_member_once_and_points_net_of_releases(club):
    member, dealer = club["member"], club["dealer"]
    other = enrol(CustomerFactory(dealer=dealer), dealer)
    with everything():
        for day, who in ((1, member), (2, member), (2, other)):
            points_earn(
                member=who, points=100, source="delivery", dealer=dealer, idempotency_key=f"{who.id}-{day}",
                occurred_at=datetime(2026, 11, day, 4, tzinfo=UTC),
            )
        points_redeem(member=member, points=50, dealer=dealer, idempotency_key="r",
                      occurred_at=datetime(2026, 11, 3, 4, tzinfo=UTC))  # fmt: skip
        codes = ["loyalty.active_member_ids", "loyalty.points_issued", "loyalty.points_redeemed"]
        totals = kf.totals_from_raw(
            codes=codes, dealer_ids=[dealer.id], first_day=datetime(2026, 11, 1).date(),
            last_day=datetime(2026, 11, 30).date(),
        )  # fmt: skip
    assert kf.figure_get("loyalty.active_members").combine(totals).value == 2
    assert totals["loyalty.points_issued"] == 300 and totals["loyalty.points_redeemed"] == 50


def test_the_loyalty_index_counts_referred_and_returning_buyers(club):
    from tests.loyalty.test_earning import delivered

    delivered(club["seller"], club["dealer"], customer_phone="+8613811125550")
    with as_user(club["seller"]):
        referred = referral_record(
            by=club["seller"], dealer=club["dealer"], referrer=club["owner"], name="Friend", phone="+8613811125551"
        )
    delivered(club["seller"], club["dealer"], customer_phone=None, lead=referred.lead)
    today = timezone.localdate()
    with everything():
        totals = kf.totals_from_raw(
            codes=["loyalty.loyal_deliveries", "loyalty.deliveries"], dealer_ids=[club["dealer"].id],
            first_day=today - timedelta(days=1), last_day=today + timedelta(days=1),
        )  # fmt: skip
    value = kf.figure_get("loyalty.loyalty_index").combine(totals)
    assert (value.numerator, value.denominator, value.value) == (1, 2, 50.0)


def test_segment_filters_by_tier_balance_and_expiry(club):
    tiers_make()
    member, dealer = club["member"], club["dealer"]
    poor = enrol(CustomerFactory(dealer=dealer), dealer)
    with everything():
        points_earn(member=member, points=6000, source="delivery", dealer=dealer, idempotency_key="rich")
        points_earn(
            member=poor, points=10, source="delivery", dealer=dealer, idempotency_key="old",
            occurred_at=timezone.now() - timedelta(days=720),
        )  # fmt: skip
        member_tier_evaluate(member=member)
        member_tier_evaluate(member=poor)
        customers = Customer.objects.all()

        def chosen(key, value):
            return set(segment_filter_get(key).apply(customers, value, None).values_list("id", flat=True))

        assert chosen("loyalty_tier", ["gold"]) == {member.customer_id}
        assert chosen("loyalty_tier", ["silver", "gold"]) == {member.customer_id, poor.customer_id}
        assert chosen("loyalty_tier", ["nonsense"]) == set()
        assert chosen("loyalty_balance_at_least", 100) == {member.customer_id}
        assert chosen("loyalty_balance_at_least", 0) == {member.customer_id, poor.customer_id}
        assert chosen("loyalty_expiring_within_days", 30) == {poor.customer_id}
        assert chosen("loyalty_expiring_within_days", "x") == set()


def test_the_points_expiring_occasion_falls_once_thirty_days_before_the_last_day(club):
    member = club["member"]
    with everything():
        entry = points_earn(member=member, points=100, source="delivery", idempotency_key="lot")
        last_day = (timezone.localtime(entry.lot.expires_at) - timedelta(days=1)).date()
        due = care_trigger_get("points_expiring").due
        assert list(due(last_day - timedelta(days=30), None).values_list("id", flat=True)) == [member.customer_id]
        assert not due(last_day - timedelta(days=31), None).exists()
        assert not due(last_day - timedelta(days=29), None).exists()
