"""Verified or only claimed (leads/verification.py): a contact counts as verified only when the system
witnessed it — a click-to-call answered long enough on the lead's own number, a text the gateway
delivered, a reply from the lead's number. Everything logged by hand is claimed."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.core.exceptions import NotFound, PermissionDenied
from crm.core.scope import network_wide
from crm.messaging.models import OutboxMessage, PhoneCall
from crm.messaging.services.calls import call_record_receive
from crm.messaging.services.replies import receipt_record, reply_record
from crm.network.models import Role
from crm.network.services import staff_phone_set
from crm.timeline.models import TimelineEvent
from crm.timeline.services import event_dispatch
from leads import events
from leads.exceptions import CallInProgress, StaffPhoneMissing
from leads.models import ContactAttempt, Lead
from leads.services import contact_log, lead_call_start, lead_sms_send
from leads.verification import call_evidence
from tests.factories import DealerFactory, staff, web_lead
from tests.leads.conftest import as_user, database_state

pytestmark = pytest.mark.django_db
LEAD_PHONE = "+8613900712345"
SECRET = "verification-test-secret"


def dispatch_all() -> None:
    """Hand every committed-but-undispatched event to its subscribers (Celery's job in production)."""
    with network_wide(reason="test dispatch"):
        ids = list(TimelineEvent.objects.filter(dispatched_at__isnull=True).order_by("id").values_list("id", flat=True))
    for event_id in ids:
        event_dispatch(event_id=event_id)


def attempts(lead) -> list[ContactAttempt]:
    with network_wide(reason="test check"):
        return list(ContactAttempt.objects.filter(lead=lead).order_by("id"))


def fresh(lead) -> Lead:
    with network_wide(reason="test check"):
        return Lead.objects.get(id=lead.id)


@pytest.fixture
def lead(shop):
    staff_phone_set(user=shop["seller"], phone="13800138000")
    return web_lead(shop["dealer"], name="Qian", phone=LEAD_PHONE, owner=shop["seller"], hours_ago=1)


def call_with_record(lead, seller, *, status="answered", duration=42, dialled=LEAD_PHONE) -> PhoneCall:
    with as_user(seller):
        call = lead_call_start(lead=lead, by=seller)
    call, applied = call_record_receive(
        provider_call_id=f"CA-{call.id}",
        client_ref=call.idempotency_key,
        status=status,
        caller=call.caller_number,
        callee=dialled,
        duration_seconds=duration,
        started_at=timezone.now() - timedelta(seconds=duration),
        ended_at=timezone.now(),
    )
    assert applied
    dispatch_all()
    return call


# --- Calls ---------------------------------------------------------------------------------------------


def test_an_answered_call_long_enough_to_the_leads_number_is_a_verified_contact(shop, lead):
    call = call_with_record(lead, shop["seller"], duration=42)

    [attempt] = attempts(lead)
    assert (attempt.channel, attempt.outcome, attempt.duration_seconds) == ("call", "reached", 42)
    assert attempt.is_verified and attempt.evidence == ContactAttempt.Evidence.ANSWERED_CALL
    assert attempt.call_id == call.id and attempt.by_id == shop["seller"].id
    lead = fresh(lead)
    assert lead.is_first_contact_verified and lead.stage == "contacted"


def test_an_answered_call_shorter_than_the_threshold_is_only_claimed(shop, lead, settings):
    settings.LEAD_VERIFIED_CALL_MIN_SECONDS = 10
    call_with_record(lead, shop["seller"], duration=9)
    [attempt] = attempts(lead)
    assert attempt.outcome == "reached" and attempt.duration_seconds == 9
    assert not attempt.is_verified and attempt.evidence == ""
    assert fresh(lead).is_first_contact_verified is False


def test_an_answered_call_to_another_number_is_only_claimed(shop, lead):
    call_with_record(lead, shop["seller"], duration=120, dialled="+8613900719999")
    [attempt] = attempts(lead)
    assert attempt.outcome == "reached" and not attempt.is_verified


def test_an_unanswered_call_is_a_no_answer_attempt_and_not_verified(shop, lead):
    call_with_record(lead, shop["seller"], status="no_answer", duration=0)
    [attempt] = attempts(lead)
    assert (attempt.outcome, attempt.is_verified, attempt.duration_seconds) == ("no_answer", False, 0)
    assert fresh(lead).unreachable_attempts == 1


def test_a_replayed_call_record_writes_one_contact_attempt(client, shop, lead, settings):
    settings.TELEPHONY_WEBHOOK_SECRET = SECRET
    with as_user(shop["seller"]):
        call = lead_call_start(lead=lead, by=shop["seller"])
    body = json.dumps(
        {
            "id": "CA-replayed",
            "client_ref": call.idempotency_key,
            "from": "+8613800138000",
            "to": "139 0071 2345",  # as a provider may write it: normalised before comparing
            "status": "answered",
            "answered": True,
            "duration_seconds": 61,
        }
    ).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    url = reverse("messaging:call_record")

    answers = [client.post(url, body, content_type="application/json", HTTP_X_SIGNATURE=signature) for _ in range(3)]
    dispatch_all()
    dispatch_all()

    assert [a.json()["applied"] for a in answers] == [True, False, False]
    [attempt] = attempts(lead)
    assert attempt.is_verified and attempt.duration_seconds == 61


def test_a_call_record_with_a_wrong_signature_writes_nothing(client, shop, lead, settings):
    settings.TELEPHONY_WEBHOOK_SECRET = SECRET
    with as_user(shop["seller"]):
        call = lead_call_start(lead=lead, by=shop["seller"])
    body = json.dumps({"id": "CA-1", "client_ref": call.idempotency_key, "status": "answered", "duration_seconds": 60})
    before = database_state()
    response = client.post(
        reverse("messaging:call_record"), body, content_type="application/json", HTTP_X_SIGNATURE="0" * 64
    )
    dispatch_all()
    assert response.status_code == 403
    assert database_state() == before


def test_click_to_call_needs_the_callers_own_phone_and_one_call_at_a_time(shop, lead):
    colleague = shop["manager"]
    with as_user(colleague), pytest.raises(StaffPhoneMissing):
        lead_call_start(lead=lead, by=colleague)
    with as_user(shop["seller"]):
        lead_call_start(lead=lead, by=shop["seller"])
        with pytest.raises(CallInProgress):
            lead_call_start(lead=lead, by=shop["seller"])


def test_only_the_leads_own_dealer_sales_staff_may_call_or_text(shop, lead):
    other_dealer = DealerFactory(region=shop["region"])
    outsiders = [
        staff(Role.SALESPERSON, dealer=other_dealer),
        staff(Role.CALL_CENTRE_AGENT),
        staff(Role.OEM_ADMIN),
        shop["regional"],
        shop["colleague"],  # a salesperson of the dealer, but the lead is someone else's
    ]
    before = database_state()
    for user in outsiders:
        staff_phone_set(user=user, phone="13800138111")
        with as_user(user), pytest.raises((PermissionDenied, NotFound)) as refused:
            lead_call_start(lead=lead, by=user)
        assert refused.value.code in {"permission_denied", "not_found"}
        with as_user(user), pytest.raises((PermissionDenied, NotFound)) as refused:
            lead_sms_send(lead=lead, by=user, text="您好")
        assert refused.value.code in {"permission_denied", "not_found"}
    assert database_state() == before
    with network_wide(reason="test check"):
        assert not PhoneCall.objects.exists() and not OutboxMessage.objects.exists()


# --- Texts and replies ---------------------------------------------------------------------------------


def text_sent(lead, seller) -> ContactAttempt:
    """A text from the lead page, handed to the gateway (what the outbox's sender does)."""
    with as_user(seller):
        attempt = lead_sms_send(lead=lead, by=seller, text="您好，A6 的报价已发您，周六方便来店试驾吗？")
    with network_wide(reason="test: the sender handed it over"):
        OutboxMessage.objects.filter(id=attempt.message_id).update(status="sent", sent_at=timezone.now())
    return attempt


def test_a_text_is_claimed_until_the_gateway_delivers_it_then_verified(shop, lead):
    attempt = text_sent(lead, shop["seller"])
    assert (attempt.channel, attempt.is_verified, attempt.message_id is not None) == ("sms", False, True)
    assert fresh(lead).is_first_contact_verified is False

    with network_wide(reason="test check"):
        key = OutboxMessage.objects.get(id=attempt.message_id).idempotency_key
    receipt_record(provider_message_id="SM-1", idempotency_key=key, status="delivered")
    dispatch_all()

    [attempt] = attempts(lead)
    assert attempt.is_verified and attempt.evidence == ContactAttempt.Evidence.DELIVERED_MESSAGE
    assert fresh(lead).is_first_contact_verified is True
    with network_wide(reason="test check"):
        assert TimelineEvent.objects.filter(kind=events.LEAD_CONTACT_VERIFIED, data__attempt=attempt.id).count() == 1


def test_a_text_the_gateway_could_not_deliver_stays_claimed(shop, lead):
    attempt = text_sent(lead, shop["seller"])
    with network_wide(reason="test check"):
        key = OutboxMessage.objects.get(id=attempt.message_id).idempotency_key
    receipt_record(provider_message_id="SM-2", idempotency_key=key, status="failed", error="undeliverable")
    dispatch_all()
    [attempt] = attempts(lead)
    assert not attempt.is_verified and attempt.evidence == ""


def test_a_reply_from_the_leads_number_is_a_verified_contact(shop, lead):
    attempt = text_sent(lead, shop["seller"])
    with network_wide(reason="test check"):
        key = OutboxMessage.objects.get(id=attempt.message_id).idempotency_key
    receipt_record(provider_message_id="SM-3", idempotency_key=key, status="delivered")
    reply_record(sender="13900712345", body="好的，周六上午到", provider_message_id="MO-1")
    reply_record(sender="13900712345", body="好的，周六上午到", provider_message_id="MO-1")  # a resend
    dispatch_all()

    sent, replied = attempts(lead)
    assert sent.is_verified
    assert (replied.channel, replied.outcome, replied.by_id) == ("sms", "reached", None)
    assert replied.is_verified and replied.evidence == ContactAttempt.Evidence.INBOUND_REPLY
    assert replied.reply_id is not None


# --- By hand --------------------------------------------------------------------------------------------


def test_a_contact_logged_by_hand_is_claimed_and_a_late_claim_is_flagged_back_dated(shop, lead, settings):
    settings.LEAD_BACKDATED_CONTACT_MINUTES = 30
    with as_user(shop["seller"]):
        attempt = contact_log(
            lead=lead, by=shop["seller"], channel="call", outcome="reached", at=timezone.now() - timedelta(minutes=50)
        )
    assert not attempt.is_verified and attempt.evidence == "" and attempt.is_backdated
    assert fresh(lead).is_first_contact_verified is False


def test_the_rule_reads_the_threshold_from_the_settings(settings):
    settings.LEAD_VERIFIED_CALL_MIN_SECONDS = 30
    numbers = {LEAD_PHONE}
    assert call_evidence(is_answered=True, duration_seconds=30, dialled=LEAD_PHONE, lead_numbers=numbers)
    assert not call_evidence(is_answered=True, duration_seconds=29, dialled=LEAD_PHONE, lead_numbers=numbers)
    assert not call_evidence(is_answered=False, duration_seconds=300, dialled=LEAD_PHONE, lead_numbers=numbers)
    assert not call_evidence(is_answered=True, duration_seconds=300, dialled="", lead_numbers=numbers)
