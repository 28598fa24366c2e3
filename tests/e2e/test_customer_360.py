"""A salesperson's day in a real browser: sign in, find a customer by the last digits of their phone, open
the 360 page, add a note, and switch to Chinese. Screenshots go to test-artifacts/ for a human look."""

from pathlib import Path

import pytest

from crm.network.models import Role
from tests.factories import PASSWORD, CustomerFactory, DealerFactory, VehicleFactory, staff

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_salesperson_finds_a_customer_adds_a_note_and_switches_to_chinese(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    dealer = DealerFactory(name="Pudong Aurora 4S", city="Shanghai")
    seller = staff(Role.SALESPERSON, dealer=dealer, username="lihua")
    customer = CustomerFactory(dealer=dealer, name="王小明", phone="+8613812345678", city="上海")
    VehicleFactory(owner=customer, plate="沪A12345", model="A6", colour="Pearl white", selling_dealer=dealer)
    for name in ("李娜", "张伟", "陈静"):
        CustomerFactory(dealer=dealer, name=name)

    for viewport_name, viewport in VIEWPORTS.items():
        page = browser.new_page(viewport=viewport)
        page.goto(f"{live_server.url}/")
        page.wait_for_selector("input[name=username]")
        page.screenshot(path=ARTIFACTS / f"login-{viewport_name}.png", full_page=True)
        page.fill("input[name=username]", seller.username)
        page.fill("input[name=password]", PASSWORD)
        page.click('form[action$="/login/"] button[type=submit]')
        page.wait_for_url("**/leads/my-day/")  # salespeople start from their day
        page.goto(f"{live_server.url}/customers/")

        page.fill("#q", "5678")
        page.wait_for_selector("#search-results .chip:has-text('5678')")
        assert page.locator("#search-results tbody tr").count() == 1
        page.screenshot(path=ARTIFACTS / f"search-{viewport_name}.png", full_page=True)

        page.click("#search-results >> text=王小明")
        page.wait_for_selector("h1:has-text('王小明')")
        assert page.get_by_text("138 1234 5678").first.is_visible()
        note = f"Test drive booked for Saturday ({viewport_name})"
        page.fill("#id_text", note)
        page.click("#timeline button[type=submit]")
        page.wait_for_selector(f"#timeline-items >> text={note}")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=ARTIFACTS / f"customer-360-{viewport_name}.png", full_page=True)

        if viewport_name == "desktop":
            page.click(".app-language-toggle")
            page.click("button[name=language][value=zh-hans]")
            page.wait_for_selector("text=时间线")
            assert page.locator("h2:has-text('车辆')").first.is_visible()
            page.screenshot(path=ARTIFACTS / "customer-360-zh.png", full_page=True)
            page.click(".app-language-toggle")
            page.click("button[name=language][value=en]")
            page.wait_for_selector("text=Timeline")
            page.click(".app-user")
            page.click("text=Sign out")
            page.wait_for_url("**/login/")
        page.close()
