"""Every service route × every role, with the access matrix's world (tests/core/test_access_matrix.py): no
role sees or changes another dealer's repair orders, lines or imports; another dealer's order on a shared
vehicle shows only as the summary docs/decisions.md allows (station, date, mileage, operations, parts — no
number, price, technician or customer); salespeople, OEM staff and the call centre never write an order."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from crm.core.scope import network_wide
from crm.customers.models import CustomerDealer
from crm.network.models import Role
from service import services
from service.models import DmsImport, DmsImportRow, Job, LabourLine, RepairOrder
from tests.core.test_access_matrix import (  # noqa: F401 - `world` is the matrix's fixture
    DEALER_SCOPED_ROLES,
    MARKER,
    ROUTES,
    assert_nothing_leaks,
    world,
)
from tests.factories import CustomerFactory, VehicleFactory, staff
from tests.service.conftest import as_user

pytestmark = pytest.mark.django_db

SERVICE_ROUTES = [route for route in ROUTES if route.name.split(":")[0] in {"service", "service_imports", "service_api"}]
LINE_KINDS = ["labour", "part", "charge"]
SECRET_NUMBER = f"{MARKER}-RO-1"
SECRET_TECHNICIAN = f"{MARKER} Technician"
SECRET_PRICE = "4,321.09"


def far_order(far, advisor, vehicle, *, number, settle=True):
    with as_user(advisor):
        order = services.repair_order_open(
            dealer=far, vehicle=vehicle, by=advisor, number=number, mileage_in=30_000, concern=f"{MARKER} concern"
        )
        job = order.jobs.get()
        services.labour_line_add(
            job=job, by=advisor, operation_code="ZQ-OP", description="Timing belt", hours=1, rate="4321.09",
            technician_name=SECRET_TECHNICIAN,
        )
        services.part_line_add(job=job, by=advisor, part_number="ZQ-PART", description="Belt", quantity=1, unit_price="99")
        if settle:
            services.repair_order_settle(repair_order=order, by=advisor)
    return order


@pytest.fixture
def service_world(world):  # noqa: F811 - the matrix's fixture, extended
    """The matrix's world, plus Far's workshop: an open and a settled order on its own customer's car, an
    import, and a settled order on a car whose owner Home knows too (so Home sees its summary)."""
    with network_wide(reason="test arrange"):
        far = RepairOrder._meta.get_field("dealer").related_model.objects.get(name=f"{MARKER} Motors")
        home = RepairOrder._meta.get_field("dealer").related_model.objects.get(name="Home Motors")
        vehicle = world["foreign"].vehicles.get()
    far_advisor = staff(Role.SERVICE_ADVISOR, dealer=far)
    settled = far_order(far, far_advisor, vehicle, number=SECRET_NUMBER)
    open_order = far_order(far, far_advisor, vehicle, number=f"{MARKER}-RO-2", settle=False)
    shared_owner = CustomerFactory(dealer=home, name="Shared Owner")
    with network_wide(reason="test arrange"):
        CustomerDealer.objects.create(customer=shared_owner, dealer=far, reason=CustomerDealer.Reason.SERVICE)
    shared_vehicle = VehicleFactory(owner=shared_owner, plate="沪S11111")
    shared = far_order(far, far_advisor, shared_vehicle, number=f"{MARKER}-RO-3")
    with network_wide(reason="test arrange"):
        dms_import = DmsImport.objects.create(dealer=far, file_name=f"{MARKER}.csv", counts={"created": 1})
        DmsImportRow.objects.create(
            dms_import=dms_import, dealer=far, row_number=2, ro_number=f"{MARKER}-DMS", outcome="quarantined",
            message=MARKER,
        )
        jobs = list(Job.objects.filter(repair_order__dealer=far).values_list("id", flat=True))
        lines = list(LabourLine.objects.filter(dealer=far).values_list("id", flat=True))
    ids = sorted({settled.id, open_order.id, shared.id, vehicle.id, dms_import.id, *jobs, *lines} | set(world["foreign_ids"]))
    return {
        **world,
        "far_advisor": far_advisor,
        "orders": [settled, open_order, shared],
        "open_order": open_order,
        "shared_vehicle": shared_vehicle,
        "ids": ids,
        # Far's name is no secret here: the summary of its order on the shared car names the station.
        "secrets": [*(s for s in world["secrets"] if s != f"{MARKER} Motors"), SECRET_NUMBER, f"{MARKER}-RO-2", f"{MARKER}-RO-3", SECRET_TECHNICIAN,
                    SECRET_PRICE, f"{MARKER}.csv", f"{MARKER}-DMS", f"{MARKER} concern"],
    }  # fmt: skip


def service_state() -> tuple:
    with network_wide(reason="test snapshot"):
        return (
            tuple(RepairOrder.objects.order_by("id").values_list("id", "status", "version", "total", "void_reason")),
            tuple(Job.objects.order_by("id").values_list("id", "concern", "cause", "correction", "pay_type")),
            LabourLine.objects.count(),
            DmsImport.objects.count(),
        )


def service_urls(route, ids) -> list[str]:
    names = [name for name, _converter in route.arguments]
    if not names:
        return [reverse(route.name)]
    urls = []
    for value in ids:
        kwargs = dict.fromkeys(names, value)
        if "kind" in kwargs:
            for kind in LINE_KINDS:
                urls.append(reverse(route.name, kwargs={**kwargs, "kind": kind}))
        else:
            urls.append(reverse(route.name, kwargs=kwargs))
    return urls


HOSTILE_BODY = {
    "to_status": "in_progress", "reason": "Hijacked", "kind": "labour", "line": 1, "job": 1, "concern": "Hijacked",
    "customer": 1, "mileage_in": 1, "pay_type": "customer", "rows": [{"ro_number": "X"}],
}  # fmt: skip


def test_the_service_routes_are_all_covered():
    names = {route.name for route in SERVICE_ROUTES}
    assert {"service:workshop", "service:repair_order", "service:vehicle", "service:line_add", "service:settle",
            "service_imports:upload", "service_imports:result", "service_api:dms-import"} <= names  # fmt: skip


@pytest.mark.parametrize("role", [*DEALER_SCOPED_ROLES, Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN], ids=str)
def test_no_role_changes_another_dealers_orders_and_dealer_roles_see_none(role, service_world):
    user = service_world["users"][role]
    is_dealer_scoped = role in DEALER_SCOPED_ROLES
    before = service_state()
    client = APIClient()
    client.force_login(user)
    for route in SERVICE_ROUTES:
        for url in service_urls(route, service_world["ids"]):
            response = client.get(url)
            assert response.status_code < 500, f"{role} GET {url}: {response.status_code}"
            if is_dealer_scoped:
                assert_nothing_leaks(response, service_world, f"{role} GET {url}")
            for body in (HOSTILE_BODY, {}):
                response = client.post(url, body, format="json" if "/api/" in url else None)
                assert response.status_code < 500, f"{role} POST {url}: {response.status_code}"
                if is_dealer_scoped:
                    assert_nothing_leaks(response, service_world, f"{role} POST {url}")
    assert service_state() == before


@pytest.mark.parametrize("role", DEALER_SCOPED_ROLES, ids=str)
def test_a_shared_vehicle_shows_another_dealers_order_only_as_a_summary(role, service_world):
    client = APIClient()
    client.force_login(service_world["users"][role])
    vehicle_page = client.get(reverse("service:vehicle", args=[service_world["shared_vehicle"].id]))
    owner_page = client.get(reverse("customers:detail", args=[service_world["shared_vehicle"].owner_id]))
    for response in (vehicle_page, owner_page):
        body = response.content.decode()
        for secret in (f"{MARKER}-RO-3", SECRET_TECHNICIAN, SECRET_PRICE, f"{MARKER} concern"):
            assert secret not in body, f"{role} sees {secret}"
    assert "ZQ-OP" in vehicle_page.content.decode()  # the operation, as the summary shows it


def test_the_call_centre_and_oem_admin_read_orders_but_never_write_them(service_world):
    order = service_world["open_order"]
    before = service_state()
    for role in (Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN, Role.REGIONAL_MANAGER):
        client = APIClient()
        client.force_login(service_world["users"][role])
        page = client.get(reverse("service:repair_order", args=[order.id]))
        if role != Role.REGIONAL_MANAGER:  # Far is in North: not the East manager's
            assert page.status_code == 200 and page.context["can_work"] is False
        for name in ("service:settle", "service:move", "service:void", "service:job_add"):
            client.post(reverse(name, args=[order.id]), {"to_status": "in_progress", "reason": "x", "concern": "x"})
        client.post(reverse("service:line_add", args=[order.id, "labour"]), {"job": 1, "description": "x", "hours": 1, "rate": 1})
    assert service_state() == before
    with network_wide(reason="test check"):
        assert RepairOrder.objects.get(id=order.id).total == Decimal("4994.70")  # (4321.09 + 99) × 1.13
