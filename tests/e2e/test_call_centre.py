"""The phone channels in a real browser: a call-centre agent types a caller's phone (a known customer's
name fills in), the city (the preferred-dealer list follows it) and issues the lead, which shows in
"Issued today"; a salesperson takes a call at the dealer and lands on the new lead. Screenshots at desktop
and tablet width go to test-artifacts/."""

from pathlib import Path

import pytest

from crm.core.scope import network_wide
from crm.network.models import Role
from leads.models import DemoCar, Lead, LeadSource
from tests.factories import PASSWORD, BrandFactory, CustomerFactory, DealerFactory, staff

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}
ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def sign_in(browser, live_server, user, viewport):
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click('form[action$="/login/"] button[type=submit]')
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_agent_issues_a_callers_lead_and_a_salesperson_logs_a_call(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    aurora = BrandFactory()
    pudong = DealerFactory(
        name="Pudong Aurora 4S", city="Shanghai", brands=[aurora], business_hours=ALWAYS_OPEN
    )
    DealerFactory(name="Minhang Aurora 4S", city="Shanghai", brands=[aurora], business_hours=ALWAYS_OPEN)
    DealerFactory(name="Hangzhou Aurora 4S", city="Hangzhou", brands=[aurora], business_hours=ALWAYS_OPEN)
    with network_wide(reason="test arrange"):
        LeadSource.objects.create(code="oem-800", name="OEM 800 line", channel=LeadSource.Channel.CALL_CENTRE)
        for model, plate in (("A6", "沪D00001"), ("Q5", "沪D00002"), ("e-tron", "沪D00003")):
            DemoCar.objects.create(dealer=pudong, model=model, plate=plate)
    CustomerFactory(dealer=pudong, name="王小明", phone="+8613812345678")
    agent = staff(Role.CALL_CENTRE_AGENT, username="zhangcc")
    seller = staff(Role.SALESPERSON, dealer=pudong, username="lihua")

    for label, viewport in VIEWPORTS.items():
        page = sign_in(browser, live_server, agent, viewport)
        page.goto(f"{live_server.url}/leads/call-centre/")
        phone = "138 1234 5678" if label == "desktop" else "139 8765 4321"
        page.fill("#id_phone", phone)
        if label == "desktop":
            page.wait_for_selector("#caller-lookup:has-text('Known customer: 王小明')")
            assert page.input_value("#id_name") == "王小明"
        else:
            page.wait_for_selector("#caller-lookup:has-text('New caller')")
            page.fill("#id_name", "赵女士")
        page.fill("#id_city", "Shang")
        page.wait_for_selector("#id_preferred_dealer option:has-text('Minhang Aurora 4S')", state="attached")
        page.fill("#id_city", "Shanghai")
        page.fill("#id_models", "A6, Q5")
        page.fill("#id_note", "Wants a test drive on Saturday")
        page.click("label[for=id_consent_sms_1]")
        page.wait_for_timeout(400)  # let the tapped buttons finish their transition
        page.screenshot(path=str(ARTIFACTS / f"phone-in-form-{label}.png"), full_page=True)
        page.click("button.visit-save")
        page.wait_for_selector(".alert:has-text('issued to')")
        assert page.locator("#issued-today li.is-just-logged").count() == 1
        page.screenshot(path=str(ARTIFACTS / f"phone-in-issued-{label}.png"), full_page=True)
        page.context.close()

    with network_wide(reason="test check"):
        assert Lead.objects.filter(acceptance=Lead.Acceptance.PENDING).count() == 2

    for label, viewport in VIEWPORTS.items():
        page = sign_in(browser, live_server, seller, viewport)
        page.goto(f"{live_server.url}/leads/call-centre/dealer/")
        page.fill("#id_phone", f"137 0000 000{1 if label == 'desktop' else 2}")
        page.wait_for_selector("#caller-lookup:has-text('New to this dealer')")
        page.fill("#id_name", "电话客户" + label)
        page.click("label:has-text('A6')")
        page.click("label[for=grade-A]")
        page.fill("#id_note", "Asked the price of the A6")
        page.wait_for_timeout(400)
        page.screenshot(path=str(ARTIFACTS / f"dealer-phone-in-{label}.png"), full_page=True)
        page.click("button.visit-save")
        page.wait_for_url("**/leads/*/")
        page.wait_for_selector(".alert:has-text('first contact')")
        page.context.close()
