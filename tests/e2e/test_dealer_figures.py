"""A regional manager lands on the region's dealers ranked worst first, opens the worst dealer and sees its
figures, its monthly chart and its salespeople; the dealer's manager sees its rank and what to fix first. On a
desktop and on an 820-pixel tablet nothing scrolls sideways (the heat table scrolls inside its card).
Screenshots go to test-artifacts/ for a human look."""

from pathlib import Path

import pytest

from crm.network.models import Role
from tests.dealers.conftest import TEST_FIGURES, TEST_MEASURES, leads_at, registry_holding
from tests.factories import PASSWORD, DealerFactory, RegionFactory, staff

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}
SIDEWAYS = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def sign_in(browser, live_server, user, viewport):
    page = browser.new_page(viewport=viewport)
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click('form[action$="/login/"] button[type=submit]')
    return page


WIDEST = """() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right >
  document.documentElement.clientWidth + .5).slice(0, 5).map(e => e.outerHTML.slice(0, 100))"""


def fits(page, what):
    width, visible = page.evaluate(SIDEWAYS)
    assert width <= visible, f"{what} scrolls sideways: {width}px in {visible}px: {page.evaluate(WIDEST)}"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_regional_manager_finds_the_worst_dealer_and_its_manager_what_to_fix(live_server, browser, screen):
    ARTIFACTS.mkdir(exist_ok=True)
    with registry_holding(measures=TEST_MEASURES, figures=TEST_FIGURES):
        east = RegionFactory(code="east", name="East China")
        good = DealerFactory(region=east, code="SH001", name="Shanghai Pudong Aurora 4S")
        bad = DealerFactory(region=east, code="HZ002", name="Hangzhou Xihu Aurora 4S")
        leads_at(good, ordered=3, lost=0, open_=1)
        leads_at(bad, ordered=1, lost=2, open_=1)
        regional = staff(Role.REGIONAL_MANAGER, region=east)
        manager = staff(Role.SALES_MANAGER, dealer=bad)

        page = sign_in(browser, live_server, regional, SCREENS[screen])
        page.wait_for_url("**/dealers/")
        rows = page.locator("table.dl-heat tbody tr .row-link")
        assert rows.first.inner_text().startswith("HZ002")  # worst first
        fits(page, "the ranking")
        page.screenshot(path=ARTIFACTS / f"dealers-ranking-{screen}.png", full_page=True)

        rows.first.click()
        page.wait_for_selector("h1:has-text('Hangzhou Xihu Aurora 4S')")
        assert page.locator("#dl-trend-chart").bounding_box()["height"] > 100  # Chart.js drew it
        page.select_option("#dl-trend-figure", "test_lost_rate")
        fits(page, "the dealer page")
        page.screenshot(path=ARTIFACTS / f"dealers-dealer-{screen}.png", full_page=True)
        page.close()

        page = sign_in(browser, live_server, manager, SCREENS[screen])
        page.goto(f"{live_server.url}/dealers/ours/")
        page.wait_for_selector("text=What to fix first")
        assert page.locator(".dl-rank").inner_text() == "2nd of 2"
        assert page.locator("text=Shanghai Pudong").count() == 0
        page.screenshot(path=ARTIFACTS / f"dealers-own-{screen}.png", full_page=True)
        fits(page, "the dealer's own view")
        page.close()

        admin = staff(Role.DEALER_ADMIN, dealer=bad)
        page = sign_in(browser, live_server, admin, SCREENS[screen])
        page.click("header a:has-text('Our figures')")
        page.wait_for_selector("text=What to fix first")
        fits(page, "the dealer's own view, as its admin")
        page.click("text=Who at the OEM read our data")
        page.wait_for_selector("h1:has-text('OEM reads of our data')")
        assert page.locator("td:has-text('The dealer')").count() == 1  # the regional manager's visit
        fits(page, "the OEM read log")
        page.screenshot(path=ARTIFACTS / f"dealers-oem-reads-{screen}.png", full_page=True)
        page.close()
