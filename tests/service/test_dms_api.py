"""The DMS push API: the file import's rules through REST, with an Idempotency-Key; workshop staff only."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from crm.core.scope import network_wide
from crm.network.models import Role
from service.models import DmsImport, RepairOrder
from tests.factories import staff

pytestmark = pytest.mark.django_db
URL = "/api/v1/service/dms-imports/"


def rows(vin, **changes):
    base = {
        "ro_number": "P-2001", "vin": vin, "opened_at": "2026-11-20 09:00", "settled_at": "2026-11-20 17:00",
        "modified_at": "2026-11-20 17:01", "status": "settled", "mileage": "20,100", "customer_name": "王先生",
        "customer_phone": "13800138000",
    }  # fmt: skip
    return [
        {**base, "line_number": "1", "line_type": "labour", "code": "MNT-20K", "description": "20,000 km service",
         "quantity": "2", "unit_price": "180", "amount": "￥360.00", "technician": "李师傅", **changes},
        {**base, "line_number": "2", "line_type": "part", "code": "FLT-AIR", "description": "Air filter",
         "quantity": "1", "unit_price": "120", **changes},
    ]  # fmt: skip


def push(client, body, key="push-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, body, format="json", **headers)


@pytest.fixture
def api(workshop):
    client = APIClient()
    client.force_login(workshop["advisor"])
    return client


def test_the_route_is_named_and_in_the_schema(client):
    assert reverse("service_api:dms-import") == URL
    assert "/api/v1/service/dms-imports/" in client.get(reverse("api-schema")).content.decode()


def test_a_push_imports_and_the_same_push_again_answers_the_first_result(api, workshop):
    first = push(api, {"rows": rows(workshop["vehicle"].vin.lower())})
    assert first.status_code == 201, first.content
    assert first.json()["counts"] == {"created": 2}
    assert [row["outcome"] for row in first.json()["rows"]] == ["created", "created"]
    again = push(api, {"rows": rows(workshop["vehicle"].vin.lower())})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    with network_wide(reason="test check"):
        assert DmsImport.objects.count() == 1 and RepairOrder.objects.get().total == Decimal("542.40")


def test_a_new_key_with_the_same_rows_changes_nothing(api, workshop):
    push(api, {"rows": rows(workshop["vehicle"].vin)})
    second = push(api, {"rows": rows(workshop["vehicle"].vin)}, key="push-2")
    assert second.status_code == 201 and second.json()["counts"] == {"unchanged": 2}


def test_a_key_reused_for_other_rows_is_refused(api, workshop):
    push(api, {"rows": rows(workshop["vehicle"].vin)})
    response = push(api, {"rows": rows(workshop["vehicle"].vin, description="Other")})
    assert response.status_code == 409 and response.json()["code"] == "dms_import_key_reused"


def test_bad_pushes_answer_4xx_with_a_reason(api, workshop):
    assert push(api, {"rows": rows(workshop["vehicle"].vin)}, key=None).status_code == 400
    assert push(api, {"rows": []}).status_code == 400
    assert push(api, {"rows": rows(workshop["vehicle"].vin), "dealer": 999_999}).status_code == 400
    quarantined = push(api, {"rows": rows("NOT-A-VIN")}, key="bad-vin")
    assert quarantined.status_code == 201 and quarantined.json()["counts"] == {"quarantined": 2}
    with network_wide(reason="test check"):
        assert not RepairOrder.objects.exists()


@pytest.mark.parametrize("role", [Role.SALESPERSON, Role.REGIONAL_MANAGER, Role.OEM_ADMIN, Role.CALL_CENTRE_AGENT])
def test_only_workshop_staff_push(workshop, role):
    place = {Role.SALESPERSON: {"dealer": workshop["dealer"]}, Role.REGIONAL_MANAGER: {"region": workshop["dealer"].region}}
    user = staff(role, **place.get(role, {}))
    client = APIClient()
    client.force_login(user)
    assert push(client, {"rows": rows(workshop["vehicle"].vin)}).status_code == 403
    with network_wide(reason="test check"):
        assert not RepairOrder.objects.exists() and not DmsImport.objects.exists()
