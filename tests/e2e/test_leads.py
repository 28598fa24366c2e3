"""A salesperson's showroom day in a real browser: sign in to My day, log a walk-in of a returning customer
(the phone recognises them and fills in the name) and of a new one, see both in today's visits and on My
day, and open the lead page. Screenshots at desktop and tablet width go to test-artifacts/."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from crm.core.scope import network_wide
from crm.network.models import Role
from leads.models import DemoCar, FollowUp, Lead, ShowroomVisit
from tests.factories import PASSWORD, CustomerFactory, DealerFactory, staff

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}
ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_salesperson_logs_a_returning_and_a_new_walk_in_and_sees_both_on_my_day(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    dealer = DealerFactory(name="Pudong Aurora 4S", city="Shanghai", business_hours=ALWAYS_OPEN)
    seller = staff(Role.SALESPERSON, dealer=dealer, username="lihua")
    with network_wide(reason="test arrange"):
        for model, plate in (("A6", "沪D00001"), ("Q5", "沪D00002"), ("e-tron", "沪D00003")):
            DemoCar.objects.create(dealer=dealer, model=model, plate=plate)
    CustomerFactory(dealer=dealer, name="王小明", phone="+8613812345678")

    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", seller.username)
    page.fill("input[name=password]", PASSWORD)
    page.click('form[action$="/login/"] button[type=submit]')
    page.wait_for_url("**/leads/my-day/")

    # A returning customer: typing the phone recognises them and fills in the name.
    page.click("a.nav-link:has-text('Log a visit')")
    page.wait_for_selector("#id_phone")
    page.fill("#id_phone", "138 1234 5678")
    page.wait_for_selector("#visit-lookup:has-text('Returning customer: 王小明')")
    assert page.input_value("#id_name") == "王小明"
    page.click("[data-stepper] [data-set='2']")
    page.click("label:has-text('A6')")
    page.click("label[for=grade-H]")
    page.click("label[for=next-test_drive]")
    page.fill("#id_note", "Wants a Saturday test drive")
    page.click("button.visit-save")
    page.wait_for_selector(".alert:has-text('王小明')")
    assert page.locator("#todays-visits li:has-text('王小明')").count() == 1

    # A new customer, typed and saved with the keyboard only (Enter submits).
    page.fill("#id_phone", "13998765432")
    page.wait_for_selector("#visit-lookup:has-text('New to this showroom')")
    page.fill("#id_name", "赵女士")
    page.click("label[for=grade-A]")
    page.focus("#id_name")
    page.keyboard.press("Enter")
    page.wait_for_selector(".alert:has-text('New customer 赵女士 created')")
    assert page.locator("#todays-visits li:has-text('赵女士')").count() == 1
    assert page.locator("#todays-visits li:has-text('王小明')").count() == 1

    with network_wide(reason="test check"):
        assert ShowroomVisit.objects.filter(dealer=dealer).count() == 2
        new_lead = Lead.objects.get(customer__name="赵女士")
        # Bring the visits' next-morning calls forward, so today's follow-ups show on My day.
        FollowUp.objects.filter(lead__dealer=dealer, done_at__isnull=True).update(
            due_at=timezone.now() - timedelta(minutes=10)
        )
    # The sales manager sees both walk-ins on the funnel dashboard, and the header fits every width.
    manager = staff(Role.SALES_MANAGER, dealer=dealer, username="wangjl")
    manager_page = browser.new_context(viewport=VIEWPORTS["desktop"]).new_page()
    manager_page.goto(f"{live_server.url}/")
    manager_page.fill("input[name=username]", manager.username)
    manager_page.fill("input[name=password]", PASSWORD)
    manager_page.click('form[action$="/login/"] button[type=submit]')
    manager_page.wait_for_url("**/leads/team/")  # a sales manager's morning starts with the team
    manager_page.click("a.nav-link:has-text('Funnel')")
    manager_page.wait_for_selector(".dash-stat:has-text('Showroom visits')")
    visits_card = manager_page.locator(".dash-stat:has-text('Showroom visits') .app-stat-value")
    assert visits_card.inner_text().strip() == "2"
    leads_card = manager_page.locator(".dash-stat:has-text('Leads arrived') .app-stat-value")
    assert leads_card.inner_text().strip() == "2"
    for viewport_name, viewport in VIEWPORTS.items():
        manager_page.set_viewport_size(viewport)
        for path in ("/leads/dashboard/", "/leads/my-day/", "/leads/", "/leads/approvals/", "/customers/"):
            manager_page.goto(f"{live_server.url}{path}")
            width = manager_page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{path} is {width}px wide at {viewport_name}"
        manager_page.goto(f"{live_server.url}/leads/dashboard/")
        manager_page.screenshot(path=ARTIFACTS / f"manager-dashboard-{viewport_name}.png", full_page=True)
    manager_page.close()

    for viewport_name, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}/leads/my-day/")
        page.wait_for_selector("#follow-ups li:has-text('赵女士')")
        assert page.locator("#follow-ups li:has-text('王小明')").count() == 1
        page.screenshot(path=ARTIFACTS / f"my-day-{viewport_name}.png", full_page=True)
        page.goto(f"{live_server.url}/leads/visits/new/")
        page.wait_for_selector("#todays-visits li:has-text('赵女士')")
        page.fill("#id_phone", "13812345678")
        page.wait_for_selector("#visit-lookup:has-text('Returning customer')")
        page.screenshot(path=ARTIFACTS / f"visit-log-{viewport_name}.png", full_page=True)
        page.goto(f"{live_server.url}/leads/{new_lead.id}/")
        page.wait_for_selector("h1:has-text('赵女士')")
        page.screenshot(path=ARTIFACTS / f"lead-page-{viewport_name}.png", full_page=True)

    # One click on My day logs a contact and answers in place.
    page.goto(f"{live_server.url}/leads/my-day/")
    page.click(f"#contact-{new_lead.id} button[value=reached]")
    page.wait_for_selector(f"#contact-{new_lead.id}:has-text('Logged')")
    page.close()
