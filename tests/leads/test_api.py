"""The leads REST API: scoped to the caller, foreign ids 404/400, read-only roles 403 with nothing changed,
query counts flat."""

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from crm.core.scope import network_wide, scoped
from crm.network.access import access_for
from crm.network.models import Role
from leads.models import DemoCar, Lead, LeadSource, ShowroomVisit
from leads.services import lead_capture
from tests.factories import DealerFactory, RegionFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    east = RegionFactory(code="east-api")
    a, b = DealerFactory(region=east), DealerFactory()
    return {
        "a": a,
        "b": b,
        "seller_a": staff(Role.SALESPERSON, dealer=a),
        "manager_a": staff(Role.SALES_MANAGER, dealer=a),
        "seller_b": staff(Role.SALESPERSON, dealer=b),
        "regional": staff(Role.REGIONAL_MANAGER, region=east),
    }


def capture(user, dealer, name, phone, **extra):
    with scoped(access_for(user).scope):
        return lead_capture(dealer=dealer, by=user, name=name, type="phone", phones=[phone], **extra).lead


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def snapshot():
    with network_wide(reason="test snapshot"):
        return tuple(Lead.objects.order_by("id").values_list("id", "owner_id", "stage", "grade", "version"))


def test_dealer_a_never_sees_dealer_bs_leads(world):
    own = capture(world["seller_a"], world["a"], "Own", "13912345678")
    foreign = capture(world["seller_b"], world["b"], "Foreign", "13812345678")
    client = client_for(world["seller_a"])
    listed = client.get("/api/v1/leads/").json()["results"]
    assert [row["id"] for row in listed] == [own.id]
    assert client.get(f"/api/v1/leads/{foreign.id}/").status_code == 404
    detail = client.get(f"/api/v1/leads/{own.id}/")
    assert detail.status_code == 200 and detail["ETag"] == f'"{detail.json()["version"]}"'


def test_actions_on_a_foreign_lead_are_404_and_change_nothing(world):
    foreign = capture(world["seller_b"], world["b"], "Foreign", "13812345678")
    client = client_for(world["manager_a"])
    before = snapshot()
    for action, body in [
        ("claim", {}),
        ("grade", {"grade": "H", "reason": "x"}),
        ("move", {"to_stage": "contacted"}),
        ("assign", {"to": world["seller_a"].id}),
        ("contact-attempts", {"channel": "call", "outcome": "reached"}),
        ("lost", {"reason": "price"}),
    ]:
        assert client.post(f"/api/v1/leads/{foreign.id}/{action}/", body, format="json").status_code == 404
    assert snapshot() == before


def test_foreign_related_ids_are_unknown(world):
    lead = capture(world["seller_a"], world["a"], "Own", "13912345678")
    with network_wide(reason="test arrange"):
        foreign_car = DemoCar.objects.create(dealer=world["b"], model="S7")
        foreign_source = LeadSource.objects.create(
            code="b-site", name="B", channel="web_form", dealer=world["b"]
        )
    manager = client_for(world["manager_a"])
    before = snapshot()
    assign = manager.post(f"/api/v1/leads/{lead.id}/assign/", {"to": world["seller_b"].id}, format="json")
    assert assign.status_code == 400 and "to" in assign.json()["extra"]["fields"]
    drive = client_for(world["seller_a"]).post(
        f"/api/v1/leads/{lead.id}/test-drives/",
        {"demo_car": foreign_car.id, "starts_at": "2030-01-01T10:00:00Z"},
        format="json",
    )
    assert drive.status_code == 400 and "demo_car" in drive.json()["extra"]["fields"]
    create = client_for(world["seller_a"]).post(
        "/api/v1/leads/",
        {"name": "N", "phones": ["13712345678"], "type": "phone", "source": foreign_source.id},
        format="json",
    )
    assert create.status_code == 400 and "source" in create.json()["extra"]["fields"]
    assert snapshot() == before


def test_read_only_regional_manager_reads_but_cannot_write(world):
    lead = capture(world["seller_a"], world["a"], "Own", "13912345678")
    client = client_for(world["regional"])
    assert client.get(f"/api/v1/leads/{lead.id}/").status_code == 200
    before = snapshot()
    assert (
        client.post(
            f"/api/v1/leads/{lead.id}/grade/", {"grade": "H", "reason": "x"}, format="json"
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/leads/{lead.id}/claim/").status_code == 403
    assert (
        client.post(
            "/api/v1/visits/", {"phone": "13612345678", "dealer": world["a"].id}, format="json"
        ).status_code
        == 403
    )
    assert snapshot() == before


def test_salesperson_works_a_lead_through_the_api(world):
    seller = client_for(world["seller_a"])
    created = seller.post(
        "/api/v1/leads/", {"name": "N", "phones": ["13712345678"], "type": "phone"}, format="json"
    )
    assert created.status_code == 201, created.content
    lead_id = created.json()["id"]
    assert seller.post(f"/api/v1/leads/{lead_id}/claim/").json()["owner"]["id"] == world["seller_a"].id
    attempt = seller.post(
        f"/api/v1/leads/{lead_id}/contact-attempts/", {"channel": "call", "outcome": "reached"}, format="json"
    )
    assert attempt.status_code == 201
    graded = seller.post(
        f"/api/v1/leads/{lead_id}/grade/", {"grade": "H", "reason": "budget ready"}, format="json"
    )
    assert graded.status_code == 200 and graded.json()["grade"] == "H"
    visit = seller.post("/api/v1/visits/", {"phone": "13712345678", "grade": "H"}, format="json")
    assert visit.status_code == 201 and visit.json()["lead_id"] == lead_id
    filtered = seller.get("/api/v1/leads/", {"grade": "H", "stage": "visited"}).json()["results"]
    assert [row["id"] for row in filtered] == [lead_id]


def test_lead_list_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    client = client_for(world["seller_a"])
    for i in range(3):
        capture(world["seller_a"], world["a"], f"C{i}", f"1391234560{i}")
    with django_assert_max_num_queries(12) as few:
        assert len(client.get("/api/v1/leads/").json()["results"]) == 3
    for i in range(3, 15):
        capture(world["seller_a"], world["a"], f"C{i}", f"139123456{i:02d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/leads/").json()["results"]) == 15


# --- Honest answers: nulls the schema allows, times in UTC, dates the database can hold -------------------


def test_an_ungraded_lead_answers_grade_null_as_the_schema_allows(world):
    lead = capture(world["seller_a"], world["a"], "Ungraded", "13912345678")
    client = client_for(world["seller_a"])
    assert client.get(f"/api/v1/leads/{lead.id}/").json()["grade"] is None
    assert client.get("/api/v1/leads/").json()["results"][0]["grade"] is None
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    grade = schema["components"]["schemas"]["Lead"]["properties"]["grade"]
    assert grade["nullable"] is True


def test_a_lead_from_before_1901_is_answered_in_utc_not_local_mean_time(world):
    lead = capture(world["seller_a"], world["a"], "Old", "13912345678")
    with network_wide(reason="test arrange"):
        Lead.objects.filter(id=lead.id).update(arrived_at=datetime(1897, 1, 3, 9, 30, tzinfo=UTC))
    body = client_for(world["seller_a"]).get(f"/api/v1/leads/{lead.id}/").json()
    assert body["arrived_at"] == "1897-01-03T09:30:00Z"


@pytest.mark.parametrize("value", ["2026-01-01T00:00:00+16:00", "0001-01-01T00:00:00+01:00", "soon"])
def test_an_impossible_arrived_since_is_a_400_naming_it(world, value):
    response = client_for(world["seller_a"]).get("/api/v1/leads/", {"arrived_since": value})
    assert response.status_code == 400, response.content
    assert list(response.json()["extra"]["fields"]) == ["arrived_since"]


@pytest.mark.parametrize(
    "at", ["0063-06-11T10:50:45Z", "9999-12-31T23:00:00-05:00", "2026-01-01T00:00+16:00"]
)
def test_a_contact_attempt_dated_where_no_record_can_be_is_refused_and_changes_nothing(world, at):
    lead = capture(world["seller_a"], world["a"], "Own", "13912345678")
    before = snapshot()
    response = client_for(world["seller_a"]).post(
        f"/api/v1/leads/{lead.id}/contact-attempts/",
        {"channel": "call", "outcome": "reached", "at": at},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["extra"]["fields"]) == ["at"]
    assert snapshot() == before


@pytest.mark.parametrize("field", ["arrived_at", "left_at"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_a_visit_in_year_1_or_9999_is_refused_beside_the_field(world, field, value):
    with network_wide(reason="test snapshot"):
        visits = ShowroomVisit.objects.count()
    response = client_for(world["seller_a"]).post(
        "/api/v1/visits/", {"phone": "13612345678", field: value}, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["extra"]["fields"]) == [field]
    with network_wide(reason="test snapshot"):
        assert ShowroomVisit.objects.count() == visits


def test_options_on_an_action_without_input_describes_it(world):
    lead = capture(world["seller_a"], world["a"], "Own", "13912345678")
    response = client_for(world["seller_a"]).options(f"/api/v1/leads/{lead.id}/claim/")
    assert response.status_code == 200, response.content
    assert response.json()["name"]
