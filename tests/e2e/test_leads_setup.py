"""The funnel's set-up in a real browser: an OEM admin edits the screening questionnaire (adds a question,
tries the rules) and the follow-up cadence; a sales manager picks the dealer's value. Screenshots go to
test-artifacts/ for a human look."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from crm.core.scope import network_wide
from crm.network.models import Role
from leads.models import CadencePolicy, Questionnaire
from tests.factories import PASSWORD, DealerFactory, staff

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}
STARTING_DATA = importlib.import_module("leads.migrations.0003_default_cadence_and_questionnaire")


def sign_in(page, base_url: str, user) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click('form[action$="/login/"] button[type=submit]')
    page.wait_for_load_state("networkidle")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_oem_admin_edits_the_questionnaire_and_cadence_and_a_manager_picks_a_value(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    with network_wide(reason="test arrange"):
        if not Questionnaire.objects.exists():  # a transactional test starts from empty tables
            STARTING_DATA.load(django_apps, None)
        version_1 = Questionnaire.objects.get(version=1)
    dealer = DealerFactory(name="Pudong Aurora 4S", city="Shanghai")
    admin = staff(Role.OEM_ADMIN, username="oem-admin")
    manager = staff(Role.SALES_MANAGER, dealer=dealer, username="wang-manager")

    for viewport_name, viewport in VIEWPORTS.items():
        page = browser.new_page(viewport=viewport)
        sign_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/leads/setup/questionnaires/")
        page.wait_for_selector("#versions")
        page.screenshot(path=ARTIFACTS / f"setup-questionnaires-{viewport_name}.png", full_page=True)

        # Both passes start from version 1 (the first pass saves version 2 and puts it in use).
        page.click(f"a[href$='?from={version_1.pk}']")
        page.wait_for_selector("#questions")
        q = page.locator("fieldset[id^=question-]").count()
        r = page.locator("fieldset[id^=rule-]").count()
        page.click("button[value=add-question]")
        page.wait_for_selector(f"#question-{q}")
        page.fill(f"#q-{q}-key", "test_drive_done")
        page.fill(f"#q-{q}-label-en", "Test drive done?")
        page.fill(f"#q-{q}-label-zh-hans", "已试驾？")
        page.fill(f"input[name=q-{q}-o-0-value]", "yes")
        page.fill(f"input[name=q-{q}-o-0-label-en]", "Yes")
        page.fill(f"input[name=q-{q}-o-0-label-zh-hans]", "是")
        page.fill(f"input[name=q-{q}-o-1-value]", "no")
        page.fill(f"input[name=q-{q}-o-1-label-en]", "No")
        page.fill(f"input[name=q-{q}-o-1-label-zh-hans]", "否")
        page.click("button[value=add-rule]")
        page.wait_for_selector(f"#rule-{r}")
        page.select_option(f"select[name=r-{r}-c-0-question]", "test_drive_done")
        page.wait_for_selector(f"label[for=r-{r}-c-0-v-0]")
        page.click(f"label[for=r-{r}-c-0-v-0]")
        page.click(f"button[value=up-r-{r}]")
        page.wait_for_selector(f"#rule-{r - 1} .qe-condition-values label:has-text('Yes')")
        page.select_option("#try-timeframe", "within_3_months")
        page.wait_for_selector("#try-result .grade-B")
        page.select_option("#try-test_drive_done", "yes")
        page.wait_for_selector("#try-result .grade-H")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=ARTIFACTS / f"setup-questionnaire-editor-{viewport_name}.png", full_page=True)

        if viewport_name == "desktop":
            # A mistake first: the page says what is wrong and saves nothing.
            page.fill(f"#q-{q}-key", "timeframe")
            page.click("button[value=save]")
            page.wait_for_selector("#editor-errors")
            page.screenshot(path=ARTIFACTS / "setup-questionnaire-editor-errors.png", full_page=True)
            assert Questionnaire.objects.count() == 1
            page.fill(f"#q-{q}-key", "test_drive_done")
            page.select_option(f"select[name=r-{r - 1}-c-0-question]", "test_drive_done")
            page.wait_for_selector(f"label[for=r-{r - 1}-c-0-v-0]")
            if not page.is_checked(f"#r-{r - 1}-c-0-v-0"):
                page.click(f"label[for=r-{r - 1}-c-0-v-0]")
            page.click("button[value=save-activate]")
            page.wait_for_url("**/leads/setup/questionnaires/")
            page.wait_for_selector("text=Version 2 saved and in use.")
            assert Questionnaire.objects.get(is_active=True).version == 2

        page.goto(f"{live_server.url}/leads/setup/cadence/?dealer={dealer.id}")
        page.wait_for_selector("#oem-policy")
        page.screenshot(path=ARTIFACTS / f"setup-cadence-oem-{viewport_name}.png", full_page=True)
        if viewport_name == "desktop":
            page.fill("input[name=H-max]", "4")
            page.click("#oem-policy button[type=submit]")
            page.wait_for_selector("text=The OEM follow-up cadence is saved.")
            assert CadencePolicy.objects.get(grade="H").max_days == 4
        page.close()

        page = browser.new_page(viewport=viewport)
        sign_in(page, live_server.url, manager)
        page.goto(f"{live_server.url}/leads/setup/cadence/")
        page.wait_for_selector("#dealer-cadence")
        page.fill("#cadence-H input[name=days]", "9")
        page.click("#cadence-H button[value=set]")
        page.wait_for_selector("#cadence-H .invalid-feedback")
        if viewport_name == "desktop":
            page.screenshot(path=ARTIFACTS / "setup-cadence-dealer-error.png", full_page=True)
        page.fill("#cadence-H input[name=days]", "3")
        page.click("#cadence-H button[value=set]")
        page.wait_for_selector("#cadence-summary >> text=every 3 days")
        page.screenshot(path=ARTIFACTS / f"setup-cadence-dealer-{viewport_name}.png", full_page=True)
        page.close()
