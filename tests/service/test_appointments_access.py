"""Every appointment route × every role, with the access matrix's world (tests/core/test_access_matrix.py).

What docs/decisions.md says ("Service appointments: who may do what"): the workshop staff (advisors, dealer
admins) book, move, cancel, check in and set capacity at their own dealer; the call centre books, moves and
cancels at any dealer and reads every board, but neither checks cars in nor sets capacity; OEM oversight reads
the boards in its scope and changes nothing; sales staff have none of it. Here: no dealer-scoped role sees or
changes another dealer's appointments, bays or hours, the OEM admin changes nothing anywhere, nobody gets a 500,
and the public endpoint takes no session as a credential."""

from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from crm.core.scope import network_wide
from crm.network.models import Dealer, Role
from service.appointments import selectors, services
from service.models import AdvisorHours, Appointment, ServiceBay
from tests.core.test_access_matrix import (  # noqa: F401 - `world` is the matrix's fixture
    DEALER_SCOPED_ROLES,
    MARKER,
    ROUTES,
    assert_nothing_leaks,
    world,
)
from tests.factories import staff
from tests.service.appointment_helpers import OPEN_ALL_WEEK, as_user, local

pytestmark = pytest.mark.django_db

NAMESPACES = {"service_appointments", "service_appointments_api"}
APPOINTMENT_ROUTES = [route for route in ROUTES if route.name.split(":")[0] in NAMESPACES]
HOSTILE = {
    "reason": "Hijacked", "slot": "2030-01-01T09:00:00+08:00", "day": "2030-01-01", "mileage_in": 1, "name": "Hijacked",
    "action": "bay", "what": "bay", "row": 1, "phone": "13900009999", "vin": "x", "starts_at": "2030-01-01T09:00",
}  # fmt: skip


@pytest.fixture
def far_book(world):  # noqa: F811 - the matrix's fixture, extended
    """Far's workshop: a bay, an advisor with weekly hours, and a booked appointment for the foreign car."""
    with network_wide(reason="test arrange"):
        far = Dealer.objects.get(name=f"{MARKER} Motors")
        Dealer.objects.filter(id=far.id).update(business_hours=OPEN_ALL_WEEK)
        far.refresh_from_db()
        vehicle = world["foreign"].vehicles.get()
    advisor = staff(Role.SERVICE_ADVISOR, dealer=far)
    tomorrow = selectors.local_today(far) + timedelta(days=1)
    with as_user(advisor):
        bay = services.bay_add(dealer=far, by=advisor, name=f"{MARKER} Bay")
        hours = services.advisor_hours_add(dealer=far, by=advisor, advisor=advisor, weekday=tomorrow.weekday(),
                                           starts=local(far, tomorrow, 9).time(), ends=local(far, tomorrow, 17).time())  # fmt: skip
        appointment = services.appointment_book(
            dealer=far, by=advisor, party=services.Party(vehicle_id=vehicle.id), starts_at=local(far, tomorrow, 10),
            concern=f"{MARKER} concern",
        )  # fmt: skip
    # Far's own rows, and the foreign customer and car (the matrix's test tries every other foreign id).
    ids = sorted({appointment.id, bay.id, hours.id, far.id, world["foreign"].id, vehicle.id})
    return {**world, "far": far, "appointment": appointment, "ids": ids,
            "secrets": [*world["secrets"], f"{MARKER} Bay", f"{MARKER} concern"]}  # fmt: skip


def appointment_state(*, only_far: bool = False) -> tuple:
    """Appointments, bays and hours: Far's (what another dealer's staff must not touch), or everyone's."""
    where = {"dealer__name__startswith": MARKER} if only_far else {}
    with network_wide(reason="test snapshot"):
        return (
            tuple(Appointment.objects.filter(**where).order_by("id").values_list("id", "status", "starts_at", "bay_id", "version", "cancel_reason")),
            tuple(ServiceBay.objects.filter(**where).order_by("id").values_list("id", "name", "is_active")),
            tuple(AdvisorHours.objects.filter(**where).order_by("id").values_list("id", "starts", "ends")),
        )


def urls(route, ids) -> list[str]:
    names = [name for name, _converter in route.arguments]
    if not names:
        base = reverse(route.name)
        return [base, *(f"{base}?dealer={value}" for value in ids)]
    return [reverse(route.name, kwargs=dict.fromkeys(names, value)) for value in ids]


def test_every_appointment_route_is_covered():
    assert {route.name for route in APPOINTMENT_ROUTES} == {
        "service_appointments:board", "service_appointments:book", "service_appointments:capacity",
        "service_appointments:detail", "service_appointments:reschedule", "service_appointments:cancel",
        "service_appointments:check_in", "service_appointments_api:book", "service_appointments_api:slots",
    }  # fmt: skip


@pytest.mark.parametrize("role", [*DEALER_SCOPED_ROLES, Role.OEM_ADMIN], ids=str)
def test_no_role_sees_or_changes_another_dealers_appointments_and_the_oem_changes_none(role, far_book):
    user = far_book["users"][role]
    is_dealer_scoped = role in DEALER_SCOPED_ROLES
    # A Home advisor may add a bay at Home with this body; Far's rows must not move. The OEM moves nothing.
    before = appointment_state(only_far=is_dealer_scoped)
    client = APIClient()
    client.force_login(user)
    for route in APPOINTMENT_ROUTES:
        for url in urls(route, far_book["ids"]):
            response = client.get(url)
            assert response.status_code < 500, f"{role} GET {url}: {response.status_code}"
            if is_dealer_scoped:
                assert_nothing_leaks(response, far_book, f"{role} GET {url}")
            for body in (HOSTILE, {}):
                response = client.post(url, body, format="json" if "/api/" in url else None)
                assert response.status_code < 500, f"{role} POST {url}: {response.status_code}"
                if is_dealer_scoped:
                    assert_nothing_leaks(response, far_book, f"{role} POST {url}")
    assert appointment_state(only_far=is_dealer_scoped) == before


def test_the_call_centre_reaches_every_route_without_errors_and_works_at_any_dealer(far_book):
    agent = far_book["users"][Role.CALL_CENTRE_AGENT]
    client = APIClient()
    client.force_login(agent)
    for route in APPOINTMENT_ROUTES:
        for url in urls(route, far_book["ids"]):
            assert client.get(url).status_code < 500, url
    appointment = far_book["appointment"]
    detail = client.get(reverse("service_appointments:detail", args=[appointment.id]))
    assert detail.status_code == 200 and 'id="cancel"' in detail.content.decode()
    assert 'id="check-in"' not in detail.content.decode()  # check-in happens at the workshop's counter
    before = appointment_state()
    assert client.post(reverse("service_appointments:check_in", args=[appointment.id]), {}).status_code == 404
    assert client.post(reverse("service_appointments:capacity"), {"dealer": far_book["far"].id, "action": "bay", "name": "X"}).status_code == 404
    assert appointment_state() == before
    assert client.post(reverse("service_appointments:cancel", args=[appointment.id]), {"reason": "Customer called"}).status_code == 302
    with network_wide(reason="test assertion"):
        assert Appointment.objects.get(id=appointment.id).status == "cancelled"


def test_a_signed_in_session_is_no_key_for_the_public_endpoint(far_book):
    client = APIClient()
    client.force_login(far_book["users"][Role.SERVICE_ADVISOR])
    before = appointment_state()
    response = client.post(reverse("service_appointments_api:book"), HOSTILE, format="json")
    assert response.status_code == 401
    assert appointment_state() == before
