"""Every staff survey route × every role: who gets the page, who gets a 404 (missing and forbidden look the
same), that no page shows another dealer's survey rows to a dealer or a region that does not cover it, that
no refused write changes anything, and that the customer's public page needs no login."""

import pytest
from django.test import Client
from django.urls import reverse

from crm.core.scope import network_wide
from crm.network.models import Role
from loyalty.models import SurveyInvitation, SurveyQuestion, SurveyResponse
from loyalty.services.surveys import survey_token
from tests.factories import DealerFactory, RegionFactory, customer_with, staff
from tests.loyalty.surveys_setup import answer, invite, questionnaire_live

pytestmark = pytest.mark.django_db

MARKER = "Zqxforeignsurvey"
ROLES = [
    Role.SALESPERSON,
    Role.SALES_MANAGER,
    Role.SERVICE_ADVISOR,
    Role.DEALER_ADMIN,
    Role.CALL_CENTRE_AGENT,
    Role.REGIONAL_MANAGER,
    Role.OEM_ADMIN,
]
STATISTICS = {Role.SALES_MANAGER, Role.DEALER_ADMIN, Role.REGIONAL_MANAGER, Role.OEM_ADMIN}
CALL_BACKS = {Role.SALES_MANAGER, Role.DEALER_ADMIN, Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN}
NETWORK = {Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN}
BUILDER = {Role.OEM_ADMIN}


@pytest.fixture
def world():
    east, north = RegionFactory(code="east"), RegionFactory(code="north")
    home, far = DealerFactory(region=east, name="Home Motors"), DealerFactory(region=north, name=f"{MARKER} Motors")
    users = {role: staff(role, dealer=home) for role in (Role.SALESPERSON, Role.SALES_MANAGER, Role.SERVICE_ADVISOR, Role.DEALER_ADMIN)}
    users[Role.REGIONAL_MANAGER] = staff(Role.REGIONAL_MANAGER, region=east)
    users[Role.CALL_CENTRE_AGENT] = staff(Role.CALL_CENTRE_AGENT)
    users[Role.OEM_ADMIN] = staff(Role.OEM_ADMIN)
    version = questionnaire_live(users[Role.OEM_ADMIN])
    setup = {"dealer": home, "owner": customer_with(home, name="Own Customer")}
    own = invite(setup)
    answer(own, nps=9, text="Home comment")
    waiting = invite(setup, customer=customer_with(home, name="Waiting Customer"))
    foreign = invite(setup, customer=customer_with(far, name=f"{MARKER} Customer"), dealer=far)
    foreign_waiting = invite(setup, customer=customer_with(far, name=f"{MARKER} Twin"), dealer=far)
    answer(foreign, nps=0, text=f"{MARKER} verbatim")
    return {
        "users": users,
        "version": version,
        "question": version.questions.first(),
        "waiting": waiting,
        "foreign_waiting": foreign_waiting,
    }


def state() -> tuple:
    with network_wide(reason="test snapshot"):
        return (
            tuple(SurveyResponse.objects.order_by("id").values_list("id", "invitation_id", "complaint_due_at")),
            tuple(SurveyInvitation.objects.order_by("id").values_list("id", "status")),
            tuple(SurveyQuestion.objects.order_by("id").values_list("id", "text_en")),
        )


def routes(world) -> list[tuple[str, str, set]]:
    """(label, URL, roles that get the page); everyone else gets a 404."""
    survey = "loyalty:surveys:"
    return [
        ("statistics", reverse(survey + "statistics"), STATISTICS),
        ("statistics by advisor", reverse(survey + "statistics") + "?group_by=advisor", STATISTICS),
        ("export", reverse(survey + "statistics_export") + "?format=csv", STATISTICS),
        ("call-back list", reverse(survey + "invitations") + "?status=answered", CALL_BACKS),
        ("own call-back", reverse(survey + "call_back", args=[world["waiting"].id]), CALL_BACKS),
        ("foreign call-back", reverse(survey + "call_back", args=[world["foreign_waiting"].id]), NETWORK),
        ("questionnaires", reverse(survey + "questionnaires"), BUILDER),
        ("new questionnaire", reverse(survey + "questionnaire_new"), BUILDER),
        ("version", reverse(survey + "version", args=[world["version"].id]), BUILDER),
    ]


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_reaches_its_survey_pages_and_sees_no_foreign_rows(role, world):
    client = Client()
    client.force_login(world["users"][role])
    before = state()
    for label, url, allowed in routes(world):
        response = client.get(url)
        expected = 200 if role in allowed else 404
        assert response.status_code == expected, f"{role} GET {label}: {response.status_code}"
        if role not in NETWORK and response.status_code == 200:
            body = response.content.decode("utf-8-sig")
            assert MARKER not in body, f"{role} sees another dealer's survey on {label}"
    # Refused writes change nothing: a call-back for the other dealer, removing a frozen question.
    foreign = reverse("loyalty:surveys:call_back", args=[world["foreign_waiting"].id])
    response = client.post(foreign, {f"q{world['question'].id}": "0"})
    assert response.status_code in ((302,) if role in NETWORK else (404,))
    remove = client.post(reverse("loyalty:surveys:question_remove", args=[world["question"].id]))
    assert remove.status_code == (409 if role in BUILDER else 404)
    publish = client.post(reverse("loyalty:surveys:version", args=[world["version"].id]), {"action": "publish"})
    assert publish.status_code in ((400,) if role in BUILDER else (404,))
    after = state()
    if role in NETWORK:
        assert after[0] != before[0] and after[2] == before[2]  # only the network call-back was recorded
    else:
        assert after == before


def test_a_regional_manager_sees_the_region_only(world):
    client = Client()
    client.force_login(world["users"][Role.REGIONAL_MANAGER])
    page = client.get(reverse("loyalty:surveys:statistics"), {"group_by": "dealer"})
    assert "Home Motors" in page.content.decode() and MARKER not in page.content.decode()


def test_visitors_are_sent_to_sign_in_but_the_survey_link_opens(world):
    client = Client()
    before = state()
    for label, url, _allowed in routes(world):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], label
        assert client.post(url, {"action": "publish"}).status_code == 302
    assert state() == before
    with network_wide(reason="test"):
        waiting = SurveyInvitation.objects.get(id=world["waiting"].id)
    page = client.get(reverse("loyalty:surveys:answer", args=[survey_token(waiting)]))
    assert page.status_code == 200 and MARKER not in page.content.decode()
