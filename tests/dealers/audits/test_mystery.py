"""Mystery shops reconciled with the dealer's own records, read through the funnel's selectors: a diligent
dealer logs the walk-in with the shopper's phone and calls back within the cadence; a dealer that does not
log walk-ins shows up, and the failed reconciliation opens one finding."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from crm.core.exceptions import PermissionDenied
from crm.core.scope import network_wide
from crm.network.models import Role
from dealers.exceptions import AlreadyReconciled
from dealers.models import Finding, MysteryShop
from dealers.selectors.audits import mystery_shops_for_user
from dealers.services.mystery import (
    mystery_shop_finding_open,
    mystery_shop_reconcile,
    mystery_shop_record,
    mystery_shops_reconcile_pending,
)
from leads.services import contact_log
from tests.dealers.audits.conftest import as_user
from tests.factories import staff, walk_in

pytestmark = pytest.mark.django_db

SHOPPER = "+8613911112222"


def record(network, dealer, *, when, by="regional", kind="visit"):
    user = network[by]
    with as_user(user):
        return mystery_shop_record(
            dealer=dealer,
            by=user,
            kind=kind,
            occurred_at=when,
            shopper_phone="139 1111 2222",
            scenario="Asks about an A6 for his wife; leaves his number.",
            behaviours=[{"label": "Greeted within 2 minutes", "observed": True}, {"label": "Offered a test drive"}],
        )


def reconcile(network, shop, *, now=None, by="regional"):
    with as_user(network[by]):
        return mystery_shop_reconcile(shop=shop, by=network[by], now=now)


def test_a_dealer_that_logs_the_walk_in_and_calls_back_in_time_passes(network):
    when = timezone.now() - timedelta(days=3)
    seller = network["seller"]
    lead = walk_in(seller, network["home"], phone=SHOPPER, name="Mr Mystery", grade="A", arrived_at=when)
    with as_user(seller):
        contact_log(lead=lead, by=seller, channel="phone", outcome="reached", at=when + timedelta(days=1))
    shop = record(network, network["home"], when=when)

    shop = reconcile(network, shop)

    assert (shop.is_logged, shop.logged_lead_id, shop.is_followed_up, shop.is_passed) == (True, lead.id, True, True)
    assert shop.shopper_phone == SHOPPER
    assert shop.behaviours == [
        {"label": "Greeted within 2 minutes", "observed": True},
        {"label": "Offered a test drive", "observed": False},
    ]


def test_a_dealer_that_does_not_log_walk_ins_is_caught_and_a_finding_opens_once(network):
    shop = record(network, network["home"], when=timezone.now() - timedelta(days=2))
    # Another dealer logged the same shopper: it does not count for this one.
    walk_in(network["neighbour_manager"], network["neighbour"], phone=SHOPPER, arrived_at=shop.occurred_at)

    shop = reconcile(network, shop)
    assert (shop.is_logged, shop.is_followed_up, shop.is_passed) == (False, False, False)

    with as_user(network["regional"]):
        finding = mystery_shop_finding_open(shop=shop, by=network["regional"], due_on=date.today() + timedelta(days=7))
        with pytest.raises(AlreadyReconciled):
            mystery_shop_finding_open(shop=shop, by=network["regional"], due_on=date.today())
    assert (finding.source, finding.dealer_id, finding.mystery_shop_id) == ("mystery_shop", network["home"].id, shop.id)
    assert "not in the dealer's records" in finding.title


def test_a_visit_logged_days_later_or_without_the_phone_does_not_count(network):
    when = timezone.now() - timedelta(days=5)
    walk_in(network["seller"], network["home"], phone="+8613900000001", arrived_at=when)  # another number
    walk_in(network["seller"], network["home"], phone=SHOPPER, arrived_at=when + timedelta(days=3))  # too late
    shop = reconcile(network, record(network, network["home"], when=when))
    assert shop.is_logged is False


def test_follow_up_is_not_known_until_the_cadence_runs_out(network):
    when = timezone.now() - timedelta(hours=2)
    lead = walk_in(network["seller"], network["home"], phone=SHOPPER, grade="B", arrived_at=when)
    shop = reconcile(network, record(network, network["home"], when=when))
    assert (shop.is_logged, shop.is_followed_up, shop.is_passed) == (True, None, None)
    with as_user(network["regional"]), pytest.raises(AlreadyReconciled):
        mystery_shop_finding_open(shop=shop, by=network["regional"], due_on=date.today())

    # Weeks later nobody called: the beat reconciles again and the follow-up failed.
    later = when + timedelta(days=30)
    assert mystery_shops_reconcile_pending(now=later) == 1
    with network_wide(reason="test check"):
        shop.refresh_from_db()
    assert (shop.logged_lead_id, shop.is_followed_up, shop.is_passed) == (lead.id, False, False)


def test_a_follow_up_after_the_cadence_is_late(network):
    when = timezone.now() - timedelta(days=6)
    seller = network["seller"]
    lead = walk_in(seller, network["home"], phone=SHOPPER, grade="H", arrived_at=when)  # H: every 2 days
    with as_user(seller):
        contact_log(lead=lead, by=seller, channel="phone", outcome="reached", at=when + timedelta(days=5))
    shop = reconcile(network, record(network, network["home"], when=when))
    assert (shop.is_logged, shop.is_followed_up) == (True, False)


def test_mystery_shops_are_the_oems_alone(network):
    record(network, network["home"], when=timezone.now())
    for who in ("manager", "dealer_admin", "seller", "north_regional"):
        with as_user(network[who]):
            assert not mystery_shops_for_user(user=network[who]).exists()
    with as_user(network["regional"]):
        assert mystery_shops_for_user(user=network["regional"]).count() == 1
    with as_user(network["manager"]), pytest.raises(PermissionDenied):
        mystery_shop_record(
            dealer=network["home"], by=network["manager"], kind="call", occurred_at=timezone.now(),
            shopper_phone=SHOPPER, scenario="x", behaviours=[],
        )
    with network_wide(reason="test check"):
        assert MysteryShop.objects.count() == 1 and not Finding.objects.exists()


def test_a_phone_lead_counts_for_a_mystery_call(network):
    from tests.factories import web_lead

    when = timezone.now() - timedelta(hours=30)
    manager = staff(Role.SALES_MANAGER, dealer=network["far"])
    lead = web_lead(network["far"], phone=SHOPPER, arrived_at=when + timedelta(hours=2), owner=manager)
    shop = reconcile(network, record(network, network["far"], when=when, by="oem_admin", kind="call"), by="oem_admin")
    assert (shop.is_logged, shop.logged_lead_id) == (True, lead.id)
