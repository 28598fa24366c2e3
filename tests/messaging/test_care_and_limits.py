"""Care messages go once per customer and occasion at the programme's hour in the dealer's time zone; the
per-channel rate limit holds across senders."""

import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings as django_settings

from crm.core.scope import network_wide
from crm.messaging.models import CareProgram, OutboxMessage
from crm.messaging.services.care import care_programs_run
from crm.messaging.services.outbox import outbox_claim, rate_take
from tests.factories import DealerFactory, VehicleFactory, customer_with, template_make

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _programme(dealer, trigger: str, body_zh: str) -> CareProgram:
    with network_wide(reason="test"):
        template = template_make(dealer=dealer, body_zh=body_zh)
        return CareProgram.objects.create(dealer=dealer, trigger=trigger, template=template, send_hour=10)


def _care_messages():
    with network_wide(reason="test"):
        return list(OutboxMessage.objects.filter(kind__startswith="care.").order_by("id"))


def test_a_birthday_greeting_goes_once_at_the_programmes_hour_in_the_dealers_time_zone():
    dealer = DealerFactory(time_zone="Asia/Shanghai")
    birthday_today = customer_with(dealer, birthday=date(1990, 11, 23))
    customer_with(dealer, birthday=date(1990, 11, 24))
    _programme(dealer, "birthday", "{{ customer.name }}，生日快乐！")

    assert care_programs_run(now=datetime(2026, 11, 23, 9, 59, tzinfo=SHANGHAI)) == 0  # before ten
    assert care_programs_run(now=datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)) == 1
    assert care_programs_run(now=datetime(2026, 11, 23, 15, 0, tzinfo=SHANGHAI)) == 0  # ran today already
    [message] = _care_messages()
    assert message.customer_id == birthday_today.id
    assert message.body_text == f"{birthday_today.name}，生日快乐！"
    with network_wide(reason="test"):
        program_id = CareProgram.objects.get().id
    assert message.idempotency_key == f"care:{program_id}:{birthday_today.id}:2026-11-23"


def test_a_purchase_anniversary_counts_cars_bought_in_earlier_years_only():
    dealer = DealerFactory(time_zone="Asia/Shanghai")
    anniversary = customer_with(dealer)
    bought_today = customer_with(dealer)
    with network_wide(reason="test"):
        VehicleFactory(owner=anniversary, model="A6", purchase_date=date(2024, 11, 23), selling_dealer=dealer)
        VehicleFactory(
            owner=bought_today, model="A6", purchase_date=date(2026, 11, 23), selling_dealer=dealer
        )
    _programme(dealer, "purchase_anniversary", "{{ customer.name }}，您的{{ vehicle.model }}陪伴您又一年了")
    care_programs_run(now=datetime(2026, 11, 23, 11, 0, tzinfo=SHANGHAI))
    assert [m.customer_id for m in _care_messages()] == [anniversary.id]


def test_the_rate_limit_is_shared_by_every_sender_and_refills_each_second(settings):
    settings.MESSAGING_RATE_LIMITS = {"sms": 5, "email": 0}
    redis.Redis.from_url(django_settings.REDIS_URL).delete(
        *[f"messaging:rate:sms:{int(time.time()) + d}" for d in range(-1, 3)]
    )
    granted = [rate_take(channel="sms", wanted=3) for _ in range(2)]
    assert sum(granted) <= 5 + 3  # at most one second boundary fell between the two calls
    first_second = int(time.time())
    taken = 0
    while int(time.time()) == first_second:
        taken += rate_take(channel="sms", wanted=1)
        if int(time.time()) != first_second:
            break
        assert taken <= 5
    assert rate_take(channel="email", wanted=100) == 100  # no limit set


def _fresh_rate_counters():
    keys = [f"messaging:rate:sms:{int(time.time()) + d}" for d in range(-1, 3)]
    redis.Redis.from_url(django_settings.REDIS_URL).delete(*keys)


def test_a_claim_never_takes_more_than_the_rate_allows(settings):
    settings.MESSAGING_RATE_LIMITS = {"sms": 3, "email": 0}
    _fresh_rate_counters()
    dealer = DealerFactory()
    customer = customer_with(dealer)
    from crm.messaging.services.outbox import message_enqueue

    with network_wide(reason="test"):
        for n in range(10):
            message_enqueue(
                idempotency_key=f"n{n}",
                kind="test",
                channel="sms",
                purpose="service",
                customer_id=customer.id,
                dealer_id=dealer.id,
                recipient="+8613800000017",
                body_text="x",
                # Due before this test's transaction began (PostgreSQL's now() is its start).
                scheduled_at=datetime(2026, 1, 1, tzinfo=SHANGHAI),
            )
    limit = rate_take(channel="sms", wanted=100)
    assert 1 <= limit <= 3
    assert len(outbox_claim(channel="sms", limit=limit)) == limit
