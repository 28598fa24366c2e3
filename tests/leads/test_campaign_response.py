"""A customer who replies to a campaign SMS becomes a campaign-response lead at the dealer that sent it,
attributed to the campaign, once per reply even if the event is handed over twice."""

import pytest

from crm.core.scope import network_wide
from crm.messaging.events import MESSAGE_REPLIED
from crm.messaging.models import OutboxMessage
from crm.messaging.services.replies import reply_record
from crm.timeline.models import TimelineEvent
from crm.timeline.services import event_dispatch
from leads.models import Lead, LeadSource
from tests.factories import DealerFactory, campaign_running, customer_with, template_make

pytestmark = pytest.mark.django_db


def _campaign_sent_to(customer, dealer):
    with network_wide(reason="test"):
        campaign = campaign_running(dealer=dealer, template=template_make(dealer=dealer))
        phone = customer.contact_points.get(kind="phone").value
        OutboxMessage.objects.create(
            idempotency_key=f"campaign:{campaign.id}:customer:{customer.id}",
            kind="campaign",
            channel="sms",
            purpose="marketing",
            status="sent",
            recipient=phone,
            customer=customer,
            dealer=dealer,
            campaign=campaign,
            body_text="冬季免费检测",
            scheduled_at=campaign.approved_at,
            sent_at=campaign.approved_at,
        )
    return campaign, phone


def test_a_reply_to_a_campaign_opens_a_lead_attributed_to_it_once():
    dealer = DealerFactory()
    customer = customer_with(dealer)
    campaign, phone = _campaign_sent_to(customer, dealer)
    reply_record(sender=phone, body="周六能来看车吗？", provider_message_id="MO-1")
    with network_wide(reason="test"):
        event = TimelineEvent.objects.get(kind=MESSAGE_REPLIED, customer=customer)
    assert event.data["campaign_id"] == campaign.id
    event_dispatch(event_id=event.id)
    event_dispatch(event_id=event.id)
    with network_wide(reason="test"):
        lead = Lead.objects.select_related("source", "campaign").get(customer=customer, dealer=dealer)
        assert Lead.objects.filter(customer=customer).count() == 1
    assert lead.source.channel == LeadSource.Channel.CAMPAIGN
    assert lead.campaign.code == f"msg-{campaign.id}" and lead.campaign.name == campaign.name


def test_an_opt_out_reply_opens_no_lead():
    dealer = DealerFactory()
    customer = customer_with(dealer)
    _campaign, phone = _campaign_sent_to(customer, dealer)
    reply_record(sender=phone, body="TD")
    with network_wide(reason="test"):
        assert not TimelineEvent.objects.filter(kind=MESSAGE_REPLIED).exists()
        assert not Lead.objects.filter(customer=customer).exists()
