"""Cross-dealer collisions (the OEM's alone, decided once) and the dealer value ledger (what the OEM's leads
brought, the dealer's own or the OEM's dealers')."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from crm.core.exceptions import PermissionDenied
from crm.core.scope import network_wide
from dealers.exceptions import CollisionInvalid
from dealers.models import CollisionDecision
from dealers.selectors.collisions import collisions_for_user
from dealers.selectors.ledger import value_ledger
from dealers.services.collisions import collision_decide
from leads.services import lead_accept, lead_capture, order_place, order_quote
from tests.dealers.audits.conftest import as_user, dealers_state
from tests.factories import walk_in

pytestmark = pytest.mark.django_db

PHONE = "+8613977778888"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def collision(network):
    home_lead = walk_in(network["seller"], network["home"], phone=PHONE, name="Shopper Wang")
    neighbour_lead = walk_in(network["neighbour_manager"], network["neighbour"], phone=PHONE, name="Shopper Wang")
    return home_lead, neighbour_lead


def test_the_region_sees_the_collision_with_both_leads_and_decides_once(network, collision):
    regional = network["regional"]
    with as_user(regional):
        [found] = collisions_for_user(user=regional)
        assert {lead.dealer_id for lead in found.leads} == {network["home"].id, network["neighbour"].id}
        with pytest.raises(CollisionInvalid):
            collision_decide(by=regional, customer_id=found.customer.id, lead_ids=found.lead_ids[:1], decision="first_keeps")
        with pytest.raises(CollisionInvalid):
            collision_decide(by=regional, customer_id=found.customer.id, lead_ids=found.lead_ids, decision="assign",
                             kept_dealer_id=network["far"].id)
        decision = collision_decide(
            by=regional, customer_id=found.customer.id, lead_ids=found.lead_ids, decision="assign",
            kept_dealer_id=network["home"].id, note="Home met him first.",
        )
        assert collisions_for_user(user=regional) == []
        assert collisions_for_user(user=regional, include_decided=True)[0].decision == decision
    with as_user(network["oem_admin"]):
        assert len(collisions_for_user(user=network["oem_admin"], include_decided=True)) == 1


def test_dealers_and_other_regions_never_learn_of_the_collision(network, collision):
    for who in ("manager", "dealer_admin", "neighbour_manager", "seller", "north_regional"):
        with as_user(network[who]):
            assert collisions_for_user(user=network[who]) == [], who
        page = client_for(network[who]).get(reverse("dealers:collision_list"))
        assert page.status_code == (200 if who == "north_regional" else 404), who
        assert b"Shopper Wang" not in page.content
    before = dealers_state()
    with as_user(network["manager"]), pytest.raises(PermissionDenied):
        collision_decide(by=network["manager"], customer_id=collision[0].customer_id,
                         lead_ids=sorted(lead.id for lead in collision), decision="both_continue")
    assert dealers_state() == before
    with network_wide(reason="test check"):
        assert not CollisionDecision.objects.exists()


def test_the_collision_page_records_a_decision(network, collision):
    regional = client_for(network["regional"])
    page = regional.get(reverse("dealers:collision_list"))
    assert page.status_code == 200 and b"Shopper Wang" in page.content
    customer_id = collision[0].customer_id
    prefix = f"c{customer_id}"
    response = regional.post(
        reverse("dealers:collision_decide"),
        {f"{prefix}-customer": customer_id, f"{prefix}-leads": ",".join(str(lead.id) for lead in collision),
         f"{prefix}-decision": "both_continue", f"{prefix}-note": "Shopping around."},
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        assert CollisionDecision.objects.get().decision == "both_continue"


def test_the_value_ledger_counts_what_the_oems_leads_became(network):
    admin, manager = network["oem_admin"], network["manager"]
    with as_user(admin):
        issued = lead_capture(dealer=network["home"], by=admin, name="From the 800 line", type="phone",
                              phones=["+8613966665555"], issued_by_oem=True).lead
    with as_user(manager):
        lead_accept(lead=issued, by=manager, assign_to=network["seller"])
    with as_user(network["seller"]):
        order = order_quote(lead=issued, by=network["seller"], model="A6", list_price=Decimal(300000),
                            discount=Decimal(20000))
        order_place(order=order, by=network["seller"])
    walk_in(network["seller"], network["home"])  # the dealer's own lead is not the OEM's

    with as_user(manager):
        ledger = value_ledger(user=manager, dealer_id=network["home"].id)
    [month] = ledger.months
    assert (month.oem_leads_issued, month.oem_leads_accepted, month.orders_from_oem_leads) == (1, 1, 1)
    assert month.deliveries_from_oem_leads == 0

    page = client_for(manager).get(reverse("dealers:value_ledger"))
    assert page.status_code == 200 and b"What the OEM" in page.content
    # Another dealer's ledger is not offered to the dealer; the region sees both of its dealers.
    assert network["neighbour"].name.encode() not in page.content
    regional = client_for(network["regional"]).get(reverse("dealers:value_ledger"), {"dealer": network["home"].id})
    assert regional.status_code == 200 and network["neighbour"].name.encode() in regional.content
    assert client_for(network["seller"]).get(reverse("dealers:value_ledger")).status_code == 404
