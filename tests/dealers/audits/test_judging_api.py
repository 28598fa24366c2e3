"""The scorecards and findings API (read-only, for the OEM's systems): scoped like the pages — a dealer's
token reads its own dealer's published scorecards and findings only, a regional manager its region's — in the
OpenAPI schema, refusing bad filters with a 400, writing nothing but the OEM's read-log rows."""

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from crm.core.scope import network_wide
from dealers.models import Finding, OemRead, Scorecard
from dealers.services.findings import finding_raise
from dealers.services.scorecards import scorecard_publish, scorecards_draft_month
from tests.dealers.audits.conftest import as_user, dealers_state, figure_data_set
from tests.dealers.audits.test_scorecards import DAY, MONTH, published_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(network, test_figures):
    """A published scorecard at Home and at Far, a draft at Neighbour; a finding at Home, Neighbour and Far."""
    published_template(network["oem_admin"])
    for dealer in (network["home"], network["neighbour"], network["far"]):
        figure_data_set(dealer, DAY, within=9, received=10, minutes=[20])
    scorecards_draft_month(month=MONTH, dealer_ids=[d.id for d in (network["home"], network["neighbour"], network["far"])])
    admin = network["oem_admin"]
    with as_user(admin):
        for dealer in (network["home"], network["far"]):
            scorecard_publish(scorecard=Scorecard.objects.get(dealer=dealer, month=MONTH), by=admin)
        findings = {
            key: finding_raise(
                dealer=network[key], by=admin, title=f"{key} finding", severity="critical",
                due_on=date.today() - timedelta(days=1) if key == "home" else date.today() + timedelta(days=5),
                figure_code="test_audit.sla_share",
            )
            for key in ("home", "neighbour", "far")
        }
    return {**network, "findings": findings}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def dealer_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["dealer"]["id"] for row in response.json()["results"]}


def reads() -> list[tuple]:
    with network_wide(reason="test check"):
        return list(OemRead.objects.order_by("id").values_list("dealer_id", "reader_id", "kind", "what"))


def test_a_dealers_token_reads_only_its_own_published_scorecards(judged):
    home = judged["home"]
    assert dealer_ids(api(judged["manager"]).get("/api/v1/scorecards/")) == {home.id}
    assert dealer_ids(api(judged["neighbour_manager"]).get("/api/v1/scorecards/")) == set()  # a draft only
    with network_wide(reason="test arrange"):
        far_card = Scorecard.objects.get(dealer=judged["far"])
        home_card = Scorecard.objects.get(dealer=home)
    assert api(judged["manager"]).get(f"/api/v1/scorecards/{far_card.id}/").status_code == 404
    detail = api(judged["manager"]).get(f"/api/v1/scorecards/{home_card.id}/").json()
    assert detail["month"] == "2026-10" and detail["status"] == "published"
    assert {line["figure_code"] for line in detail["lines"]} == {"test_audit.sla_share", "test_audit.response_minutes"}
    assert reads() == []  # a dealer's own reads are not OEM reads


def test_a_regional_manager_reads_its_regions_scorecards_drafts_included_and_each_read_is_logged(judged):
    regional = judged["regional"]
    response = api(regional).get("/api/v1/scorecards/", {"month": "2026-10"})
    assert dealer_ids(response) == {judged["home"].id, judged["neighbour"].id}
    assert {row["status"] for row in response.json()["results"]} == {"draft", "published"}
    assert sorted(reads()) == sorted(
        (dealer.id, regional.id, OemRead.Kind.API, OemRead.Subject.API_SCORECARDS)
        for dealer in (judged["home"], judged["neighbour"])
    )
    with network_wide(reason="test arrange"):
        far_card = Scorecard.objects.get(dealer=judged["far"])
    assert api(regional).get(f"/api/v1/scorecards/{far_card.id}/").status_code == 404
    assert len(reads()) == 2  # a refused read is not logged


def test_findings_follow_the_same_scope(judged):
    findings = judged["findings"]
    assert dealer_ids(api(judged["manager"]).get("/api/v1/findings/")) == {judged["home"].id}
    assert dealer_ids(api(judged["regional"]).get("/api/v1/findings/")) == {judged["home"].id, judged["neighbour"].id}
    assert dealer_ids(api(judged["oem_admin"]).get("/api/v1/findings/")) == {
        judged["home"].id, judged["neighbour"].id, judged["far"].id
    }
    assert api(judged["manager"]).get(f"/api/v1/findings/{findings['far'].id}/").status_code == 404
    assert api(judged["north_regional"]).get(f"/api/v1/findings/{findings['home'].id}/").status_code == 404
    one = api(judged["regional"]).get(f"/api/v1/findings/{findings['home'].id}/").json()
    assert (one["severity"], one["status"], one["is_overdue"]) == ("critical", "open", True)
    overdue_only = api(judged["oem_admin"]).get("/api/v1/findings/", {"status": "open", "severity": "critical"})
    assert len(overdue_only.json()["results"]) == 3


def test_roles_that_do_not_read_scorecards_are_refused(judged):
    assert api(judged["seller"]).get("/api/v1/scorecards/").status_code == 403
    assert api(judged["agent"]).get("/api/v1/scorecards/").status_code == 403
    assert APIClient().get("/api/v1/findings/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/scorecards/", {"month": "2026-13"}, "month"),
        ("/api/v1/scorecards/", {"status": "final"}, "status"),
        ("/api/v1/findings/", {"severity": "fatal"}, "severity"),
        ("/api/v1/findings/", {"dealer": "x"}, "dealer"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(judged, path, params, field):
    response = api(judged["oem_admin"]).get(path, params)
    assert response.status_code == 400
    assert field in str(response.json())


def test_the_api_changes_nothing(judged):
    before = dealers_state()
    client = api(judged["oem_admin"])
    finding = judged["findings"]["home"]
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(f"/api/v1/findings/{finding.id}/", {"status": "closed"}).status_code == 405
        assert getattr(client, method)("/api/v1/scorecards/", {"tier": "A"}).status_code == 405
    assert dealers_state() == before
    with network_wide(reason="test check"):
        assert Finding.objects.get(id=finding.id).status == "open"


def test_the_list_costs_the_same_queries_whatever_its_length(judged, django_assert_max_num_queries):
    client = api(judged["oem_admin"])
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/findings/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/scorecards/").status_code == 200
