"""Click-to-call in a real browser, against the telephony simulator: the salesperson presses "Call" on the
lead page, sees "Calling…", the provider (the simulator) bridges the call and posts its signed record to the
live webhook, and the panel shows the answered, verified outcome; the contact attempts list it apart from a
claimed one. The Celery worker's two jobs (asking the provider, handing the event to leads) are done by the
test itself. Screenshots at desktop and tablet width go to test-artifacts/."""

import time
from pathlib import Path

import pytest
from django.urls import reverse

from crm.core.scope import network_wide
from crm.messaging.channels.telephony import telephony_adapter
from crm.messaging.devtools import telephony_simulator
from crm.messaging.models import PhoneCall
from crm.messaging.services.calls import call_place
from crm.network.models import Role
from crm.network.services import staff_phone_set
from leads.models import ContactAttempt
from leads.services import contact_log
from tests.factories import PASSWORD, DealerFactory, staff, web_lead
from tests.leads.conftest import as_user
from tests.leads.test_verification import dispatch_all

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}
ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SECRET = "e2e-telephony-secret"


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_salesperson_calls_a_lead_and_sees_the_verified_outcome(live_server, browser, settings):
    ARTIFACTS.mkdir(exist_ok=True)
    provider = telephony_simulator.start_in_thread(
        api_key="e2e-key",
        record_url=f"{live_server.url}{reverse('messaging:call_record')}",
        record_secret=SECRET,
        record_delay_seconds=1.0,
        duration_seconds=84,
    )
    settings.TELEPHONY_PROVIDER_URL, settings.TELEPHONY_PROVIDER_KEY = provider.url, "e2e-key"
    settings.TELEPHONY_WEBHOOK_SECRET = SECRET
    telephony_adapter.cache_clear()
    try:
        dealer = DealerFactory(name="Pudong Aurora 4S", city="Shanghai", business_hours=ALWAYS_OPEN)
        seller = staff(Role.SALESPERSON, dealer=dealer, username="lihua")
        staff_phone_set(user=seller, phone="138 0013 8000")
        lead = web_lead(dealer, name="钱女士", phone="+8613900712345", owner=seller, hours_ago=1)
        with as_user(seller):
            contact_log(lead=lead, by=seller, channel="wechat", outcome="no_answer", note="微信未回")

        page = browser.new_page(viewport=VIEWPORTS["desktop"])
        page.goto(f"{live_server.url}/")
        page.fill("input[name=username]", seller.username)
        page.fill("input[name=password]", PASSWORD)
        page.click('form[action$="/login/"] button[type=submit]')
        page.wait_for_url("**/leads/my-day/")
        page.goto(f"{live_server.url}{reverse('leads:detail', args=[lead.id])}")

        page.click("#reach button:has-text('Call')")
        page.wait_for_selector("#call-status:has-text('Calling')")
        page.screenshot(path=str(ARTIFACTS / "click-to-call-calling-desktop.png"), full_page=True)

        # The worker's first job: ask the provider, which rings both phones and posts its record.
        with network_wide(reason="test: the worker"):
            call = PhoneCall.objects.get(reference_id=lead.id)
        assert call_place(call_id=call.id).status == PhoneCall.Status.RINGING

        def recorded():
            with network_wide(reason="test check"):
                return PhoneCall.objects.filter(id=call.id, recorded_at__isnull=False).exists()

        wait_for(recorded)
        dispatch_all()  # the worker's second job: hand the record's event to leads

        page.wait_for_selector("#call-status:has-text('84 seconds')", timeout=15000)  # polls until recorded
        status = page.inner_text("#call-status")
        assert "84 seconds" in status and "verified" in status
        with network_wide(reason="test check"):
            attempt = ContactAttempt.objects.get(call_id=call.id)
        assert attempt.is_verified and attempt.duration_seconds == 84

        page.reload()
        contacts = page.inner_text("#contacts")
        assert "1 verified · 1 claimed" in contacts
        page.screenshot(path=str(ARTIFACTS / "click-to-call-done-desktop.png"), full_page=True)
        page.set_viewport_size(VIEWPORTS["tablet"])
        page.screenshot(path=str(ARTIFACTS / "click-to-call-done-tablet.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        telephony_adapter.cache_clear()
        provider.stop()
