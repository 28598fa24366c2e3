"""The appointment board in a real browser: an advisor books a car from the booking page, finds it on the day's
board, and the board — four bays, an advisor per column — fits an 820-pixel tablet in Chinese without the page
scrolling sideways (the grid scrolls inside its card). Screenshots go to test-artifacts/."""

from datetime import timedelta
from pathlib import Path

import pytest

from crm.core.scope import network_wide
from crm.network.models import Role, StaffProfile
from service.appointments import selectors, services
from tests.factories import PASSWORD, CustomerFactory, DealerFactory, VehicleFactory, staff
from tests.service.appointment_helpers import OPEN_ALL_WEEK, as_user, local, zone_where_it_is

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TABLET = {"width": 820, "height": 1180}
SIDEWAYS = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_an_advisor_books_a_car_and_the_board_fits_a_tablet_in_chinese(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    dealer = DealerFactory(name="浦东奥瑞4S店", time_zone=zone_where_it_is(7), business_hours=OPEN_ALL_WEEK)
    advisor = staff(Role.SERVICE_ADVISOR, dealer=dealer, username="advisor.zhou")
    staff(Role.SERVICE_ADVISOR, dealer=dealer, username="advisor.wu")
    with network_wide(reason="test arrange"):
        StaffProfile.objects.update_or_create(user=advisor, defaults={"language": "zh-hans"})
    owner = CustomerFactory(dealer=dealer, name="王建国")
    car = VehicleFactory(owner=owner, recorded_by_dealer=dealer, plate="沪A12345", model="A6")
    tomorrow = selectors.local_today(dealer) + timedelta(days=1)
    with as_user(advisor):
        for name in ("1号工位", "2号工位", "3号工位", "快修工位 Express"):
            services.bay_add(dealer=dealer, by=advisor, name=name)
        for hour in (9, 10, 14):
            other = VehicleFactory(owner=CustomerFactory(dealer=dealer), recorded_by_dealer=dealer)
            services.appointment_book(dealer=dealer, by=advisor, party=services.Party(vehicle_id=other.id),
                                      starts_at=local(dealer, tomorrow, hour))  # fmt: skip

    page = browser.new_page(viewport=TABLET)
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", advisor.username)
    page.fill("input[name=password]", PASSWORD)
    page.click('form[action$="/login/"] button[type=submit]')
    page.wait_for_url("**/service/")

    page.goto(f"{live_server.url}/service/appointments/new/?vehicle={car.id}&day={tomorrow.isoformat()}")
    page.select_option("#booking-form select[name=slot]", local(dealer, tomorrow, 11).isoformat())
    page.fill("#booking-form textarea[name=concern]", "刹车有异响")
    page.click("#booking-form button[type=submit]")
    page.wait_for_selector("#appointment-facts")
    assert "沪A12345" in page.locator("#appointment-facts").inner_text()

    page.goto(f"{live_server.url}/service/appointments/?day={tomorrow.isoformat()}")
    page.wait_for_selector("#appointment-board")
    assert page.locator(".appointment-chip").count() == 4
    assert "按工位" in page.locator("#board-controls").inner_text()
    scroll, client = page.evaluate(SIDEWAYS)
    assert scroll <= client, f"the board scrolls the page sideways: {scroll}px in {client}px"
    page.screenshot(path=ARTIFACTS / "appointments-tablet-board-zh.png", full_page=True)
    page.click("text=按顾问")
    page.wait_for_selector(".appointment-chip")
    scroll, client = page.evaluate(SIDEWAYS)
    assert scroll <= client
