"""An advisor's morning in a real browser: checks in a car by its plate (typed in lower case with a space),
opens a repair order, adds a labour and a parts line in place, settles it; the customer page shows the visit
in the service history. Screenshots at desktop width in English and at 820 pixels (a tablet) in Chinese go to
test-artifacts/."""

from pathlib import Path

import pytest

from crm.core.scope import network_wide
from crm.network.models import Role, StaffProfile
from tests.factories import PASSWORD, CustomerFactory, DealerFactory, VehicleFactory, staff

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
SIDEWAYS = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def fits(page, where: str) -> None:
    scroll, client = page.evaluate(SIDEWAYS)
    assert scroll <= client, f"{where} scrolls sideways: {scroll}px in {client}px"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_an_advisor_checks_in_a_car_opens_an_order_settles_it_and_the_customer_page_shows_it(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    dealer = DealerFactory(name="Pudong Aurora 4S")
    advisor = staff(Role.SERVICE_ADVISOR, dealer=dealer, username="advisor.li")
    owner = CustomerFactory(dealer=dealer, name="王建国")
    VehicleFactory(owner=owner, recorded_by_dealer=dealer, plate="沪A12345", model="A6")
    with network_wide(reason="test arrange"):
        StaffProfile.objects.update_or_create(user=advisor, defaults={"language": "en"})

    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", advisor.username)
    page.fill("input[name=password]", PASSWORD)
    page.click('form[action$="/login/"] button[type=submit]')
    page.wait_for_url("**/service/")

    page.fill("input[name=q]", "沪a 12345")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#checked-in")
    assert page.locator("#checked-in").get_by_text("王建国").first.is_visible()
    page.fill("#new-repair-order input[name=mileage_in]", "15230")
    page.fill("#new-repair-order textarea[name=concern]", "10,000 km service; brakes squeak")
    page.click("#new-repair-order button[type=submit]")
    page.wait_for_selector("#order-status")

    page.click("details summary")
    labour = page.locator("form[action$='/lines/labour/']")
    labour.locator("input[name$='-operation_code']").fill("MNT-10K")
    labour.locator("input[name$='-description']").fill("10,000 km service")
    labour.locator("input[name$='-hours']").fill("1.5")
    labour.locator("input[name$='-rate']").fill("180")
    labour.locator("input[name$='-technician_name']").fill("李师傅")
    labour.locator("button[type=submit]").click()
    page.wait_for_selector("td:has-text('MNT-10K')")

    page.click("details summary")
    parts = page.locator("form[action$='/lines/part/']")
    parts.locator("input[name$='-part_number']").fill("OIL-5W30")
    parts.locator("input[name$='-description']").fill("Engine oil 5W-30")
    parts.locator("input[name$='-quantity']").fill("4.5")
    parts.locator("input[name$='-unit_price']").fill("68.80")
    parts.locator("button[type=submit]").click()
    page.wait_for_selector("td:has-text('OIL-5W30')")
    assert "654.95" in page.locator("#order-total").inner_text()  # (270 + 309.60) + 13 % tax

    page.click("#settle")
    page.wait_for_selector("#order-status:has-text('Settled')")
    assert page.locator("form[action$='/lines/labour/']").count() == 0  # a settled order is read-only
    number = page.locator("h1.app-hero-name").inner_text().split()[0]
    page.screenshot(path=ARTIFACTS / "workshop-desktop-repair-order.png", full_page=True)

    page.goto(f"{live_server.url}/customers/{owner.id}/")
    history = page.locator("#service-history")
    history.wait_for()
    assert number in history.inner_text() and "OIL-5W30" in history.inner_text() and "李师傅" in history.inner_text()
    page.screenshot(path=ARTIFACTS / "workshop-desktop-customer-history.png", full_page=True)
    page.goto(f"{live_server.url}/service/?q=SHA12345")
    page.screenshot(path=ARTIFACTS / "workshop-desktop.png", full_page=True)

    with network_wide(reason="test arrange"):
        StaffProfile.objects.filter(user=advisor).update(language="zh-hans")
    page.set_viewport_size(TABLET)
    for name, path, heading in (
        ("workshop", "/service/?q=沪A12345", "车间"),
        ("customer", f"/customers/{owner.id}/", "王建国"),
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(f"h1:has-text('{heading}')")
        fits(page, path)
        page.screenshot(path=ARTIFACTS / f"workshop-tablet-zh-{name}.png", full_page=True)
    page.goto(f"{live_server.url}/service/?q=沪A12345")
    page.click("#checked-in a[href*='/service/vehicles/']")
    page.wait_for_selector("#vehicle-history")
    fits(page, "vehicle page")
    page.locator(f"#vehicle-history a:has-text('{number}')").click()
    page.wait_for_selector("#order-status")
    fits(page, "repair order")
    page.screenshot(path=ARTIFACTS / "workshop-tablet-zh-order.png", full_page=True)
    page.close()
