"""The public booking endpoint: authenticated by an appointment source key (as web lead intake is), JSON only,
rate-limited, and every refusal a 4xx with a reason — never a 500 and nothing half-written."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from crm.customers.models import Customer, Vehicle
from service.appointments import services
from service.models import Appointment
from tests.factories import DealerFactory, make_vin
from tests.service.appointment_helpers import book, everything, local

pytestmark = pytest.mark.django_db

URL = "/api/v1/service/appointments/"
HEADER = "HTTP_X_APPOINTMENT_SOURCE_KEY"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.fixture
def web(shop):
    with everything():
        source, key = services.appointment_source_create(code="xuhui-web", name="Xuhui web site", dealer=shop["dealer"])
    return {**shop, "source": source, "key": key, "client": APIClient()}


def body(web, **changes) -> dict:
    return {
        "starts_at": local(web["dealer"], web["tomorrow"], 10).replace(tzinfo=None).isoformat(timespec="minutes"),
        "name": "Lin Hua",
        "phone": "139 0000 4444",
        "vin": make_vin(serial=770_001),
        "make": "Aurora",
        "model": "A6",
        "plate": "沪C 54321",
        "concern": "Annual service",
        "language": "en",
        **changes,
    }


def post(web, payload, *, key="own", **extra):
    headers = {HEADER: web["key"] if key == "own" else key} if key is not None else {}
    data = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return web["client"].post(URL, data=data, content_type=extra.pop("content_type", "application/json"), **headers, **extra)


def counts() -> tuple:
    with everything():
        return Appointment.objects.count(), Customer.objects.count(), Vehicle.objects.count()


def test_a_good_key_books_in_the_dealers_local_time_and_a_second_booking_reuses_the_records(web):
    response = post(web, body(web))
    assert response.status_code == 201, response.json()
    data = response.json()
    with everything():
        appointment = Appointment.objects.get(id=data["appointment_id"])
    assert appointment.starts_at == local(web["dealer"], web["tomorrow"], 10)
    assert (appointment.channel, appointment.source_id, appointment.language) == ("online", web["source"].id, "en")
    assert data["dealer_code"] == web["dealer"].code and data["bay"] in {"Bay 1", "Bay 2"}
    before = counts()
    again = post(web, body(web, starts_at=local(web["dealer"], web["tomorrow"], 13).isoformat(), phone="+8613900004444"))
    assert again.status_code == 201
    assert counts() == (before[0] + 1, before[1], before[2])


@pytest.mark.parametrize("key", [None, "", "not-a-key", "x" * 500])
def test_a_missing_or_wrong_key_is_refused_with_401_and_nothing_stored(web, key):
    before = counts()
    response = post(web, body(web), key=key)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_source_key"
    assert counts() == before


def test_an_inactive_source_is_refused(web):
    with everything():
        type(web["source"]).objects.filter(id=web["source"].id).update(is_active=False)
    assert post(web, body(web)).status_code == 401


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ([], 400, "non_field_errors"),
        ("not json at all", 400, None),
        ({"starts_at": "tomorrow morning"}, 400, "starts_at"),
        ({"phone": "", "email": ""}, 400, "phone"),
        ({"phone": "12"}, 400, "phone"),
        ({"email": "not-an-email", "phone": ""}, 400, "email"),
        ({"vin": "", "plate": ""}, 400, "vin"),
        ({"vin": "LSVAB4BR0IOQ00001"}, 400, "vin"),
        ({"slots": 99}, 400, "slots"),
        ({"language": "fr"}, 400, "language"),
        ({"surprise": 1}, 400, "surprise"),
        ({"name": ["a", "list"]}, 400, "name"),
        ({"starts_at": None}, 400, "starts_at"),
        ({"dealer_code": "NOPE"}, 400, "dealer_code"),
    ],
)
def test_bad_payloads_are_refused_with_a_reason_and_nothing_stored(web, payload, status, field):
    before = counts()
    data = payload if isinstance(payload, (list, str)) else body(web, **payload)
    response = post(web, data)
    assert response.status_code == status, response.content
    answer = response.json()
    assert answer["message"] and answer["code"]
    if field:
        assert field in answer["extra"]["fields"], answer
    assert counts() == before


def test_times_in_the_past_outside_hours_or_taken_are_refused_with_their_reason(web):
    dealer = web["dealer"]
    assert post(web, body(web, starts_at=local(dealer, web["today"], 0).isoformat())).json()["code"] == "in_the_past"
    assert post(web, body(web, starts_at=local(dealer, web["tomorrow"], 20).isoformat())).json()["code"] == "outside_hours"
    for index, advisor in enumerate(web["advisors"]):
        book(web, local(dealer, web["tomorrow"], 16), bay=web["bays"][index], advisor=advisor)
    before = counts()
    response = post(web, body(web, starts_at=local(dealer, web["tomorrow"], 16).isoformat()))
    assert response.status_code == 409
    assert response.json()["code"] == "no_capacity" and response.json()["message"]
    assert counts() == before


def test_refusals_speak_the_customers_language(web):
    response = post(web, body(web, language="zh-hans", starts_at=local(web["dealer"], web["tomorrow"], 20).isoformat()))
    assert response.status_code == 400
    assert response.json()["message"] == "该时间不在维修车间的营业时间或服务顾问的工作时间内。"


def test_wrong_content_type_and_oversized_bodies_are_refused(web):
    assert post(web, "a=b", content_type="application/x-www-form-urlencoded").status_code == 415
    assert post(web, body(web, concern="x" * 20_000)).status_code == 413


def test_a_source_books_only_at_its_own_dealer_and_an_oem_source_names_one(web):
    other = DealerFactory(code="OTHER1")
    refused = post(web, body(web, dealer_code="OTHER1"))
    assert (refused.status_code, refused.json()["code"]) == (400, "dealer_not_of_source")
    with everything():
        oem, oem_key = services.appointment_source_create(code="oem-app", name="OEM app")
    assert post(web, body(web), key=oem_key).json()["code"] == "unknown_dealer"
    assert post(web, body(web, dealer_code="OTHER1"), key=oem_key).status_code == 409  # no bays there: no capacity
    assert other.code == "OTHER1" and oem.dealer_id is None


def test_callers_are_rate_limited_per_source_and_address(web, settings):
    settings.SERVICE_APPOINTMENT_RATE_PER_IP = 2
    bad = body(web, vin="", plate="")
    assert [post(web, bad).status_code for _ in range(3)] == [400, 400, 429]
    limited = post(web, bad)
    assert limited.json()["code"] == "rate_limited" and int(limited["Retry-After"]) >= 1


def test_the_free_slots_of_a_day_are_listed_for_a_good_key(web):
    url = reverse("service_appointments_api:slots")
    book(web, local(web["dealer"], web["tomorrow"], 9), bay=web["bays"][0], advisor=web["advisors"][0])
    response = web["client"].get(url, {"day": web["tomorrow"].isoformat()}, **{HEADER: web["key"]})
    assert response.status_code == 200
    data = response.json()
    assert data["slot_minutes"] == 60 and data["time_zone"] == web["dealer"].time_zone
    assert len(data["slots"]) == 9  # 09:00 … 17:00: one bay and one advisor are still free at 09:00
    assert web["client"].get(url, {"day": "soon"}, **{HEADER: web["key"]}).status_code == 400
    assert web["client"].get(url, {"day": web["tomorrow"].isoformat()}).status_code == 401
    assert web["client"].get(url, {"day": (web["tomorrow"] + timedelta(days=1)).isoformat(), "x": 1}, **{HEADER: web["key"]}).status_code == 400
