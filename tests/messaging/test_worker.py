"""One campaign through a real Celery worker, beat's tick and the real SMS gateway simulator, with every
rule in play at once: consent, quiet hours, the frequency cap, an opt-out mid-campaign, a template that
lacks a customer's data, a gateway 5xx retried then given up, and a number the gateway rejects."""

import hashlib
import hmac
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from crm.messaging.models import Campaign, OutboxMessage
from crm.messaging.selectors.campaigns import campaign_progress
from crm.messaging.services.campaigns import campaign_pause, campaign_resume
from crm.messaging.services.outbox import message_enqueue
from tests.factories import DealerFactory, VehicleFactory, campaign_running, customer_with, template_make
from tests.messaging.peers import SMS_API_KEY, sms_simulator_process, stats
from tests.messaging.workers import celery_stack, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


def _status(campaign_id):
    with network_wide(reason="test"):
        return {
            m.customer_id: (m.status, m.reason) for m in OutboxMessage.objects.filter(campaign_id=campaign_id)
        }


def test_a_campaign_through_a_real_worker_obeys_every_rule(settings):
    dealer = DealerFactory(time_zone="Asia/Shanghai")
    with network_wide(reason="test"):
        template = template_make(
            dealer=None, body_zh="{{ customer.name }}，您的 {{ vehicle.model }} 冬季免费检测"
        )
    happy = [customer_with(dealer) for _ in range(4)]
    no_consent = customer_with(dealer, sms=False)
    capped = customer_with(dealer)
    leaving = customer_with(dealer)
    flaky = customer_with(dealer, phone="+8613900005030")  # the simulator answers 503 for *5030
    invalid = customer_with(dealer, phone="+8613900000000")  # and rejects *0000
    no_car = customer_with(dealer)
    with network_wide(reason="test"):
        for customer in [*happy, no_consent, capped, leaving, flaky, invalid]:
            VehicleFactory(owner=customer, model="Model Y")
        for n in range(3):  # three offers this week already
            message_enqueue(
                idempotency_key=f"earlier-{n}",
                kind="test",
                channel="sms",
                purpose="marketing",
                customer_id=capped.id,
                dealer_id=dealer.id,
                recipient="+8613000000001",
                body_text="x",
                status="sent",
            )
        OutboxMessage.objects.filter(customer=capped).update(claimed_at=timezone.now() - timedelta(days=2))

    with (
        sms_simulator_process() as gateway,
        celery_stack(
            channel_env={
                "SMS_PROVIDER_URL": gateway,
                "SMS_PROVIDER_KEY": SMS_API_KEY,
                "MESSAGING_MAX_ATTEMPTS": "2",
            },
            concurrency=2,
        ),
    ):
        with network_wide(reason="test"):
            campaign = campaign_running(dealer=dealer, template=template)
            campaign_pause(campaign=campaign, by=campaign.created_by)  # hold it while one customer opts out

        # The customer texts TD before their message goes: consent is gone at once, the queued message spared.
        body = json.dumps({"from": _phone(leaving), "body": "TD"}).encode()
        signature = hmac.new(settings.SMS_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        answer = Client().post(
            reverse("messaging:sms_inbound"),
            body,
            content_type="application/json",
            headers={"X-Signature": signature},
        )
        assert answer.json()["opt_out"] is True
        with network_wide(reason="test"):
            campaign_resume(campaign=Campaign.objects.get(id=campaign.id), by=campaign.created_by)

        def finished():
            with network_wide(reason="test"):
                return Campaign.objects.get(id=campaign.id).status == Campaign.Status.COMPLETED

        assert wait_until(finished, timeout=120), _status(campaign.id)
        sent_to = stats(gateway)["by_to"]

    statuses = _status(campaign.id)
    assert {statuses[c.id] for c in happy} == {("sent", "")}
    assert statuses[no_consent.id] == ("suppressed", "no_consent")
    assert statuses[capped.id] == ("suppressed", "frequency_cap")
    assert statuses[leaving.id] == ("suppressed", "opted_out")
    assert statuses[no_car.id] == ("suppressed", "missing_placeholder")
    assert statuses[flaky.id] == ("failed", "")
    assert statuses[invalid.id] == ("failed", "")
    with network_wide(reason="test"):
        flaky_row = OutboxMessage.objects.get(campaign=campaign, customer=flaky)
        invalid_row = OutboxMessage.objects.get(campaign=campaign, customer=invalid)
    assert flaky_row.attempts == 2 and "503" in flaky_row.last_error
    assert invalid_row.attempts == 1 and "invalid_number" in invalid_row.last_error
    assert sorted(sent_to) == sorted(_phone(c) for c in happy) and set(sent_to.values()) == {1}


def test_marketing_listed_in_the_dealers_quiet_hours_waits_for_morning():
    """Listing happens at once, but the messages are scheduled for the end of the dealer's quiet hours."""
    zone = ZoneInfo("Asia/Shanghai")
    dealer = DealerFactory(time_zone="Asia/Shanghai")
    customer_with(dealer)
    local = timezone.now().astimezone(zone)
    quiet = f"{(local - timedelta(hours=1)):%H:%M}-{(local + timedelta(hours=1)):%H:%M}"
    with network_wide(reason="test"):
        template = template_make(dealer=dealer)
    with (
        sms_simulator_process() as gateway,
        celery_stack(
            channel_env={
                "SMS_PROVIDER_URL": gateway,
                "SMS_PROVIDER_KEY": SMS_API_KEY,
                "MESSAGING_QUIET_HOURS": quiet,
            },
            concurrency=1,
        ),
    ):
        with network_wide(reason="test"):
            campaign = campaign_running(dealer=dealer, template=template)

        def listed():
            with network_wide(reason="test"):
                return Campaign.objects.get(id=campaign.id).snapshot_done_at is not None

        assert wait_until(listed, timeout=60)
        with network_wide(reason="test"):
            message = OutboxMessage.objects.get(campaign=campaign)
        assert message.status == "queued"
        with network_wide(reason="test"):
            progress = campaign_progress(campaign=Campaign.objects.get(id=campaign.id))
        assert (progress["waiting"], progress["waiting_until"]) == (1, message.scheduled_at)
        assert (
            message.scheduled_at.astimezone(zone).strftime("%H:%M") == f"{local + timedelta(hours=1):%H:%M}"
        )
        assert stats(gateway)["messages"] == 0


def _phone(customer) -> str:
    with network_wide(reason="test"):
        return customer.contact_points.get(kind="phone").value
