"""The complaint and call-back pages: the call centre logs a complaint (customer found, dealer picked), the
dealer works it to a confirmed close, a call-back is recorded from the due list; and every route answered as
each role should (missing and forbidden alike 404, nothing changed)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from crm.network.models import Role
from service import services as ro_services
from service.care import services
from service.models import CallBack, Complaint, ComplaintEntry
from tests.factories import DealerFactory, staff
from tests.service.conftest import as_user

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def complaint_at(workshop, *, by=None, **kwargs) -> Complaint:
    by = by or workshop["advisor"]
    with as_user(by):
        return services.complaint_open(
            dealer=workshop["dealer"],
            customer=workshop["owner"],
            category="repair_quality",
            severity=kwargs.pop("severity", "high"),
            source="dealer",
            summary=kwargs.pop("summary", "Brakes squeak again"),
            opened_by=by,
        )


def due_call_back(workshop) -> CallBack:
    advisor = workshop["advisor"]
    with as_user(advisor):
        repair_order = ro_services.repair_order_open(
            dealer=workshop["dealer"], vehicle=workshop["vehicle"], by=advisor, concern="Oil"
        )
        ro_services.labour_line_add(
            job=repair_order.jobs.get(), by=advisor, operation_code="M", hours=1, rate=100
        )
        repair_order = ro_services.repair_order_settle(
            repair_order=repair_order, by=advisor, settled_at=timezone.now() - timedelta(days=2, hours=1)
        )
    with network_wide(reason="test: the subscriber"):
        return services.call_back_schedule(repair_order=repair_order)


def test_the_call_centre_finds_the_customer_picks_the_dealer_and_logs_the_complaint(workshop):
    agent = staff(Role.CALL_CENTRE_AGENT)
    client = client_for(agent)
    with network_wide(reason="test arrange"):
        phone = workshop["owner"].contact_points.get().value
    found = client.get(reverse("service_care:complaint_new"), {"q": phone})
    assert workshop["owner"].name in found.content.decode()
    url = f"{reverse('service_care:complaint_new')}?customer={workshop['owner'].id}"
    assert client.get(url).status_code == 200
    refused = client.post(
        url,
        {
            "customer": workshop["owner"].id,
            "dealer": workshop["dealer"].id,
            "category": "price",
            "severity": "low",
            "summary": "",
        },
    )
    assert refused.status_code == 200 and "summary" in refused.context["form"].errors
    response = client.post(
        url,
        {
            "customer": workshop["owner"].id,
            "dealer": workshop["dealer"].id,
            "category": "price",
            "severity": "low",
            "summary": "Charged twice for the oil",
        },
    )
    with network_wide(reason="test check"):
        complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/complaints/{complaint.id}/")
    assert complaint.source == "call_centre" and complaint.opened_by == agent
    assert "Charged twice for the oil" in client.get(response["Location"]).content.decode()


def test_the_dealer_works_a_complaint_to_a_confirmed_close_from_its_page(workshop):
    complaint = complaint_at(workshop)
    client = client_for(workshop["advisor"])
    detail = reverse("service_care:complaint_detail", args=[complaint.id])
    client.post(
        reverse("service_care:complaint_note", args=[complaint.id]), {"text": "Called", "is_contact": "on"}
    )
    client.post(
        reverse("service_care:complaint_resolve", args=[complaint.id]), {"resolution": "Pads replaced"}
    )
    unconfirmed = client.post(
        reverse("service_care:complaint_close", args=[complaint.id]), {"note": "ok"}, follow=True
    )
    assert "customer confirms" in unconfirmed.content.decode()
    with network_wide(reason="test check"):
        assert Complaint.objects.get(id=complaint.id).status == Complaint.Status.RESOLVED
    client.post(reverse("service_care:complaint_close", args=[complaint.id]), {"customer_confirmed": "on"})
    with network_wide(reason="test check"):
        assert Complaint.objects.get(id=complaint.id).status == Complaint.Status.CLOSED
    page = client.get(detail).content.decode()
    assert "Pads replaced" in page and "Record the resolution" not in page


def test_the_complaint_list_filters_and_its_queries_do_not_grow_with_rows(
    workshop, django_assert_max_num_queries
):
    client = client_for(workshop["advisor"])
    complaint_at(workshop)
    with django_assert_max_num_queries(12):
        first = client.get(reverse("service_care:complaints"))
    for _ in range(5):
        complaint_at(workshop)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("service_care:complaints"), {"show": "mine"})
    assert first.status_code == response.status_code == 200
    assert len(response.context["complaints"]) == 6
    assert client.get(reverse("service_care:complaints"), {"show": "overdue"}).context["complaints"] == []


def test_a_colleague_records_a_due_call_back_and_the_advisor_gets_no_form(
    workshop, django_assert_max_num_queries
):
    colleague = staff(Role.SERVICE_ADVISOR, dealer=workshop["dealer"])
    call_back = due_call_back(workshop)
    advisor_page = client_for(workshop["advisor"]).get(reverse("service_care:call_backs"))
    assert advisor_page.context["call_backs"] == [(call_back, False)]
    client = client_for(colleague)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("service_care:call_backs"))
    assert page.context["call_backs"] == [(call_back, True)]
    response = client.post(
        reverse("service_care:call_back_record", args=[call_back.id]),
        {"outcome": "dissatisfied", "notes": "Waited three hours"},
    )
    with network_wide(reason="test check"):
        recorded = CallBack.objects.get(id=call_back.id)
    assert recorded.recorded_by_id == colleague.id and recorded.complaint_id is not None
    assert response["Location"].endswith(f"/complaints/{recorded.complaint_id}/")


ROLES = [
    Role.SALESPERSON,
    Role.SERVICE_ADVISOR,
    Role.DEALER_ADMIN,
    Role.REGIONAL_MANAGER,
    Role.CALL_CENTRE_AGENT,
    Role.OEM_ADMIN,
    "stranger_advisor",
    "other_region",
    "anonymous",
]
# role -> (opens the list pages, sees the workshop dealer's complaint and call-back, may change them)
EXPECTED = {
    Role.SALESPERSON: (False, False, False),
    Role.SERVICE_ADVISOR: (True, True, True),
    Role.DEALER_ADMIN: (True, True, True),
    Role.REGIONAL_MANAGER: (True, True, False),
    Role.CALL_CENTRE_AGENT: (True, True, True),
    Role.OEM_ADMIN: (True, True, True),
    "stranger_advisor": (True, False, False),
    "other_region": (True, False, False),
    "anonymous": (False, False, False),
}


def user_for(role, workshop):
    dealer = workshop["dealer"]
    if role == "anonymous":
        return None
    if role == "stranger_advisor":
        return staff(Role.SERVICE_ADVISOR, dealer=DealerFactory())
    if role == "other_region":
        return staff(Role.REGIONAL_MANAGER, region=DealerFactory().region)
    if role == Role.SERVICE_ADVISOR:
        return staff(Role.SERVICE_ADVISOR, dealer=dealer)  # a colleague: not the advisor of the order
    if role in (Role.SALESPERSON, Role.DEALER_ADMIN):
        return staff(role, dealer=dealer)
    if role == Role.REGIONAL_MANAGER:
        return staff(role, region=dealer.region)
    return staff(role)


def state(complaint, call_back):
    with network_wide(reason="test snapshot"):
        return (
            tuple(Complaint.objects.order_by("id").values_list("id", "status", "owner_id", "resolution")),
            ComplaintEntry.objects.count(),
            tuple(CallBack.objects.values_list("id", "outcome", "recorded_by_id")),
        )


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_every_care_route_answers_each_role_as_it_should(role, workshop):
    complaint = complaint_at(workshop)
    call_back = due_call_back(workshop)
    user = user_for(role, workshop)
    opens_lists, sees_it, may_change = EXPECTED[role]
    client = client_for(user) if user else Client()
    lists = {
        reverse("service_care:complaints"): "complaints",
        reverse("service_care:call_backs"): "call_backs",
    }
    for url, key in lists.items():
        response = client.get(url, {"show": "all"} if key == "complaints" else {})
        if user is None:
            assert response.status_code == 302, url
        elif opens_lists:
            assert response.status_code == 200, url
            shown = {row.id for row, _flag in response.context[key]}
            assert ((complaint.id if key == "complaints" else call_back.id) in shown) == sees_it, url
        else:
            assert response.status_code == 404, url
    detail = client.get(reverse("service_care:complaint_detail", args=[complaint.id]))
    assert detail.status_code == (200 if sees_it else 302 if user is None else 404)
    before = state(complaint, call_back)
    writes = [
        (reverse("service_care:complaint_note", args=[complaint.id]), {"text": "x", "is_contact": "on"}),
        (reverse("service_care:complaint_resolve", args=[complaint.id]), {"resolution": "x"}),
        (reverse("service_care:complaint_assign", args=[complaint.id]), {"owner": workshop["advisor"].id}),
        (reverse("service_care:call_back_record", args=[call_back.id]), {"outcome": "satisfied"}),
    ]
    if not may_change:
        for url, data in writes:
            assert client.post(url, data).status_code in (302, 404), url
        assert state(complaint, call_back) == before
    else:
        for url, data in writes:
            assert client.post(url, data).status_code == 302, url
        assert state(complaint, call_back) != before
    # Logging a complaint: the call centre anywhere, a dealer's care staff at their own dealer.
    logs = role not in (Role.SALESPERSON, Role.REGIONAL_MANAGER, "other_region", "anonymous")
    expected = 200 if logs else 302 if user is None else 404
    assert client.get(reverse("service_care:complaint_new")).status_code == expected
