"""The leads REST API: scoped to the caller, foreign ids 404/400, read-only roles 403 with nothing changed,
query counts flat."""

import pytest
from rest_framework.test import APIClient

from crm.core.scope import network_wide, scoped
from crm.network.access import access_for
from crm.network.models import Role
from leads.models import DemoCar, Lead, LeadSource
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
