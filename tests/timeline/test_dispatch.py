"""Events reach each subscriber exactly once, however often the hand-off runs."""

import pytest

from crm.core.scope import network_wide
from crm.timeline import registry
from crm.timeline.models import EventDelivery, TimelineEvent
from crm.timeline.services import SubscriberFailed, event_dispatch, event_record, events_undispatched_ids
from tests.factories import CustomerFactory, DealerFactory

pytestmark = pytest.mark.django_db


def ping(customer, n=1) -> TimelineEvent:
    with network_wide(reason="test"):
        return event_record(customer_id=customer.id, kind="probe.ping", data={"n": n})


def pongs() -> int:
    with network_wide(reason="test"):
        return TimelineEvent.objects.filter(kind="probe.pong").count()


def test_running_the_dispatch_twice_delivers_once():
    event = ping(CustomerFactory(dealer=DealerFactory()))
    assert event_dispatch(event_id=event.id) == 1
    assert event_dispatch(event_id=event.id) == 0
    assert pongs() == 1
    with network_wide(reason="test"):
        assert EventDelivery.objects.filter(event=event).count() == 1
        assert TimelineEvent.objects.get(id=event.id).dispatched_at is not None


def test_events_nobody_subscribes_to_are_marked_handed_over_at_once():
    with network_wide(reason="test"):
        event = event_record(customer_id=CustomerFactory().id, kind="customer.note", data={"text": "hi"})
    assert event.dispatched_at is not None


def test_a_failing_subscriber_rolls_back_its_delivery_and_is_retried(monkeypatch):
    calls = []

    def flaky(event):
        calls.append(event.id)
        if len(calls) == 1:
            raise RuntimeError("provider down")

    monkeypatch.setitem(
        registry._subscribers,
        "probe.answer",
        registry.Subscriber("probe.answer", frozenset({"probe.ping"}), flaky),
    )
    event = ping(CustomerFactory())
    with pytest.raises(SubscriberFailed):
        event_dispatch(event_id=event.id)
    with network_wide(reason="test"):
        assert not EventDelivery.objects.filter(event=event).exists()
        assert TimelineEvent.objects.get(id=event.id).dispatch_attempts == 1
    assert event_dispatch(event_id=event.id) == 1
    assert event_dispatch(event_id=event.id) == 0
    assert calls == [event.id, event.id]


def test_the_sweep_finds_events_whose_hand_off_was_lost():
    event = ping(CustomerFactory())
    with network_wide(reason="test"):
        TimelineEvent.objects.filter(id=event.id).update(recorded_at=event.recorded_at.replace(year=2020))
    assert events_undispatched_ids() == [event.id]
    event_dispatch(event_id=event.id)
    assert events_undispatched_ids() == []
