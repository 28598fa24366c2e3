"""A sales manager imports an event list in a real browser: upload a GB18030 CSV, check the suggested
columns in the preview, see the rows with errors, import the valid ones. Screenshots of the preview and
the check page at desktop and tablet width go to test-artifacts/."""

import tempfile
from pathlib import Path

import pytest

from crm.core.scope import network_wide
from crm.network.models import Role
from leads.models import Lead
from leads.services import lead_source_create
from tests.factories import PASSWORD, DealerFactory, staff

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴婷", "徐明", "孙丽"]


def event_list() -> bytes:
    lines = ["客户姓名,手机号码,意向车型,所在城市,备注,邮箱"]
    for number, name in enumerate(NAMES * 3):
        phone = f"1391234{number:04d}"
        email = f"guest{number}@example.com"
        if number in (4, 17):
            phone = "12345"  # too short
        if number == 9:
            email = "not-an-email"
        if number == 25:
            name = ""
        lines.append(f"{name},{phone},A6L,上海,2024 车展 {number},{email}")
    return ("\n".join(lines) + "\n").encode("gb18030")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_sales_manager_previews_checks_and_imports_an_event_list(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    dealer = DealerFactory(name="Pudong Aurora 4S", city="Shanghai")
    manager = staff(Role.SALES_MANAGER, dealer=dealer, username="wangmgr")
    with network_wide(reason="test arrange"):
        lead_source_create(
            code="auto-expo-2024", name="Shanghai Auto Expo 2024", channel="event", dealer=dealer
        )
    path = Path(tempfile.mkdtemp()) / "车展名单.csv"
    path.write_bytes(event_list())

    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", PASSWORD)
    page.click('form[action$="/login/"] button[type=submit]')
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/leads/imports/")
    page.set_input_files("#id_file", str(path))
    page.select_option("#id_source", label="Shanghai Auto Expo 2024")
    page.screenshot(path=ARTIFACTS / "import-upload-desktop.png", full_page=True)
    page.click("button:has-text('Upload and preview')")
    page.wait_for_selector("#preview-table")
    preview_url = page.url
    assert page.locator("#preview-table tbody tr").count() == 20
    assert page.input_value("#id_name") == "0" and page.input_value("#id_phone") == "1"
    for name, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=ARTIFACTS / f"import-preview-{name}.png", full_page=True)

    page.set_viewport_size(VIEWPORTS["desktop"])
    page.click("button:has-text('Check every row')")
    page.wait_for_selector("#error-table")
    assert page.inner_text("#valid-count") == "32" and page.inner_text("#invalid-count") == "4"
    for name, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=ARTIFACTS / f"import-confirm-{name}.png", full_page=True)

    page.set_viewport_size(VIEWPORTS["desktop"])
    page.click("#import-button")
    page.wait_for_selector("#result-table")
    assert page.inner_text("#created-count") == "32"
    page.screenshot(path=ARTIFACTS / "import-done-desktop.png", full_page=True)
    with network_wide(reason="test check"):
        assert Lead.objects.filter(dealer=dealer).count() == 32
    page.goto(preview_url)  # the back button after importing lands on the result
    page.wait_for_selector("#result-table")
    page.close()
