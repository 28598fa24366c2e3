"""What comes back from outside. The SMS gateway, whatever format it writes numbers in: replies and
opt-outs from a national-format number reach the customer and the message they answer; receipts match
their message and nothing else. And the customer's own unsubscribe page."""

import hashlib
import hmac
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from crm.customers.models import Consent
from crm.messaging.models import InboundMessage, OutboxMessage
from crm.messaging.services.links import unsubscribe_token
from tests.factories import DealerFactory, customer_with

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status
NUMBER = "+8613900710001"
WRITTEN = ["13900710001", "+86 139 0071 0001", "008613900710001", " 139-0071-0001 "]


def _signed(client, settings, name, payload):
    body = json.dumps(payload).encode()
    signature = hmac.new(settings.SMS_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        reverse(name), body, content_type="application/json", headers={"X-Signature": signature}
    )


def _sent(customer, dealer, *, key: str, provider_id: str = "") -> OutboxMessage:
    with network_wide(reason="test: a message the gateway accepted"):
        return OutboxMessage.objects.create(
            idempotency_key=key,
            kind="campaign",
            channel="sms",
            purpose="marketing",
            status=Status.SENT,
            recipient=NUMBER,
            customer=customer,
            dealer=dealer,
            body_text="Spring offer",
            scheduled_at=timezone.now(),
            sent_at=timezone.now(),
            provider_message_id=provider_id,
        )


def _state(customer):
    with network_wide(reason="test check"):
        consent = Consent.objects.get(customer=customer, channel="sms", purpose="marketing")
        return consent.status, list(OutboxMessage.objects.values_list("id", "status", "opted_out_at"))


@pytest.mark.parametrize("written", WRITTEN)
def test_an_opt_out_from_a_number_written_nationally_withdraws_the_customers_consent(
    client, settings, written
):
    dealer = DealerFactory()
    customer = customer_with(dealer, phone=NUMBER)
    message = _sent(customer, dealer, key="campaign:1:customer:1")
    answer = _signed(client, settings, "messaging:sms_inbound", {"from": written, "body": "TD", "id": "MO1"})
    assert answer.status_code == 200 and answer.json()["opt_out"] is True
    with network_wide(reason="test check"):
        consent = Consent.objects.get(customer=customer, channel="sms", purpose="marketing")
        reply = InboundMessage.objects.get()
        message.refresh_from_db()
    assert (consent.status, consent.source) == ("opt_out", "reply")
    assert (reply.sender, reply.customer_id, reply.in_reply_to_id) == (NUMBER, customer.id, message.id)
    assert message.opted_out_at is not None


def test_an_ordinary_reply_from_a_national_number_is_attributed_to_the_message_it_answers(client, settings):
    dealer = DealerFactory()
    customer = customer_with(dealer, phone=NUMBER)
    message = _sent(customer, dealer, key="campaign:1:customer:1")
    answer = _signed(
        client, settings, "messaging:sms_inbound", {"from": "13900710001", "body": "周六可以试驾吗"}
    )
    assert answer.json()["opt_out"] is False
    with network_wide(reason="test check"):
        reply = InboundMessage.objects.get()
    assert (reply.customer_id, reply.in_reply_to_id, reply.dealer_id) == (customer.id, message.id, dealer.id)
    assert _state(customer)[0] == "opt_in"


def test_a_sender_that_is_no_phone_number_is_kept_as_written_and_matches_nobody(client, settings):
    dealer = DealerFactory()
    customer = customer_with(dealer, phone=NUMBER)
    before = _state(customer)
    answer = _signed(client, settings, "messaging:sms_inbound", {"from": " 10086 ", "body": "TD"})
    assert answer.status_code == 200
    with network_wide(reason="test check"):
        reply = InboundMessage.objects.get()
    assert (reply.sender, reply.customer_id) == ("10086", None)
    assert _state(customer) == before


def test_a_receipt_by_provider_id_with_a_national_number_matches_its_message(client, settings):
    dealer = DealerFactory()
    customer = customer_with(dealer, phone=NUMBER)
    message = _sent(customer, dealer, key="care:1:1:2026-01-01", provider_id="SM42")
    answer = _signed(
        client, settings, "messaging:sms_receipt", {"id": "SM42", "to": "13900710001", "status": "delivered"}
    )
    assert answer.json() == {"matched": True}
    with network_wide(reason="test check"):
        message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_a_receipt_by_provider_id_for_another_number_changes_nothing(client, settings):
    dealer = DealerFactory()
    customer = customer_with(dealer, phone=NUMBER)
    _sent(customer, dealer, key="care:1:1:2026-01-01", provider_id="SM42")
    before = _state(customer)
    answer = _signed(
        client, settings, "messaging:sms_receipt", {"id": "SM42", "to": "13800000000", "status": "failed"}
    )
    assert answer.json() == {"matched": False}
    assert _state(customer) == before


def test_a_receipt_naming_no_message_changes_nothing(client, settings):
    dealer = DealerFactory()
    customer = customer_with(dealer, phone=NUMBER)
    with network_wide(reason="test: a message being handed over, no provider id yet"):
        OutboxMessage.objects.create(
            idempotency_key="in-flight",
            kind="campaign",
            channel="sms",
            purpose="marketing",
            status=Status.SENDING,
            recipient=NUMBER,
            customer=customer,
            scheduled_at=timezone.now(),
        )
    before = _state(customer)
    answer = _signed(client, settings, "messaging:sms_receipt", {"status": "delivered"})
    assert answer.json() == {"matched": False}
    assert _state(customer) == before


# The unsubscribe page ----------------------------------------------------------------------------------


def _email_to(customer, dealer, *, language: str) -> OutboxMessage:
    with network_wide(reason="test: a marketing email"):
        return OutboxMessage.objects.create(
            idempotency_key=f"campaign:9:customer:{customer.id}",
            kind="campaign",
            channel="email",
            purpose="marketing",
            status=Status.SENT,
            recipient="wang@example.cn",
            customer=customer,
            dealer=dealer,
            language=language,
            scheduled_at=timezone.now(),
        )


def test_the_unsubscribe_page_is_the_customers_own_in_the_language_of_the_email(client):
    dealer = DealerFactory(name="浦东汽车4S店")
    customer = customer_with(dealer, sms=False, email="wang@example.cn")
    message = _email_to(customer, dealer, language="zh-hans")
    url = reverse("messaging:unsubscribe", args=[unsubscribe_token(message.idempotency_key)])
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "zh-hans"
    assert "停止接收邮件优惠信息？" in page and '<html lang="zh-Hans">' in page
    assert "浦东汽车4S店" in page
    assert 'name="viewport"' in page
    # Nothing of the staff pages: no sign-in layout, no navigation, no staff scripts.
    assert "auth-aside" not in page and "app-header" not in page and "htmx" not in page
    assert 'href="?lang=en"' in page and 'href="?lang=zh-hans"' in page


def test_the_unsubscribe_page_switches_language_and_keeps_it_through_the_confirmation(client):
    dealer = DealerFactory()
    customer = customer_with(dealer, sms=False, email="wang@example.cn")
    message = _email_to(customer, dealer, language="zh-hans")
    url = reverse("messaging:unsubscribe", args=[unsubscribe_token(message.idempotency_key)])
    page = client.get(url + "?lang=en").content.decode()
    assert "Stop offers by email?" in page and 'action="?lang=en"' in page
    done = client.post(url + "?lang=en")
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    with network_wide(reason="test check"):
        assert (
            Consent.objects.get(customer=customer, channel="email", purpose="marketing").status == "opt_out"
        )


def test_a_broken_unsubscribe_link_says_so_on_the_public_page_and_changes_nothing(client):
    dealer = DealerFactory()
    customer = customer_with(dealer, sms=False, email="wang@example.cn")
    message = _email_to(customer, dealer, language="en")
    token = unsubscribe_token(message.idempotency_key)
    before = _email_state(customer)
    for tampered in (token[:-2] + "xx", unsubscribe_token("campaign:404:customer:404")):
        response = client.post(reverse("messaging:unsubscribe", args=[tampered]))
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
        assert "auth-aside" not in response.content.decode()
    assert _email_state(customer) == before


def _email_state(customer):
    with network_wide(reason="test check"):
        return list(Consent.objects.filter(customer=customer).values_list("channel", "status")), list(
            OutboxMessage.objects.values_list("id", "opted_out_at")
        )
