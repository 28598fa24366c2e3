"""An advisor redeems an owner's points on a repair order in a real browser: from the customer page's club
panel to the redemption page, on a desktop and a tablet. Screenshots go to test-artifacts/."""

from pathlib import Path

import pytest

from crm.network.models import Role
from loyalty.services.ledger import points_earn
from tests.factories import PASSWORD, CustomerFactory, DealerFactory, staff
from tests.loyalty.conftest import enrol, everything, repair_order_billed

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_an_advisor_redeems_points_on_a_repair_order(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    dealer = DealerFactory(name="Pudong Aurora 4S", city="Shanghai")
    advisor = staff(Role.SERVICE_ADVISOR, dealer=dealer, username="advisor.li")
    owner = CustomerFactory(dealer=dealer, name="王小明", phone="+8613812345678")
    member = enrol(owner, dealer)
    with everything():
        points_earn(member=member, points=5000, source="delivery", dealer=dealer, idempotency_key="delivery")

    for number, (viewport_name, viewport) in enumerate(VIEWPORTS.items(), start=1):
        repair_order = repair_order_billed(dealer, advisor, owner, labour="600")
        page = browser.new_page(viewport=viewport)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", advisor.username)
        page.fill("input[name=password]", PASSWORD)
        page.click('form[action$="/login/"] button[type=submit]')
        page.wait_for_load_state("networkidle")
        page.goto(f"{live_server.url}/customers/{owner.id}/")
        page.wait_for_selector("#loyalty-panel")
        page.screenshot(path=ARTIFACTS / f"loyalty-panel-{viewport_name}.png", full_page=True)
        page.click(f"#loyalty-panel a[href$='/repair-orders/{repair_order.id}/redeem/']")
        page.wait_for_selector("input[name=points]")
        page.fill("input[name=points]", "2000")
        page.click("form button[type=submit]:has-text('Redeem')")
        page.wait_for_selector("text=2000 points = 20.00 yuan")
        expected_balance = 5000 - 2000 * number
        assert page.locator("[data-balance]").first.inner_text() == str(expected_balance)
        page.screenshot(path=ARTIFACTS / f"loyalty-redeem-{viewport_name}.png", full_page=True)
        page.close()
