"""The funnel dashboard in a real browser, with a month of leads at two dealers of a region: the regional
manager's roll-up and a sales manager's dealer view, at desktop and tablet width. Screenshots go to
test-artifacts/ for a human look."""

import random
from pathlib import Path

import pytest

from crm.core.scope import network_wide
from crm.network.models import Role
from leads.models import LeadSource, LeadType, LostVerdict
from tests.factories import PASSWORD, DealerFactory, RegionFactory, staff, web_lead
from tests.leads.test_dashboard import ALWAYS_OPEN, arrange_dealer_a, as_user, contact, lose

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}
MODELS = ["A6", "A4", "Q5", "Q3", "e-tron"]


def arrange_month(dealer, sellers, manager, *, seed: int, count: int) -> None:
    """A month of leads from several sources, answered at various speeds, some lost, some ordered."""
    rng = random.Random(seed)
    with network_wide(reason="test arrange"):
        sources = [
            LeadSource.objects.create(code=f"{code}-{dealer.code}", name=name, channel=channel, dealer=dealer)
            for code, name, channel in (
                ("autohome", "Autohome", "adf"),
                ("dcd", "Dongchedi", "adf"),
                ("site", "Brand website", "web_form"),
                ("event", "Spring auto show", "event"),
            )
        ]
    for number in range(count):
        seller = rng.choice(sellers)
        hours_ago = rng.randint(2, 29 * 24)
        lead = web_lead(
            dealer,
            name=f"Prospect {dealer.code} {number}",
            phone=f"139{seed:02d}{number:06d}",
            owner=seller,
            hours_ago=hours_ago,
            source=rng.choice([*sources, None]),
            type=rng.choice([LeadType.INTERNET, LeadType.PHONE]),
            models=rng.sample(MODELS, rng.randint(1, 2)),
        )
        roll = rng.random()
        if roll < 0.85:
            contact(
                lead,
                seller,
                # A contact happens between the lead's arrival and now.
                minutes=min(rng.choice([5, 12, 40, 75, 110, 150, 300, 700, 1600]), hours_ago * 60 - 1),
                verified=rng.random() < 0.6,
            )
        if roll < 0.25:
            lose(
                lead,
                seller,
                manager,
                reason=rng.choice(LostVerdict.Reason.values[:5]),
                brand=rng.choice(["BYD", "Tesla", "BMW"]),
            )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_managers_read_the_funnel_dashboard(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    east = RegionFactory(code="east", name="East China")
    alpha = DealerFactory(region=east, name="Pudong Aurora 4S", code="SH01", business_hours=ALWAYS_OPEN)
    bravo = DealerFactory(region=east, name="Hangzhou Aurora 4S", code="HZ01", business_hours=ALWAYS_OPEN)
    alpha_sellers = [
        staff(Role.SALESPERSON, dealer=alpha, username=name) for name in ("lihua", "wangfang", "zhaolei")
    ]
    manager = staff(Role.SALES_MANAGER, dealer=alpha, username="chenmanager")
    bravo_sellers = [staff(Role.SALESPERSON, dealer=bravo, username=name) for name in ("sunmei", "zhoujie")]
    bravo_manager = staff(Role.SALES_MANAGER, dealer=bravo)
    regional = staff(Role.REGIONAL_MANAGER, region=east, username="east-auditor")
    for person, full in zip(
        [*alpha_sellers, *bravo_sellers], ["李华", "王芳", "赵磊", "孙梅", "周杰"], strict=True
    ):
        person.first_name = full
        with network_wide(reason="test arrange"):
            person.save(update_fields=["first_name"])
    arrange_dealer_a(alpha, alpha_sellers[0], alpha_sellers[1], manager)
    arrange_month(alpha, alpha_sellers, manager, seed=1, count=40)
    arrange_month(bravo, bravo_sellers, bravo_manager, seed=2, count=25)
    with as_user(alpha_sellers[2]):
        from leads.services import visit_log

        for _number in range(4):
            visit_log(by=alpha_sellers[2], dealer=alpha, party_size=2)

    for user, label in ((regional, "region"), (manager, "dealer")):
        for viewport_name, viewport in VIEWPORTS.items():
            page = browser.new_page(viewport=viewport)
            page.goto(f"{live_server.url}/login/")
            page.fill("input[name=username]", user.username)
            page.fill("input[name=password]", PASSWORD)
            page.click('form[action$="/login/"] button[type=submit]')
            page.wait_for_load_state("networkidle")
            page.goto(f"{live_server.url}/leads/dashboard/?period=last_30_days")
            page.wait_for_selector("canvas[data-chart=trend]")
            page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 4")
            assert page.locator(".dash-stat .app-stat-value").first.inner_text().strip() != "0"
            if label == "region":
                assert page.locator("text=Hangzhou Aurora 4S").count() >= 1
            page.screenshot(path=ARTIFACTS / f"funnel-dashboard-{label}-{viewport_name}.png", full_page=True)
            page.close()
