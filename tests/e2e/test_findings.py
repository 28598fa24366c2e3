"""A finding's life in a real browser: the regional manager raises it from a key figure; the dealer's sales
manager answers with a corrective action and an evidence photo; the regional manager sees the file, verifies
and closes it. Screenshots (desktop and an 820-pixel tablet) go to test-artifacts/ for a human look."""

from datetime import date, timedelta
from pathlib import Path

import pytest

from crm.core.scope import network_wide
from crm.network.models import Role
from dealers.models import Finding
from tests.factories import PASSWORD, DealerFactory, RegionFactory, staff

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2261f2a0000000049454e44ae426082"
)


def sign_in(page, base_url: str, user) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click('form[action$="/login/"] button[type=submit]')
    page.wait_for_load_state("networkidle")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_finding_is_raised_answered_with_a_photo_and_closed(live_server, browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    east = RegionFactory(code="east-e2e")
    dealer = DealerFactory(name="Pudong Aurora 4S", region=east)
    regional = staff(Role.REGIONAL_MANAGER, region=east, username="lin-regional")
    manager = staff(Role.SALES_MANAGER, dealer=dealer, username="wang-manager")
    photo = tmp_path / "door-log.png"
    photo.write_bytes(PNG)

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(page, live_server.url, regional)
    page.goto(f"{live_server.url}/dealers/findings/new/")
    page.select_option("select[name=dealer]", str(dealer.id))
    page.fill("input[name=title]", "Walk-ins not logged on weekends")
    page.fill("textarea[name=description]", "Saturday traffic counter 42, showroom log 17.")
    page.select_option("select[name=severity]", "critical")
    page.fill("input[name=due_on]", (date.today() + timedelta(days=7)).isoformat())
    page.click("form.app-card button[type=submit]")
    page.wait_for_selector("text=Walk-ins not logged on weekends")
    page.screenshot(path=ARTIFACTS / "finding-raised-desktop.png", full_page=True)
    with network_wide(reason="test check"):
        finding = Finding.objects.get()
    page.close()

    page = browser.new_page(viewport={"width": 820, "height": 1180})
    sign_in(page, live_server.url, manager)
    page.goto(f"{live_server.url}/dealers/findings/")
    page.click("text=Walk-ins not logged on weekends")
    page.fill("textarea[name=corrective_action]", "A greeter logs every walk-in at the door from this Saturday.")
    page.set_input_files("input[name=files]", str(photo))
    page.screenshot(path=ARTIFACTS / "finding-answer-tablet.png", full_page=True)
    page.click(f"form[action$='/dealers/findings/{finding.id}/answer/'] button[type=submit]")
    page.wait_for_selector("text=door-log.png")
    assert page.locator("text=Verify the corrective action").count() == 0  # the dealer cannot close it
    page.close()

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(page, live_server.url, regional)
    page.goto(f"{live_server.url}/dealers/findings/{finding.id}/")
    with page.expect_download() as download:
        page.click("text=door-log.png")
    assert Path(download.value.path()).read_bytes() == PNG
    page.fill("form[action$='/verify/'] input[name=note]", "Checked the new log on site.")
    page.click("button[name=decision][value=close]")
    page.wait_for_selector("text=Verified and closed")
    page.screenshot(path=ARTIFACTS / "finding-closed-desktop.png", full_page=True)
    page.close()
    with network_wide(reason="test check"):
        assert Finding.objects.get().status == "closed"
