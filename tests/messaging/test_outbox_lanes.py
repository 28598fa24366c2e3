"""The outbox's two lanes and the Celery queues: a reminder due now is claimed before every campaign row queued
earlier on the same channel; the realtime sender never takes a bulk row; each task goes to its queue."""

import time
import uuid
from datetime import timedelta

import pytest
import redis
from celery import current_app
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from crm.celery import TASK_LANES, queue_names
from crm.core.scope import network_wide
from crm.messaging.models import OutboxMessage
from crm.messaging.services.notifications import staff_notify
from crm.messaging.services.outbox import message_enqueue, outbox_claim, rate_take
from crm.messaging.tasks import messaging_tick
from tests.factories import DealerFactory, campaign_running, template_make

pytestmark = pytest.mark.django_db(transaction=True)

QUEUED_CAMPAIGN_ROWS = 500


def _campaign_backlog(*, channel: str, rows: int = QUEUED_CAMPAIGN_ROWS):
    """A sending campaign with `rows` messages queued an hour ago (as its listing leaves them)."""
    dealer = DealerFactory()
    earlier = timezone.now() - timedelta(hours=1)
    with network_wide(reason="test"):
        campaign = campaign_running(dealer=dealer, template=template_make(dealer=dealer, channel=channel))
        OutboxMessage.objects.bulk_create(
            OutboxMessage(
                idempotency_key=f"campaign:{campaign.id}:row:{n}",
                kind="campaign",
                channel=channel,
                purpose="marketing",
                campaign=campaign,
                dealer=dealer,
                is_bulk=True,
                recipient=f"+86139{n:08d}" if channel == "sms" else f"owner{n}@example.com",
                body_text="Spring offer",
                scheduled_at=earlier,
            )
            for n in range(rows)
        )
    return dealer, campaign


def _due(scheduled_at):
    """Claims compare with the transaction's now(): a row written a moment ago is due a moment later."""
    while timezone.now() <= scheduled_at:
        time.sleep(0.01)


def test_a_reminder_due_now_is_claimed_before_the_campaign_rows_queued_before_it():
    _campaign_backlog(channel="email")
    manager = get_user_model().objects.create(username=f"manager-{uuid.uuid4().hex[:6]}", email="m@example.com")
    assert staff_notify(user=manager, key="sla-breach:1:1", kind="leads.sla_breach", title="Lead 1 missed its SLA", email=True)
    with network_wide(reason="test"):
        reminder = OutboxMessage.objects.get(idempotency_key="staff:sla-breach:1:1")
    assert not reminder.is_bulk
    _due(reminder.scheduled_at)

    first_batch = outbox_claim(channel="email", limit=100)  # a bulk sender: one-off messages first

    assert reminder.id in [m.id for m in first_batch]
    assert len(first_batch) == 100, "the rest of the batch is the campaign's"
    with network_wide(reason="test"):
        assert OutboxMessage.objects.filter(campaign__isnull=False, status="queued").count() == 401


def test_a_salespersons_text_overtakes_a_campaign_on_the_same_channel_and_the_realtime_sender_leaves_bulk_rows():
    dealer, campaign = _campaign_backlog(channel="sms")
    with network_wide(reason="test"):
        text = message_enqueue(
            idempotency_key="lead-sms:1",
            kind="leads.sms",
            channel="sms",
            purpose="service",
            recipient="+8613800000001",
            body_text="Your test drive is at 3 pm",
            dealer_id=dealer.id,
        )
    _due(text.scheduled_at)

    realtime = outbox_claim(channel="sms", limit=100, bulk=False)

    assert [m.id for m in realtime] == [text.id]
    assert outbox_claim(channel="sms", limit=100, bulk=False) == [], "the realtime sender never takes bulk rows"
    with network_wide(reason="test"):
        assert OutboxMessage.objects.filter(campaign=campaign, status="queued").count() == QUEUED_CAMPAIGN_ROWS
    assert len(outbox_claim(channel="sms", limit=100)) == 100, "a bulk sender sends the campaign"


def test_a_bulk_sender_leaves_a_share_of_the_rate_limit_to_one_off_messages(settings):
    settings.MESSAGING_RATE_LIMITS = {"sms": 20, "email": 0}
    settings.MESSAGING_REALTIME_RATE_SHARE = 0.1
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    while time.time() % 1 > 0.7:  # the whole test within one second
        time.sleep(0.05)
    client.delete(*[f"messaging:rate:sms:{int(time.time()) + d}" for d in range(-1, 3)])
    second = int(time.time())

    bulk = rate_take(channel="sms", wanted=100, bulk=True)
    one_off = rate_take(channel="sms", wanted=100)

    assert int(time.time()) == second, "the test ran within one second"
    assert (bulk, one_off) == (18, 2)


def test_the_tick_wakes_the_realtime_sender_while_a_campaign_is_making_progress(monkeypatch):
    _campaign_backlog(channel="sms", rows=3)
    with network_wide(reason="test"):
        message_enqueue(
            idempotency_key="survey:1",
            kind="survey.invitation",
            channel="sms",
            purpose="service",
            recipient="+8613800000002",
            body_text="How was your visit?",
            scheduled_at=timezone.now() - timedelta(seconds=1),
        )
    woken = []
    monkeypatch.setattr(
        "crm.messaging.tasks.outbox_wake", lambda **kwargs: woken.append((kwargs["channel"], kwargs.get("bulk", False)))
    )
    from django.core.cache import cache

    cache.set("messaging:progress:sms", timezone.now().timestamp(), timeout=60)  # the bulk chain is alive

    messaging_tick()

    assert ("sms", False) in woken and ("sms", True) not in woken


def test_each_task_goes_to_its_queue(monkeypatch):
    base = f"test-routes-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(current_app.conf, "task_default_queue", base)
    default, realtime, bulk = queue_names(base)
    client = redis.Redis.from_url(current_app.conf.broker_url)
    try:
        for name in (
            "leads.tasks.staff_reminders",
            "service.care.tasks.complaints_escalate",
            "crm.messaging.tasks.outbox_deliver",
            "crm.messaging.tasks.campaign_snapshot",
            "crm.messaging.tasks.outbox_deliver_bulk",
            "crm.timeline.tasks.timeline_dispatch",
        ):
            current_app.send_task(name, kwargs={})
        assert [client.llen(q) for q in (default, realtime, bulk)] == [1, 3, 2]
    finally:
        client.delete(default, realtime, bulk)


def test_every_routed_task_exists_and_every_messaging_sender_is_routed():
    current_app.loader.import_default_modules()
    assert set(TASK_LANES) <= set(current_app.tasks), "a routed name that is no task routes nothing"
    assert TASK_LANES["crm.messaging.tasks.outbox_deliver"] == "realtime"
    assert TASK_LANES["crm.messaging.tasks.outbox_deliver_bulk"] == "bulk"
