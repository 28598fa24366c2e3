"""A satisfaction survey in a real browser: the customer opens the link from the SMS on a phone, answers
and sends; the dealer's sales manager then sees the response on the statistics page (desktop and tablet).
Screenshots go to test-artifacts/ for a human look."""

from pathlib import Path

import pytest
from django.urls import reverse

from crm.core.scope import network_wide
from loyalty.services.surveys import survey_token
from tests.factories import PASSWORD
from tests.loyalty import surveys_setup
from tests.loyalty.surveys_setup import invite

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}
survey_world = surveys_setup.survey_world  # the shared fixture


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_customer_answers_on_a_phone_and_the_manager_sees_it(live_server, browser, survey_world):
    ARTIFACTS.mkdir(exist_ok=True)
    invitation = invite(survey_world, advisor_id=survey_world["advisor"].id)
    with network_wide(reason="test arrange"):
        questions = {q.type: q.id for q in invitation.version.questions.all()}
    url = live_server.url + reverse("loyalty:surveys:answer", args=[survey_token(invitation)])

    page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(url)
    assert page.locator("h1").inner_text()  # the survey's title, in the customer's language
    # Nothing is wider than the phone: no sideways scrolling on the NPS row.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=ARTIFACTS / "survey-phone-form.png", full_page=True)
    page.click(f"label[for=q{questions['nps']}-9]")
    page.click(f"label[for=q{questions['scale']}-4]")
    page.fill(f"textarea[name=q{questions['text']}]", "交车很顺利，谢谢！")
    page.click("button[type=submit]")
    page.wait_for_selector("text=✓")
    page.screenshot(path=ARTIFACTS / "survey-phone-thanks.png", full_page=True)
    page.close()

    for viewport_name, viewport in VIEWPORTS.items():
        page = browser.new_page(viewport=viewport)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", survey_world["manager"].username)
        page.fill("input[name=password]", PASSWORD)
        page.click('form[action$="/login/"] button[type=submit]')
        page.wait_for_load_state("networkidle")
        page.goto(live_server.url + reverse("loyalty:surveys:statistics") + "?group_by=advisor")
        page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 2")
        assert page.locator("text=交车很顺利，谢谢！").count() == 1
        assert page.locator(".sv-stat .app-stat-value").nth(1).inner_text().strip() == "100"  # NPS
        page.screenshot(path=ARTIFACTS / f"survey-statistics-{viewport_name}.png", full_page=True)
        page.close()
