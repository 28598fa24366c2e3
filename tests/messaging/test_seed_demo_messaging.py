import pytest
from django.core.management import call_command

from crm.core.scope import network_wide
from crm.messaging.models import Campaign, CareProgram, MessageTemplate, Segment
from crm.messaging.selectors.segments import segment_customers

pytestmark = pytest.mark.django_db


def test_demo_messaging_loads_once_with_a_campaign_waiting_for_a_second_manager(capsys):
    call_command("seed_demo", customers=40)
    call_command("seed_demo_leads")
    call_command("seed_demo_messaging")
    with network_wide(reason="test"):
        assert MessageTemplate.objects.filter(dealer__isnull=True).count() == 1
        assert CareProgram.objects.filter(trigger="birthday").exists()
        campaign = Campaign.objects.get()
        assert campaign.status == Campaign.Status.PENDING_APPROVAL
        for segment in Segment.objects.all():  # every filter the demo uses is registered and runs
            segment_customers(filters=segment.filters, dealer_id=segment.dealer_id).count()
    call_command("seed_demo_messaging")
    assert "demo messaging already loaded" in capsys.readouterr().out
    with network_wide(reason="test"):
        assert Campaign.objects.count() == 1
