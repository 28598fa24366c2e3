"""The outbox against the real peers (SMS gateway simulator, SMTP sink): rules at send time, retries,
permanent failures, the sweeper, receipts, replies and unsubscribes. The senders run in the test process
here; tests/messaging/test_worker.py and test_chaos.py run them in real Celery workers."""

import email
import email.policy
import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from crm.customers.models import Consent
from crm.messaging.models import Campaign, InboundMessage, OutboxMessage
from crm.messaging.selectors.campaigns import campaign_progress
from crm.messaging.services.campaigns import campaign_pause, campaign_snapshot_batch
from crm.messaging.services.links import unsubscribe_token
from crm.messaging.services.outbox import message_enqueue, outbox_deliver_batch, outbox_sweep_stale
from tests.factories import DealerFactory, campaign_running, consent_give, customer_with, template_make
from tests.messaging.peers import stats

pytestmark = pytest.mark.django_db(transaction=True)

Status = OutboxMessage.Status


def rows(**filters):
    with network_wide(reason="test"):
        return list(OutboxMessage.objects.filter(**filters).order_by("id"))


def deliver_all(channel: str) -> None:
    while outbox_deliver_batch(channel=channel):
        pass


def send_campaign(campaign) -> None:
    while not campaign_snapshot_batch(campaign_id=campaign.id):
        pass
    deliver_all(campaign.channel)


def enqueue(customer, *, key, channel="sms", purpose="marketing", recipient=None, dealer=None, body="Hi"):
    with network_wide(reason="test"):
        return message_enqueue(
            idempotency_key=key,
            kind="test",
            channel=channel,
            purpose=purpose,
            customer_id=customer.id,
            dealer_id=dealer.id if dealer else None,
            recipient=recipient or customer_phone(customer),
            body_text=body,
        )


def customer_phone(customer) -> str:
    with network_wide(reason="test"):
        return customer.contact_points.get(kind="phone").value


def test_a_campaign_reaches_each_opted_in_customer_once_and_spares_the_others(sms_gateway):
    dealer = DealerFactory()
    opted_in = [customer_with(dealer) for _ in range(5)]
    never_asked = customer_with(dealer, sms=False)
    opted_out = customer_with(dealer, sms=False)
    consent_give(opted_out, channel="sms", status="opt_out")
    no_phone = customer_with(dealer, phone=None)
    with network_wide(reason="test"):
        no_phone.contact_points.all().delete()

    with network_wide(reason="test"):
        campaign = campaign_running(dealer=dealer, template=template_make(dealer=dealer))
    send_campaign(campaign)

    by_customer = {m.customer_id: m for m in rows(campaign=campaign)}
    assert {by_customer[c.id].status for c in opted_in} == {Status.SENT}
    assert by_customer[never_asked.id].reason == OutboxMessage.Reason.NO_CONSENT
    assert by_customer[opted_out.id].reason == OutboxMessage.Reason.OPTED_OUT
    assert by_customer[no_phone.id].reason == OutboxMessage.Reason.NO_ADDRESS
    gateway = stats(sms_gateway)
    assert gateway["messages"] == 5 and gateway["duplicates"] == 0
    assert set(gateway["by_to"]) == {customer_phone(c) for c in opted_in}
    # The message is in the customer's language, with their name filled in.
    assert by_customer[opted_in[0].id].body_text == f"{opted_in[0].name}，您好！"
    with network_wide(reason="test"):
        progress = campaign_progress(campaign=Campaign.objects.get(id=campaign.id))
    assert progress["by_status"] == {"sent": 5, "suppressed": 3}
    assert progress["suppressed"] == {"no_consent": 1, "opted_out": 1, "no_address": 1}


def test_another_dealers_customers_are_never_in_a_dealers_campaign(sms_gateway):
    dealer, other = DealerFactory(), DealerFactory()
    ours = customer_with(dealer)
    customer_with(other)
    with network_wide(reason="test"):
        campaign = campaign_running(dealer=dealer, template=template_make(dealer=dealer))
    send_campaign(campaign)
    assert [m.customer_id for m in rows(campaign=campaign)] == [ours.id]


def test_a_missing_placeholder_suppresses_the_message_instead_of_sending_a_blank(sms_gateway):
    dealer = DealerFactory()
    without_car = customer_with(dealer)
    with network_wide(reason="test"):
        template = template_make(
            dealer=dealer, body_zh="{{ customer.name }}，您的 {{ vehicle.model }} 该保养了"
        )
        campaign = campaign_running(dealer=dealer, template=template)
    send_campaign(campaign)
    [message] = rows(campaign=campaign)
    assert message.customer_id == without_car.id
    assert (message.status, message.reason) == (Status.SUPPRESSED, OutboxMessage.Reason.MISSING_PLACEHOLDER)
    assert "vehicle.model" in message.last_error
    assert stats(sms_gateway)["messages"] == 0


def test_an_opt_out_after_the_campaign_was_listed_is_honoured_by_the_queued_message(sms_gateway):
    dealer = DealerFactory()
    stays, leaves = customer_with(dealer), customer_with(dealer)
    with network_wide(reason="test"):
        campaign = campaign_running(dealer=dealer, template=template_make(dealer=dealer))
    while not campaign_snapshot_batch(campaign_id=campaign.id):
        pass
    assert {m.status for m in rows(campaign=campaign)} == {Status.QUEUED}
    consent_give(leaves, channel="sms", status="opt_out")
    deliver_all("sms")
    by_customer = {m.customer_id: m for m in rows(campaign=campaign)}
    assert by_customer[stays.id].status == Status.SENT
    assert (by_customer[leaves.id].status, by_customer[leaves.id].reason) == (Status.SUPPRESSED, "opted_out")


def test_service_messages_need_no_opt_in_but_respect_an_opt_out(sms_gateway):
    dealer = DealerFactory()
    never_asked = customer_with(dealer, sms=False)
    opted_out = customer_with(dealer, sms=False)
    consent_give(opted_out, channel="sms", purpose="service", status="opt_out")
    for customer in (never_asked, opted_out):
        enqueue(customer, key=f"recall:{customer.id}", purpose="service", dealer=dealer)
    deliver_all("sms")
    assert rows(customer=never_asked)[0].status == Status.SENT
    assert rows(customer=opted_out)[0].reason == "opted_out"


def test_the_same_idempotency_key_is_one_message():
    dealer = DealerFactory()
    customer = customer_with(dealer)
    first = enqueue(customer, key="k1", dealer=dealer)
    second = enqueue(customer, key="k1", dealer=dealer)
    assert first is not None and second is None
    assert len(rows(idempotency_key="k1")) == 1


def test_marketing_waits_for_the_end_of_the_dealers_quiet_hours_but_service_goes(sms_gateway, settings):
    dealer = DealerFactory(time_zone="Asia/Shanghai")
    customer = customer_with(dealer)
    local = timezone.now().astimezone(ZoneInfo("Asia/Shanghai"))
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    settings.MESSAGING_QUIET_HOURS = (start.strftime("%H:%M"), end.strftime("%H:%M"))
    enqueue(customer, key="offer", dealer=dealer)
    enqueue(customer, key="appointment", purpose="service", dealer=dealer)
    deliver_all("sms")
    offer, appointment = rows(idempotency_key="offer")[0], rows(idempotency_key="appointment")[0]
    assert appointment.status == Status.SENT
    assert offer.status == Status.QUEUED and offer.attempts == 0
    assert offer.scheduled_at == datetime.combine(
        end.date(), end.time().replace(second=0, microsecond=0), tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert stats(sms_gateway)["messages"] == 1


def test_quiet_hours_follow_each_dealers_time_zone(settings):
    from crm.messaging.services.rules import quiet_hours_end

    settings.MESSAGING_QUIET_HOURS = ("21:00", "08:00")
    at = datetime(2026, 11, 22, 14, 30, tzinfo=ZoneInfo("UTC"))  # 22:30 in Shanghai, 15:30 in Berlin
    assert quiet_hours_end(at=at, time_zone="Asia/Shanghai") == datetime(
        2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert quiet_hours_end(at=at, time_zone="Europe/Berlin") is None
    early = datetime(2026, 11, 22, 22, 0, tzinfo=ZoneInfo("UTC"))  # 06:00 in Shanghai: the same morning
    assert quiet_hours_end(at=early, time_zone="Asia/Shanghai") == datetime(
        2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")
    )


def test_the_frequency_cap_counts_marketing_across_campaigns_and_spares_service(sms_gateway, settings):
    settings.MESSAGING_FREQUENCY_CAP = 3
    dealer = DealerFactory()
    customer = customer_with(dealer)
    for n in range(5):
        enqueue(customer, key=f"offer-{n}", dealer=dealer)
    enqueue(customer, key="recall", purpose="service", dealer=dealer)
    deliver_all("sms")
    statuses = [(m.idempotency_key, m.status, m.reason) for m in rows(customer=customer)]
    assert [s for _, s, _ in statuses[:3]] == [Status.SENT] * 3
    assert [(s, r) for _, s, r in statuses[3:5]] == [(Status.SUPPRESSED, "frequency_cap")] * 2
    assert statuses[5][1] == Status.SENT


def test_two_senders_at_once_still_respect_the_frequency_cap(sms_gateway, settings):
    settings.MESSAGING_FREQUENCY_CAP = 3
    dealer = DealerFactory()
    customers = [customer_with(dealer) for _ in range(10)]
    for n in range(6):
        for customer in customers:
            enqueue(customer, key=f"offer-{n}-{customer.id}", dealer=dealer)

    def sender():
        try:
            while outbox_deliver_batch(channel="sms", limit=7):
                pass
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for customer in customers:
        assert sum(m.status == Status.SENT for m in rows(customer=customer)) == 3


def test_a_gateway_5xx_is_retried_later_and_then_recorded_as_failed(sms_gateway, settings):
    settings.MESSAGING_MAX_ATTEMPTS = 2
    settings.MESSAGING_RETRY_BASE_SECONDS = 0
    dealer = DealerFactory()
    customer = customer_with(dealer, phone="+8613900005030")  # the simulator answers 503 for *5030
    enqueue(customer, key="offer", dealer=dealer)
    outbox_deliver_batch(channel="sms")
    [message] = rows(customer=customer)
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert "503" in message.last_error
    outbox_deliver_batch(channel="sms")
    [message] = rows(customer=customer)
    assert (message.status, message.attempts) == (Status.FAILED, 2)
    assert "gave up after 2 attempts" in message.last_error


def test_an_invalid_number_fails_permanently_at_once(sms_gateway):
    dealer = DealerFactory()
    customer = customer_with(dealer, phone="+8613900000000")  # the simulator rejects *0000
    enqueue(customer, key="offer", dealer=dealer)
    outbox_deliver_batch(channel="sms")
    [message] = rows(customer=customer)
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "invalid_number" in message.last_error


def test_email_has_text_and_html_parts_and_one_click_unsubscribe(smtp_sink):
    dealer = DealerFactory()
    customer = customer_with(dealer, sms=False, email="wang@example.cn", language="en")
    with network_wide(reason="test"):
        template = template_make(
            dealer=dealer,
            channel="email",
            subject_en="Winter check for {{ customer.name }}",
            body_en="Dear {{ customer.name }},\n\nCome in for a <free> check.",
        )
        campaign = campaign_running(dealer=dealer, template=template)
    send_campaign(campaign)
    [message] = rows(campaign=campaign)
    assert message.status == Status.SENT
    sink = stats(smtp_sink)
    assert sink["messages"] == 1
    received = _latest_mail(smtp_sink)
    assert received["Subject"] == f"Winter check for {customer.name}"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/m/u/" in received["List-Unsubscribe"]
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in received.walk()
        if not part.is_multipart()
    }
    assert "&lt;free&gt;" in parts["text/html"] and "<free>" in parts["text/plain"]
    assert "Unsubscribe:" in parts["text/plain"]


def test_the_list_unsubscribe_header_is_one_plain_line_and_the_html_part_links_the_address(
    smtp_sink, settings
):
    settings.SITE_URL = "https://crm.shanghai-pudong-motors-dealer-group.example.com"
    dealer = DealerFactory()
    customer_with(dealer, sms=False, email="wang@example.cn", language="en")
    with network_wide(reason="test"):
        template = template_make(
            dealer=dealer, channel="email", subject_en="Spring", body_en="Dear {{ customer.name }}"
        )
        campaign = campaign_running(dealer=dealer, template=template)
    send_campaign(campaign)
    raw = _latest_raw(smtp_sink)
    headers = raw.split("\r\n\r\n", 1)[0] if "\r\n\r\n" in raw else raw.split("\n\n", 1)[0]
    [line] = [h for h in headers.splitlines() if h.lower().startswith("list-unsubscribe:")]
    url = line.split(":", 1)[1].strip()
    assert "=?" not in line
    assert url.startswith(f"<{settings.SITE_URL}/m/u/") and url.endswith(">")
    assert len(line) > 78  # long enough that default folding would have encoded it
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in email.message_from_string(raw, policy=email.policy.default).walk()
        if not part.is_multipart()
    }
    address = url[1:-1]
    assert f'<a href="{address}">{address}</a>' in parts["text/html"]


def _latest_raw(sink_url) -> str:
    from tests.messaging.peers import request

    status, listing = request("GET", sink_url + "/_messages")
    entries = listing if isinstance(listing, list) else listing.get("messages", [])
    assert entries, listing
    status, raw = request("GET", f"{sink_url}/{entries[-1]['name']}")
    return raw


def _latest_mail(sink_url):
    from tests.messaging.peers import request

    status, listing = request("GET", sink_url + "/_messages")
    entries = listing if isinstance(listing, list) else listing.get("messages", [])
    assert entries, listing
    status, raw = request("GET", f"{sink_url}/{entries[-1]['name']}")
    return email.message_from_string(raw, policy=email.policy.default)


def test_the_sweeper_requeues_unsent_rows_and_marks_handed_emails_uncertain(smtp_sink, sms_gateway):
    dealer = DealerFactory()
    customer = customer_with(dealer, email="li@example.cn")
    never_handed = enqueue(
        customer, key="a", channel="email", recipient="li@example.cn", dealer=dealer, purpose="service"
    )
    handed = enqueue(
        customer, key="b", channel="email", recipient="li@example.cn", dealer=dealer, purpose="service"
    )
    sms_accepted = enqueue(customer, key="c", dealer=dealer, purpose="service")
    sms_lost = enqueue(customer, key="d", dealer=dealer, purpose="service")
    # sms "c" reached the gateway before its sender died; "d" did not.
    from crm.messaging.channels import channel_for

    with network_wide(reason="test"):
        channel_for("sms").send(OutboxMessage.objects.get(id=sms_accepted.id))
        stale = timezone.now() - timedelta(hours=1)
        OutboxMessage.objects.filter(
            id__in=[never_handed.id, handed.id, sms_accepted.id, sms_lost.id]
        ).update(status=Status.SENDING, claimed_at=stale, attempts=1)
        OutboxMessage.objects.filter(id=handed.id).update(handed_at=stale)
    counts = outbox_sweep_stale()
    assert counts == {"requeued": 2, "sent": 1, "uncertain": 1}
    assert rows(id=never_handed.id)[0].status == Status.QUEUED
    assert rows(id=handed.id)[0].status == Status.UNCERTAIN
    accepted = rows(id=sms_accepted.id)[0]
    assert accepted.status == Status.SENT and accepted.provider_message_id
    assert rows(id=sms_lost.id)[0].status == Status.QUEUED


def _signed(client, name, payload, secret):
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        reverse(name), body, content_type="application/json", headers={"X-Signature": signature}
    )


def test_a_signed_delivery_receipt_marks_the_message_delivered_and_a_forged_one_is_refused(
    client, settings, sms_gateway
):
    dealer = DealerFactory()
    customer = customer_with(dealer)
    message = enqueue(customer, key="offer", dealer=dealer)
    outbox_deliver_batch(channel="sms")
    forged = client.post(
        reverse("messaging:sms_receipt"),
        {"client_ref": "offer", "status": "delivered"},
        content_type="application/json",
        headers={"X-Signature": "0" * 64},
    )
    assert forged.status_code == 403
    assert rows(id=message.id)[0].status == Status.SENT
    answer = _signed(
        client,
        "messaging:sms_receipt",
        {"id": "SM1", "client_ref": "offer", "status": "delivered"},
        settings.SMS_WEBHOOK_SECRET,
    )
    assert answer.status_code == 200 and answer.json() == {"matched": True}
    delivered = rows(id=message.id)[0]
    assert delivered.status == Status.DELIVERED and delivered.delivered_at is not None


@pytest.mark.parametrize("word", ["TD", "t", "退订", "STOP", " stop. "])
def test_an_opt_out_reply_withdraws_sms_marketing_consent_at_once(client, settings, sms_gateway, word):
    dealer = DealerFactory()
    customer = customer_with(dealer)
    campaign_message = enqueue(customer, key="offer-1", dealer=dealer)
    outbox_deliver_batch(channel="sms")
    queued = enqueue(customer, key="offer-2", dealer=dealer)
    answer = _signed(
        client,
        "messaging:sms_inbound",
        {"from": customer_phone(customer), "body": word, "id": "MO1"},
        settings.SMS_WEBHOOK_SECRET,
    )
    assert answer.status_code == 200 and answer.json()["opt_out"] is True
    with network_wide(reason="test"):
        consent = Consent.objects.get(customer=customer, channel="sms", purpose="marketing")
        reply = InboundMessage.objects.get()
    assert (consent.status, consent.source) == ("opt_out", "reply")
    assert reply.in_reply_to_id == campaign_message.id and reply.customer_id == customer.id
    assert rows(id=campaign_message.id)[0].opted_out_at is not None
    outbox_deliver_batch(channel="sms")
    assert rows(id=queued.id)[0].reason == "opted_out"


def test_an_ordinary_reply_is_kept_without_touching_consent(client, settings, sms_gateway):
    dealer = DealerFactory()
    customer = customer_with(dealer)
    answer = _signed(
        client,
        "messaging:sms_inbound",
        {"from": customer_phone(customer), "body": "周六可以试驾吗？"},
        settings.SMS_WEBHOOK_SECRET,
    )
    assert answer.json()["opt_out"] is False
    with network_wide(reason="test"):
        assert Consent.objects.get(customer=customer, channel="sms", purpose="marketing").status == "opt_in"


def test_the_unsubscribe_link_asks_then_withdraws_email_marketing_consent(client):
    dealer = DealerFactory()
    customer = customer_with(dealer, sms=False, email="zhao@example.cn")
    message = enqueue(customer, key="newsletter", channel="email", recipient="zhao@example.cn", dealer=dealer)
    url = reverse("messaging:unsubscribe", args=[unsubscribe_token("newsletter")])
    assert client.get(url).status_code == 200
    with network_wide(reason="test"):
        assert Consent.objects.get(customer=customer, channel="email", purpose="marketing").status == "opt_in"
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    with network_wide(reason="test"):
        assert (
            Consent.objects.get(customer=customer, channel="email", purpose="marketing").status == "opt_out"
        )
    assert rows(id=message.id)[0].opted_out_at is not None
    tampered = reverse("messaging:unsubscribe", args=[unsubscribe_token("newsletter")[:-2] + "xx"])
    assert client.post(tampered).status_code == 404


def test_a_paused_campaign_sends_nothing_until_resumed(sms_gateway):
    from crm.messaging.services.campaigns import campaign_resume

    dealer = DealerFactory()
    for _ in range(3):
        customer_with(dealer)
    with network_wide(reason="test"):
        campaign = campaign_running(dealer=dealer, template=template_make(dealer=dealer))
    while not campaign_snapshot_batch(campaign_id=campaign.id):
        pass
    with network_wide(reason="test"):
        manager = campaign.created_by
        campaign_pause(campaign=campaign, by=manager)
    deliver_all("sms")
    assert {m.status for m in rows(campaign=campaign)} == {Status.QUEUED}
    with network_wide(reason="test"):
        campaign_resume(campaign=Campaign.objects.get(id=campaign.id), by=manager)
    deliver_all("sms")
    assert {m.status for m in rows(campaign=campaign)} == {Status.SENT}


def test_a_claim_takes_at_most_its_limit_and_marks_only_those_sending():
    from crm.messaging.services.outbox import outbox_claim

    dealer = DealerFactory()
    customer = customer_with(dealer)
    for n in range(30):
        enqueue(customer, key=f"notice-{n}", purpose="service", dealer=dealer)
    claimed = outbox_claim(channel="sms", limit=4)
    assert len(claimed) == 4
    assert sorted(m.id for m in rows(status=Status.SENDING)) == sorted(m.id for m in claimed)


def test_an_ended_campaign_keeps_its_counts_for_the_lists(sms_gateway):
    from crm.messaging.services.campaigns import campaign_cancel, campaigns_finish

    dealer = DealerFactory()
    customer_with(dealer)
    customer_with(dealer, sms=False)
    with network_wide(reason="test"):
        finished = campaign_running(dealer=dealer, template=template_make(dealer=dealer))
        cancelled = campaign_running(dealer=dealer, template=template_make(dealer=dealer))
    send_campaign(finished)
    while not campaign_snapshot_batch(campaign_id=cancelled.id):
        pass
    assert campaigns_finish() == [finished.id]
    with network_wide(reason="test"):
        campaign_cancel(campaign=Campaign.objects.get(id=cancelled.id), by=cancelled.created_by)
        summaries = dict(Campaign.objects.values_list("id", "summary"))
    assert summaries[finished.id] == {"sent": 1, "suppressed": 1}
    assert summaries[cancelled.id] == {"cancelled": 1, "suppressed": 1}
