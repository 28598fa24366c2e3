"""Click-to-call: the telephony adapter asks the provider (the simulator, in this process) to bridge a call;
the provider's signed call record is applied once; a wrong signature is refused and changes nothing."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from crm import settings as default_settings
from crm.core.scope import Scope, network_wide, scoped
from crm.messaging import events
from crm.messaging.channels.telephony import BaseTelephony, telephony_adapter
from crm.messaging.devtools import telephony_simulator
from crm.messaging.models import PhoneCall
from crm.messaging.services.calls import call_place, call_request, calls_resume_stale
from crm.timeline.models import TimelineEvent
from tests.factories import DealerFactory, customer_with, staff
from tests.messaging.peers import REPOSITORY

pytestmark = pytest.mark.django_db
SECRET = "test-telephony-secret"
STAFF_PHONE = "+8613800138000"


@pytest.fixture
def provider(settings):
    handle = telephony_simulator.start_in_thread(
        api_key="test-telephony-key", record_secret=SECRET, record_delay_seconds=0.05, duration_seconds=42
    )
    settings.TELEPHONY_PROVIDER_URL, settings.TELEPHONY_PROVIDER_KEY = handle.url, "test-telephony-key"
    settings.TELEPHONY_WEBHOOK_SECRET = SECRET
    telephony_adapter.cache_clear()
    yield handle
    telephony_adapter.cache_clear()
    handle.stop()


def requested_call(*, callee: str, key: str = "call-1") -> PhoneCall:
    dealer = DealerFactory()
    customer = customer_with(dealer, phone=callee)
    seller = staff("salesperson", dealer=dealer)
    with network_wide(reason="test arrange"), transaction.atomic():
        return call_request(
            idempotency_key=key,
            kind="test",
            reference_id=None,
            dealer_id=dealer.id,
            customer_id=customer.id,
            user_id=seller.id,
            caller_number=STAFF_PHONE,
            callee_number=callee,
        )


def record_of(provider, call: PhoneCall, *, timeout: float = 5.0) -> tuple[bytes, str]:
    """The call record the provider made, exactly as it signs and sends it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in provider.calls():
            if entry["client_ref"] == call.idempotency_key and entry["record_body"]:
                return entry["record_body"].encode(), entry["record_signature"]
        time.sleep(0.02)
    raise AssertionError("the provider made no record")


def post_record(client, body: bytes, signature: str):
    return client.post(
        reverse("messaging:call_record"), body, content_type="application/json", HTTP_X_SIGNATURE=signature
    )


def call_events(call: PhoneCall) -> int:
    with network_wide(reason="test check"):
        return TimelineEvent.objects.filter(kind=events.CALL_RECORDED, data__call_id=call.id).count()


def test_a_placed_call_rings_and_its_signed_record_is_applied_once(client, provider):
    call = requested_call(callee="+8613900710001")

    placed = call_place(call_id=call.id)
    assert placed.status == PhoneCall.Status.RINGING and placed.provider_call_id.startswith("CA")
    body, signature = record_of(provider, call)

    first = post_record(client, body, signature)
    replay = post_record(client, body, signature)

    assert first.status_code == 200 and first.json() == {"matched": True, "applied": True}
    assert replay.status_code == 200 and replay.json() == {"matched": True, "applied": False}
    with network_wide(reason="test check"):
        call.refresh_from_db()
    assert (call.status, call.is_answered, call.duration_seconds) == ("answered", True, 42)
    assert call.recorded_callee_number == "+8613900710001"
    assert call_events(call) == 1


def test_asking_twice_rings_the_customer_once(provider):
    call = requested_call(callee="+8613900710002")
    call_place(call_id=call.id)
    with network_wide(reason="test arrange"):
        PhoneCall.objects.filter(id=call.id).update(status=PhoneCall.Status.REQUESTED)
    call_place(call_id=call.id)
    assert len(provider.calls()) == 1


def test_an_unreachable_number_fails_the_call_without_a_record(provider):
    call = requested_call(callee="+8613900710000")
    placed = call_place(call_id=call.id)
    assert placed.status == PhoneCall.Status.FAILED and "invalid_number" in placed.last_error
    assert provider.calls() == []


def test_a_record_with_a_wrong_signature_is_refused_and_changes_nothing(client, provider):
    call = requested_call(callee="+8613900710003")
    call_place(call_id=call.id)
    body, _signature = record_of(provider, call)
    forged = hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()

    for signature in (forged, ""):
        response = post_record(client, body, signature)
        assert response.status_code == 403 and response.json()["code"] == "bad_signature"
    with network_wide(reason="test check"):
        call.refresh_from_db()
    assert call.recorded_at is None and call.status == PhoneCall.Status.RINGING
    assert call_events(call) == 0


def test_a_record_for_an_unknown_call_or_with_a_bad_status_changes_nothing(client, provider):
    unknown = json.dumps({"id": "CA-x", "client_ref": "nobody", "status": "answered"}).encode()
    response = post_record(client, unknown, hmac.new(SECRET.encode(), unknown, hashlib.sha256).hexdigest())
    assert response.json() == {"matched": False, "applied": False}
    bad = json.dumps({"id": "CA-y", "status": "exploded"}).encode()
    response = post_record(client, bad, hmac.new(SECRET.encode(), bad, hashlib.sha256).hexdigest())
    assert response.status_code == 400 and response.json()["code"] == "invalid_status"


def test_no_answer_and_short_calls_are_recorded_as_the_provider_says(client, provider):
    unanswered = requested_call(callee="+8613900714040", key="call-a")
    call_place(call_id=unanswered.id)
    post_record(client, *record_of(provider, unanswered))
    with network_wide(reason="test check"):
        unanswered.refresh_from_db()
    assert (unanswered.status, unanswered.is_answered, unanswered.duration_seconds) == ("no_answer", False, 0)


class RecordingTelephony(BaseTelephony):
    """A provider named by the settings, as a deployment names its own."""

    placed: list = []

    def place(self, *, caller: str, callee: str, client_ref: str) -> str:
        self.placed.append((caller, callee, client_ref))
        return f"REC-{len(self.placed)}"


def test_the_provider_is_the_class_the_settings_name_and_the_tick_retries_a_lost_hand_off(settings):
    settings.TELEPHONY_ADAPTER = "tests.messaging.test_telephony.RecordingTelephony"
    telephony_adapter.cache_clear()
    RecordingTelephony.placed.clear()
    try:
        call = requested_call(callee="+8613900710005")
        with network_wide(reason="test arrange"):
            # The wake-up after commit was lost: the tick finds the call still requested a while later.
            PhoneCall.objects.filter(id=call.id).update(requested_at=timezone.now() - timedelta(minutes=1))
        assert calls_resume_stale() == 1
        assert calls_resume_stale() == 0
    finally:
        telephony_adapter.cache_clear()
    assert RecordingTelephony.placed == [(STAFF_PHONE, "+8613900710005", call.idempotency_key)]
    with network_wide(reason="test check"):
        call.refresh_from_db()
    assert (call.status, call.provider_call_id) == ("ringing", "REC-1")


def test_a_dealer_never_sees_another_dealers_calls():
    call = requested_call(callee="+8613900710006")
    other = DealerFactory()
    with scoped(Scope.dealers([other.id])):
        assert not PhoneCall.objects.filter(id=call.id).exists()
    with scoped(Scope.dealers([call.dealer_id])):
        assert PhoneCall.objects.filter(id=call.id).exists()


def test_make_run_starts_the_simulator_posting_signed_records_to_the_webhook():
    """The Procfile's `phone` process posts to the webhook's route with the development secret and key."""
    line = next(
        line for line in (REPOSITORY / "Procfile").read_text().splitlines() if line.startswith("phone:")
    )
    assert "crm/messaging/devtools/telephony_simulator.py" in line
    assert reverse("messaging:call_record") in line
    assert f"--record-secret {default_settings.TELEPHONY_WEBHOOK_SECRET}" in line
    assert f"--api-key {default_settings.TELEPHONY_PROVIDER_KEY}" in line
    assert default_settings.TELEPHONY_PROVIDER_URL.endswith(":8026") and "--port 8026" in line


def test_without_a_configured_secret_every_call_record_is_refused(client, settings):
    settings.TELEPHONY_WEBHOOK_SECRET = ""
    body = json.dumps({"id": "CA-z", "client_ref": "x", "status": "answered"}).encode()
    signed_with_empty_key = hmac.new(b"", body, hashlib.sha256).hexdigest()
    assert post_record(client, body, signed_with_empty_key).status_code == 403
