"""The lead page's "Call" and "Send SMS": only the lead's own dealer's sales staff get them; a call shows
"calling…" until the provider's record becomes the contact attempt; claimed and verified attempts are told
apart; a staff member without a phone is asked for one first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from crm.messaging.models import OutboxMessage, PhoneCall
from crm.messaging.services.calls import call_record_receive
from crm.network.models import Role, StaffProfile
from crm.network.services import staff_phone_set
from leads.models import ContactAttempt
from leads.services import contact_log
from tests.factories import DealerFactory, staff, web_lead
from tests.leads.conftest import as_user, database_state
from tests.leads.test_verification import dispatch_all

pytestmark = pytest.mark.django_db
LEAD_PHONE = "+8613900716789"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lead(shop):
    staff_phone_set(user=shop["seller"], phone="+8613800138000")
    return web_lead(shop["dealer"], name="Jiang", phone=LEAD_PHONE, owner=shop["seller"], hours_ago=2)


def test_the_seller_calls_sees_calling_then_the_answered_verified_outcome(client, shop, lead):
    client.force_login(shop["seller"])
    page = client.get(reverse("leads:detail", args=[lead.id])).content.decode()
    assert reverse("leads:call_start", args=[lead.id]) in page and "Send SMS" in page

    response = client.post(reverse("leads:call_start", args=[lead.id]), **HTMX)
    with network_wide(reason="test check"):
        call = PhoneCall.objects.get(reference_id=lead.id)
    status_url = reverse("leads:call_status", args=[lead.id, call.id])
    assert response.status_code == 200
    assert "Calling…" in response.content.decode() and status_url in response.content.decode()
    assert (call.caller_number, call.callee_number, call.user_id) == ("+8613800138000", LEAD_PHONE, shop["seller"].id)

    call_record_receive(
        provider_call_id="CA-view",
        client_ref=call.idempotency_key,
        status="answered",
        caller=call.caller_number,
        callee=LEAD_PHONE,
        duration_seconds=75,
        started_at=timezone.now() - timedelta(seconds=75),
        ended_at=timezone.now(),
    )
    waiting = client.get(status_url).content.decode()
    assert "recording the contact" in waiting and 'hx-trigger="every 2s"' in waiting
    dispatch_all()
    done = client.get(status_url).content.decode()
    assert "Answered" in done and "75 seconds" in done and "verified" in done
    assert "hx-trigger" not in done

    page = client.get(reverse("leads:detail", args=[lead.id])).content.decode()
    assert "1 verified · 0 claimed" in page


def test_a_text_from_the_lead_page_goes_through_the_outbox_and_is_claimed_until_delivered(client, shop, lead):
    client.force_login(shop["seller"])
    response = client.post(reverse("leads:sms_send", args=[lead.id]), {"text": "您好，周六可以来试驾。"})
    assert response.status_code == 302
    with network_wide(reason="test check"):
        message = OutboxMessage.objects.get(customer_id=lead.customer_id)
        attempt = ContactAttempt.objects.get(lead=lead)
    assert (message.channel, message.recipient, message.purpose) == ("sms", LEAD_PHONE, "service")
    assert attempt.message_id == message.id and not attempt.is_verified

    before = database_state()
    client.post(reverse("leads:sms_send", args=[lead.id]), {"text": "   "})
    assert database_state() == before


def test_claimed_and_back_dated_attempts_are_marked_apart_from_verified_ones(client, shop, lead, settings):
    settings.LEAD_BACKDATED_CONTACT_MINUTES = 30
    with as_user(shop["seller"]):
        contact_log(
            lead=lead, by=shop["seller"], channel="call", outcome="reached", at=timezone.now() - timedelta(minutes=90)
        )
    client.force_login(shop["seller"])
    page = client.get(reverse("leads:detail", args=[lead.id])).content.decode()
    assert "0 verified · 1 claimed" in page
    assert ">claimed<" in page and "back-dated" in page


def test_without_a_phone_the_seller_is_asked_for_one_first(client, shop):
    lead = web_lead(shop["dealer"], name="Lu", phone="+8613900716790", owner=shop["colleague"], hours_ago=1)
    client.force_login(shop["colleague"])
    page = client.get(reverse("leads:detail", args=[lead.id])).content.decode()
    assert reverse("staff_phone_set") in page and reverse("leads:call_start", args=[lead.id]) not in page

    client.post(reverse("staff_phone_set"), {"phone": "not a phone"})
    with network_wide(reason="test check"):
        assert not StaffProfile.objects.filter(user=shop["colleague"]).exclude(phone="").exists()
    client.post(reverse("staff_phone_set"), {"phone": "138 0013 8001", "next": reverse("leads:detail", args=[lead.id])})
    with network_wide(reason="test check"):
        assert StaffProfile.objects.get(user=shop["colleague"]).phone == "+8613800138001"
    page = client.get(reverse("leads:detail", args=[lead.id])).content.decode()
    assert reverse("leads:call_start", args=[lead.id]) in page


@pytest.mark.parametrize(
    "who", ["colleague", "regional", "other_dealer_seller", "call_centre", "oem_admin", "advisor"]
)
def test_only_the_leads_own_dealer_sales_staff_can_call_or_text_it(client, shop, lead, who):
    users = {
        "colleague": shop["colleague"],  # same dealer, but the lead is the seller's
        "regional": shop["regional"],
        "other_dealer_seller": staff(Role.SALESPERSON, dealer=DealerFactory(region=shop["region"])),
        "call_centre": staff(Role.CALL_CENTRE_AGENT),
        "oem_admin": staff(Role.OEM_ADMIN),
        "advisor": shop["advisor"],
    }
    user = users[who]
    staff_phone_set(user=user, phone="+8613800138111")
    client.force_login(user)
    before = database_state()

    call = client.post(reverse("leads:call_start", args=[lead.id]), **HTMX)
    text = client.post(reverse("leads:sms_send", args=[lead.id]), {"text": "hello"})

    assert (call.status_code, text.status_code) == (404, 404)
    assert database_state() == before
    with network_wide(reason="test check"):
        assert not PhoneCall.objects.exists() and not OutboxMessage.objects.exists()
    page = client.get(reverse("leads:detail", args=[lead.id]))
    assert reverse("leads:call_start", args=[lead.id]) not in page.content.decode()


def test_another_leads_call_is_not_shown_on_this_lead(client, shop, lead):
    other = web_lead(shop["dealer"], name="Wu", phone="+8613900716791", owner=shop["seller"], hours_ago=1)
    client.force_login(shop["seller"])
    client.post(reverse("leads:call_start", args=[other.id]), **HTMX)
    with network_wide(reason="test check"):
        call = PhoneCall.objects.get(reference_id=other.id)
    assert client.get(reverse("leads:call_status", args=[lead.id, call.id])).status_code == 404
