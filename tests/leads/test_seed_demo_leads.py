import pytest
from django.core.management import call_command

from crm.core.scope import network_wide
from crm.customers.models import Vehicle
from crm.network.models import Dealer
from crm.network.selectors import brand_models_for_dealer
from leads.models import DemoCar, FollowUp, Lead, LeadSource, LostVerdict, Stage

pytestmark = pytest.mark.django_db


def test_demo_funnel_loads_once_through_the_services(capsys):
    call_command("seed_demo", customers=40)
    call_command("seed_demo_leads")
    with network_wide(reason="test"):
        first = Lead.objects.count()
        stages = set(Lead.objects.values_list("stage", flat=True))
        assert first > 20
        assert {Stage.VISITED, Stage.CONTACTED, Stage.ORDERED, Stage.DELIVERED} <= stages
        assert Lead.objects.filter(acceptance=Lead.Acceptance.PENDING).exists()
        assert Lead.objects.filter(owner__isnull=True, first_contact_at__isnull=True).exists()
        assert Lead.objects.filter(is_sla_breached=True).exists()
        assert LostVerdict.objects.filter(status=LostVerdict.Status.PROPOSED).exists()
        assert FollowUp.objects.filter(done_at__isnull=True).exists()
        assert LeadSource.objects.filter(channel="web_form").count() == 3
    call_command("seed_demo_leads")
    assert "demo leads already loaded" in capsys.readouterr().out
    with network_wide(reason="test"):
        assert Lead.objects.count() == first


def test_demo_leads_demo_cars_and_vehicles_name_models_of_the_dealers_catalogue():
    call_command("seed_demo", customers=30)
    call_command("seed_demo_leads")
    with network_wide(reason="test"):
        for dealer in Dealer.objects.all():
            catalogue = {model.code for model in brand_models_for_dealer(dealer_id=dealer.id)}
            assert {"A3", "A5", "A6", "X5", "EV7"} <= catalogue
            named = {
                model for lead in Lead.objects.filter(dealer=dealer) for model in lead.models_of_interest
            }
            named |= set(DemoCar.objects.filter(dealer=dealer).values_list("model", flat=True))
            named |= set(Vehicle.objects.filter(recorded_by_dealer=dealer).values_list("model", flat=True))
            assert named and named <= catalogue, (dealer.code, named - catalogue)
