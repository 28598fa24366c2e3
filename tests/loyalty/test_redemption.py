"""Points redeemed against a repair order: a discount line through service's own service, idempotent, with
the reservation released (the points back) when the order is voided and made final when it is settled."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.core.exceptions import PermissionDenied
from loyalty.exceptions import InsufficientPoints, NotAMember, RedemptionTooLarge
from loyalty.models import PointsEntry, Redemption
from loyalty.services.ledger import points_earn
from loyalty.services.redemption import points_redeem_on_repair_order
from service import services
from service.models import ChargeLine, RepairOrder
from tests.factories import CustomerFactory
from tests.loyalty.conftest import as_user, dispatch_all, everything, repair_order_billed, settle, sums

pytestmark = pytest.mark.django_db


def funded(club, points=5000):
    with everything():
        points_earn(member=club["member"], points=points, source="delivery", idempotency_key="funds")


def redeem(club, repair_order, points, key="click-1", by=None):
    by = by or club["advisor"]
    with as_user(by):
        return points_redeem_on_repair_order(repair_order=repair_order, points=points, by=by, idempotency_key=key)


def test_an_advisor_turns_points_into_a_discount_line_once_however_often_the_form_is_sent(club):
    funded(club)
    repair_order = repair_order_billed(club["dealer"], club["advisor"], club["owner"], labour="600")
    redemption = redeem(club, repair_order, 3000)
    again = redeem(club, repair_order, 3000)
    assert again.id == redemption.id
    with everything():
        repair_order = RepairOrder.objects.get(id=repair_order.id)
        discounts = ChargeLine.objects.filter(job__repair_order=repair_order, kind=ChargeLine.Kind.DISCOUNT)
        assert [line.amount for line in discounts] == [Decimal("30.00")]  # 3000 points × 0.01 yuan
        assert repair_order.discount_total == Decimal("30.00")
        assert repair_order.total == Decimal("644.10")  # (600 − 30) × 1.13
        assert PointsEntry.objects.filter(kind="redeem").count() == 1
    assert sums(club["member"])[2] == 2000


def test_voiding_the_order_releases_the_reservation(club):
    funded(club)
    repair_order = repair_order_billed(club["dealer"], club["advisor"], club["owner"])
    redemption = redeem(club, repair_order, 3000)
    with as_user(club["advisor"]):
        services.repair_order_void(repair_order=repair_order, by=club["advisor"], reason="Customer cancelled")
    dispatch_all()
    dispatch_all()
    with everything():
        redemption = Redemption.objects.get(id=redemption.id)
        assert redemption.status == Redemption.Status.RELEASED
        assert redemption.release_entry.points == 3000 and redemption.release_entry.reverses_id == redemption.entry_id
    assert sums(club["member"]) == (5000, 5000, 5000)


def test_settling_the_order_makes_the_redemption_final_and_earns_on_what_the_customer_paid(club):
    funded(club)
    repair_order = repair_order_billed(club["dealer"], club["advisor"], club["owner"], labour="600")
    redemption = redeem(club, repair_order, 3000)
    settle(repair_order, club["advisor"])
    dispatch_all()
    with everything():
        assert Redemption.objects.get(id=redemption.id).status == Redemption.Status.SETTLED
        from loyalty.models import PendingPoints

        assert PendingPoints.objects.get().points == 644


def test_refusals_write_nothing(club):
    funded(club, points=100)
    repair_order = repair_order_billed(club["dealer"], club["advisor"], club["owner"], labour="10")
    with pytest.raises(InsufficientPoints):
        redeem(club, repair_order, 101, key="too-many")
    funded_more = 100_000
    with everything():
        points_earn(member=club["member"], points=funded_more, source="delivery", idempotency_key="more")
    with pytest.raises(RedemptionTooLarge):
        redeem(club, repair_order, 2000, key="too-large")  # 20 yuan off a 10 yuan job
    stranger = CustomerFactory(dealer=club["dealer"])
    other = repair_order_billed(club["dealer"], club["advisor"], stranger)
    with pytest.raises(NotAMember):
        redeem(club, other, 10, key="not-member")
    with pytest.raises(PermissionDenied):
        redeem(club, repair_order, 10, key="seller", by=club["seller"])
    with everything():
        assert not Redemption.objects.exists()
        assert PointsEntry.objects.filter(kind="redeem").count() == 0
        assert not ChargeLine.objects.filter(kind=ChargeLine.Kind.DISCOUNT).exists()


def test_a_gold_member_gets_the_tiers_service_discount_once_per_order(client, club):
    from loyalty.models import TierDiscount
    from loyalty.services.club import member_tier_evaluate
    from tests.loyalty.conftest import tiers_make

    tiers_make()
    repair_order = repair_order_billed(club["dealer"], club["advisor"], club["owner"], labour="600")
    client.force_login(club["advisor"])
    url = reverse("loyalty:tier_discount", args=[repair_order.id])
    client.post(url)  # silver: no discount
    with everything():
        assert not TierDiscount.objects.exists()
        funded(club, points=6000)
        member_tier_evaluate(member=club["member"])
    for _ in range(2):
        assert client.post(url).status_code == 302
    with everything():
        discount = TierDiscount.objects.get()
        assert (discount.tier.code, discount.amount) == ("gold", Decimal("30.00"))
        repair_order = RepairOrder.objects.get(id=repair_order.id)
        assert repair_order.discount_total == Decimal("30.00")
    page = client.get(reverse("loyalty:redeem", args=[repair_order.id])).content.decode()
    assert "data-tier-discount" in page
    client.force_login(club["seller"])
    assert client.post(url).status_code == 404
