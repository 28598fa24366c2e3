"""An OEM-issued lead is the dealer manager's to accept: no salesperson claims it before, and accepting it
never moves it away from someone silently."""

import pytest
from django.urls import reverse

from crm.core.scope import network_wide
from leads import services
from leads.exceptions import LeadAwaitingAcceptance
from leads.models import Lead
from tests.factories import web_lead
from tests.leads.conftest import as_user, database_state

pytestmark = pytest.mark.django_db


def issued(shop, **kwargs) -> Lead:
    lead = web_lead(shop["dealer"], phone="+8613800000701", name="OEM 线索", **kwargs)
    with network_wide(reason="test arrange"):
        Lead.objects.filter(id=lead.id).update(acceptance=Lead.Acceptance.PENDING)
        lead.refresh_from_db()
    return lead


def test_a_salesperson_cannot_claim_a_lead_the_dealer_has_not_accepted(shop):
    lead = issued(shop)
    before = database_state()
    with as_user(shop["seller"]), pytest.raises(LeadAwaitingAcceptance):
        services.lead_claim(lead=lead, by=shop["seller"])
    assert database_state() == before


def test_the_lead_page_offers_no_claim_on_a_pending_lead_and_a_forced_claim_says_why(client, shop):
    lead = issued(shop)
    client.force_login(shop["seller"])
    page = client.get(reverse("leads:detail", args=[lead.id]))
    assert page.context["can_claim"] is False
    response = client.post(reverse("leads:claim", args=[lead.id]), follow=True)
    assert "has not accepted it yet" in response.content.decode()
    with network_wide(reason="test check"):
        assert Lead.objects.get(id=lead.id).owner_id is None


def test_accepting_keeps_the_owner_a_lead_already_has(shop):
    lead = issued(shop, owner=shop["seller"])
    with as_user(shop["manager"]):
        accepted = services.lead_accept(lead=lead, by=shop["manager"])
    assert accepted.owner == shop["seller"]


def test_accepting_an_unowned_lead_assigns_it_and_then_it_is_claimable_no_more(shop):
    lead = issued(shop)
    with as_user(shop["manager"]):
        accepted = services.lead_accept(lead=lead, by=shop["manager"], assign_to=shop["colleague"])
    assert accepted.owner == shop["colleague"]


def test_my_day_shows_a_pending_oem_lead_as_awaiting_acceptance_not_claimable(client, shop):
    lead = issued(shop)
    client.force_login(shop["seller"])
    page = client.get(reverse("leads:my_day")).content.decode()
    assert "OEM 线索" in page
    assert "Awaiting the manager&#x27;s acceptance" in page or "Awaiting the manager's acceptance" in page
    assert reverse("leads:claim", args=[lead.id]) not in page
