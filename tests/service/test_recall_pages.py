"""The recall pages: the OEM admin creates a campaign, uploads a VIN list and reads the row-by-row report;
every route answers each role as it should (reads for oversight, the call centre and workshops; changes for
the OEM admin; declines for the workshop and the call centre), and nothing changes when it must not."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from crm.core.scope import network_wide
from crm.network.models import Role
from service.models import RecallCampaign, RecallUpload, RecallVehicle
from service.recalls import services
from tests.factories import DealerFactory, make_vin, staff
from tests.service.conftest import as_user

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_oem_admin_creates_a_recall_and_uploads_a_vin_list_from_the_pages(
    workshop, django_assert_max_num_queries
):
    oem = staff(Role.OEM_ADMIN)
    client = client_for(oem)
    refused = client.post(
        reverse("service_recalls:new"), {"code": "R1", "title": "Airbag", "remedy_operation_codes": " , "}
    )
    assert refused.status_code == 200 and refused.context["form"].errors
    response = client.post(
        reverse("service_recalls:new"),
        {"code": "R1", "title": "Airbag", "remedy_operation_codes": "AB01, AB02", "rule_models": "A6"},
    )
    with network_wide(reason="test check"):
        campaign = RecallCampaign.objects.get()
    assert response["Location"] == reverse("service_recalls:detail", args=[campaign.id])
    assert campaign.remedy_operation_codes == ["AB01", "AB02"] and campaign.rule_models == ["A6"]
    bad = make_vin(serial=77)[:8] + "Q" + make_vin(serial=77)[9:]
    upload = SimpleUploadedFile("vins.csv", f"VIN\r\n{workshop['vehicle'].vin}\r\n{bad}\r\n".encode())
    follow = client.post(reverse("service_recalls:upload", args=[campaign.id]), {"file": upload}, follow=True)
    page = follow.content.decode()
    assert "1 vehicles added" in page and bad in page
    client.post(reverse("service_recalls:rule", args=[campaign.id]))
    client.post(reverse("service_recalls:notify", args=[campaign.id]))
    with django_assert_max_num_queries(20):
        detail = client.get(reverse("service_recalls:detail", args=[campaign.id]), {"by": "region"})
    assert detail.status_code == 200 and len(detail.context["vehicles"]) == 1
    assert client.get(reverse("service_recalls:list")).context["campaigns"][0][1]["affected"] == 1


ROLES = [
    Role.SALESPERSON,
    Role.SERVICE_ADVISOR,
    Role.DEALER_ADMIN,
    Role.REGIONAL_MANAGER,
    Role.CALL_CENTRE_AGENT,
    Role.OEM_ADMIN,
    "stranger_advisor",
    "anonymous",
]
# role -> (reads recalls, sees the workshop's affected vehicle, runs campaigns, records a decline)
EXPECTED = {
    Role.SALESPERSON: (False, False, False, False),
    Role.SERVICE_ADVISOR: (True, True, False, True),
    Role.DEALER_ADMIN: (True, True, False, True),
    Role.REGIONAL_MANAGER: (True, True, False, False),
    Role.CALL_CENTRE_AGENT: (True, True, False, True),
    Role.OEM_ADMIN: (True, True, True, True),
    "stranger_advisor": (True, False, False, False),
    "anonymous": (False, False, False, False),
}


def user_for(role, workshop):
    dealer = workshop["dealer"]
    if role == "anonymous":
        return None
    if role == "stranger_advisor":
        return staff(Role.SERVICE_ADVISOR, dealer=DealerFactory())
    if role in (Role.SALESPERSON, Role.SERVICE_ADVISOR, Role.DEALER_ADMIN):
        return staff(role, dealer=dealer)
    if role == Role.REGIONAL_MANAGER:
        return staff(role, region=dealer.region)
    return staff(role)


def state():
    with network_wide(reason="test snapshot"):
        return (
            tuple(RecallCampaign.objects.values_list("id", "code", "status")),
            tuple(RecallVehicle.objects.values_list("id", "status", "notice", "declined_note")),
            RecallUpload.objects.count(),
        )


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_every_recall_route_answers_each_role_as_it_should(role, workshop):
    oem = staff(Role.OEM_ADMIN)
    with as_user(oem):
        campaign = services.recall_create(
            by=oem, code="R9", title="Seat belt", remedy_operation_codes=["SB9"], rule_models=["A6"]
        )
        services.recall_rule_apply(campaign=campaign, by=oem)
    with network_wide(reason="test arrange"):
        row = RecallVehicle.objects.get()
    user = user_for(role, workshop)
    reads, sees_it, runs, declines = EXPECTED[role]
    client = client_for(user)
    for url in (
        reverse("service_recalls:list"),
        reverse("service_recalls:detail", args=[campaign.id]),
        reverse("service_recalls:export", args=[campaign.id]),
    ):
        response = client.get(url)
        expected = 200 if reads else 302 if user is None else 404
        assert response.status_code == expected, url
    if reads:
        detail = client.get(reverse("service_recalls:detail", args=[campaign.id]))
        assert (row in detail.context["vehicles"]) == sees_it
    new_status = client.get(reverse("service_recalls:new")).status_code
    assert new_status == (200 if runs else 302 if user is None else 404)
    before = state()
    upload = SimpleUploadedFile("v.csv", f"VIN\r\n{workshop['vehicle'].vin}\r\n".encode())
    posts = [
        (reverse("service_recalls:new"), {"code": "HIJACK", "title": "x", "remedy_operation_codes": "X"}),
        (reverse("service_recalls:upload", args=[campaign.id]), {"file": upload}),
        (reverse("service_recalls:rule", args=[campaign.id]), {}),
        (reverse("service_recalls:notify", args=[campaign.id]), {}),
    ]
    for url, data in posts:
        status = client.post(url, data).status_code
        assert status in ((302,) if runs else (302, 404)), url
    if not runs:
        assert state() == before
    before = state()
    decline = client.post(reverse("service_recalls:decline", args=[row.id]), {"note": "Moving abroad"})
    assert decline.status_code in (302, 404)
    with network_wide(reason="test check"):
        declined = RecallVehicle.objects.get(id=row.id).status == RecallVehicle.Status.DECLINED
    assert declined == (declines and sees_it)
    if not declined:
        assert state() == before
