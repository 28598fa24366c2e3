"""Click-to-call from My day (a Call button on each lead whose customer has a valid phone, when the salesperson
has a phone of their own for it to ring) and from the API (POST /api/v1/leads/<id>/calls/): the same service as
the lead page's button, scoped the same way, refusing with a 4xx and a reason, writing nothing when it refuses."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from crm.core.scope import network_wide
from crm.customers.models import ContactPoint
from crm.messaging.models import PhoneCall
from crm.network.models import Role
from crm.network.services import staff_phone_set
from tests.factories import DealerFactory, staff, web_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(shop):
    staff_phone_set(user=shop["seller"], phone="+8613800138000")
    return {
        "callable": web_lead(shop["dealer"], name="Jiang", phone="+8613900716781", owner=shop["seller"], hours_ago=2),
        "no_phone": web_lead(shop["dealer"], name="Lu", phone="+8613900716782", owner=shop["seller"], hours_ago=2),
    }


@pytest.fixture(autouse=True)
def no_valid_phone(leads):
    with network_wide(reason="test arrange: a customer whose only number bounced"):
        ContactPoint.objects.filter(customer_id=leads["no_phone"].customer_id).update(is_invalid=True)


def calls() -> list[tuple]:
    with network_wide(reason="test check"):
        return list(PhoneCall.objects.order_by("id").values_list("reference_id", "user_id", "status"))


def call_url(lead) -> str:
    return reverse("leads:call_start", args=[lead.id])


def test_my_day_offers_a_call_for_leads_with_a_phone_and_it_starts_one(client, shop, leads):
    client.force_login(shop["seller"])
    page = client.get(reverse("leads:my_day")).content.decode()
    assert call_url(leads["callable"]) in page
    assert call_url(leads["no_phone"]) not in page
    response = client.post(call_url(leads["callable"]), {"next": reverse("leads:my_day")})
    assert response.status_code == 302 and response["Location"] == reverse("leads:my_day")
    assert calls() == [(leads["callable"].id, shop["seller"].id, "requested")]


def test_without_a_phone_of_their_own_my_day_offers_no_call(client, shop, leads):
    client.force_login(shop["colleague"])
    lead = web_lead(shop["dealer"], name="Wu", phone="+8613900716783", owner=shop["colleague"], hours_ago=1)
    page = client.get(reverse("leads:my_day")).content.decode()
    assert call_url(lead) not in page


def test_my_day_costs_the_same_queries_with_more_leads(client, shop, leads, django_assert_max_num_queries):
    client.force_login(shop["seller"])
    client.get(reverse("leads:my_day"))
    for index in range(5):
        web_lead(shop["dealer"], name=f"More {index}", phone=f"+861390071680{index}", owner=shop["seller"], hours_ago=1)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("leads:my_day")).status_code == 200


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_starts_a_call_and_refuses_a_second_while_it_rings(shop, leads):
    lead = leads["callable"]
    response = api(shop["seller"]).post(f"/api/v1/leads/{lead.id}/calls/")
    assert response.status_code == 201
    assert response.json()["lead"] == lead.id and response.json()["status"] == "requested"
    again = api(shop["seller"]).post(f"/api/v1/leads/{lead.id}/calls/")
    assert again.status_code == 409 and again.json()["code"] == "call_in_progress"
    assert len(calls()) == 1


@pytest.mark.parametrize(
    ("who", "lead_key", "status", "code"),
    [
        ("seller", "no_phone", 400, "customer_phone_missing"),
        ("colleague", "callable", 403, None),  # not theirs to contact
        ("regional", "callable", 403, None),  # the OEM reads, never calls in the dealer's name
        ("foreign", "callable", 404, None),
    ],
)
def test_the_api_refuses_with_a_reason_and_writes_nothing(shop, leads, who, lead_key, status, code):
    users = {**shop, "foreign": staff(Role.SALESPERSON, dealer=DealerFactory())}
    if who in ("colleague", "foreign"):  # a phone of their own: the refusal is about the lead, not them
        staff_phone_set(user=users[who], phone="+8613800138009")
    response = api(users[who]).post(f"/api/v1/leads/{leads[lead_key].id}/calls/")
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code
    assert calls() == []


def test_the_api_asks_for_the_callers_own_phone_first(shop, leads):
    lead = web_lead(shop["dealer"], name="Wu", phone="+8613900716784", owner=shop["colleague"], hours_ago=1)
    response = api(shop["colleague"]).post(f"/api/v1/leads/{lead.id}/calls/")
    assert response.status_code == 400 and response.json()["code"] == "staff_phone_missing"
    assert calls() == []
