"""A real Celery worker, on the real Redis, delivers an event to a subscriber exactly once, even when the
same dispatch task is sent three times and two worker processes run them at the same moment."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.db import connection, transaction

from crm.celery import queue_names
from crm.core.scope import network_wide
from crm.timeline.models import EventDelivery, TimelineEvent
from crm.timeline.services import DISPATCH_TASK, event_record
from tests.factories import CustomerFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


@pytest.fixture
def worker(monkeypatch):
    """A worker process on a queue of its own, connected to the test database as the application role."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(current_app.conf, "task_default_queue", queue)
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CELERY_QUEUE": queue,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "-Q",
            ",".join(queue_names(queue)),  # the default queue and the realtime and bulk ones named after it
            "--concurrency=2",
            "--pool=prefork",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
    )
    yield {"queue": queue, "process": process}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(*queue_names(queue))


def wait_until(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_an_event_reaches_its_subscriber_exactly_once_though_the_task_runs_three_times(worker):
    customer = CustomerFactory()
    with network_wide(reason="test"):
        event = event_record(customer_id=customer.id, kind="probe.ping", data={"n": 7})
    # The commit above enqueued one dispatch; send the same task twice more, as a redelivery would.
    for _ in range(2):
        current_app.send_task(DISPATCH_TASK, kwargs={"event_id": event.id})

    def pong_count():
        with network_wide(reason="test"):
            return TimelineEvent.objects.filter(kind="probe.pong", data__ping=event.id).count()

    assert wait_until(lambda: pong_count() >= 1), "the worker never delivered the event"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert wait_until(lambda: broker.llen(worker["queue"]) == 0)
    time.sleep(2)  # let the duplicates that were already taken finish
    assert pong_count() == 1
    with network_wide(reason="test"):
        assert EventDelivery.objects.filter(event_id=event.id).count() == 1
        assert TimelineEvent.objects.get(id=event.id).dispatched_at is not None
    assert worker["process"].poll() is None
    assert not transaction.get_connection().in_atomic_block
