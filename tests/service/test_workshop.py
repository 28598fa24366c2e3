"""The advisor's workshop screen and the repair order pages: check-in by plate or VIN in any width or case,
opening an order, lines added in place with their errors beside the field, the workshop's moves, pickup,
a settled order shown read-only, voiding and correcting."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.core.scope import network_wide
from crm.customers.models import Vehicle
from service import selectors, services
from service.models import LabourLine, OdometerReading, PartLine, RepairOrder
from tests.service.conftest import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def advisor_client(client, workshop):
    client.force_login(workshop["advisor"])
    return client


def plate_of(workshop) -> str:
    with network_wide(reason="test"):
        return Vehicle.objects.get(id=workshop["vehicle"].id).plate


def open_order(workshop, **kwargs) -> RepairOrder:
    with as_user(workshop["advisor"]):
        return services.repair_order_open(
            dealer=workshop["dealer"],
            vehicle=workshop["vehicle"],
            by=workshop["advisor"],
            mileage_in=kwargs.pop("mileage_in", 12_000),
            concern=kwargs.pop("concern", "Oil change"),
            **kwargs,
        )


@pytest.mark.parametrize(
    "typed",
    ["{plate}", "{lower}", "{wide}", " {spaced} "],
    ids=["as stored", "lower case", "full width", "with spaces"],
)
def test_check_in_finds_the_car_however_the_plate_is_typed(advisor_client, workshop, typed):
    plate = plate_of(workshop)  # 沪A00001
    wide = plate[0] + "".join(chr(ord(c) + 0xFEE0) for c in plate[1:])
    text = typed.format(plate=plate, lower=plate.lower(), wide=wide, spaced=f"{plate[:2]} {plate[2:]}")
    response = advisor_client.get(reverse("service:workshop"), {"q": text})
    assert response.status_code == 200
    assert response.context["vehicle"].id == workshop["vehicle"].id
    assert workshop["owner"].name in response.content.decode()
    assert response.context["open_form"] is not None


def test_check_in_by_a_scanned_vin_in_lower_case_and_by_its_end(advisor_client, workshop):
    vin = workshop["vehicle"].vin
    for text in (vin.lower(), f"  {vin[:8]} {vin[8:]}\n", vin[-6:]):
        response = advisor_client.get(reverse("service:workshop"), {"q": text})
        assert response.context["vehicle"].id == workshop["vehicle"].id, text


def test_check_in_says_what_is_wrong_with_what_was_typed(advisor_client):
    response = advisor_client.get(reverse("service:workshop"), {"q": "hello!"})
    assert response.context["query"].kind == "unreadable" and "vehicle" not in response.context
    response = advisor_client.get(reverse("service:workshop"), {"q": "粤B99999"})
    assert response.context["query"].kind == "plate" and response.context["vehicles"] == []


def test_an_advisor_opens_an_order_adds_lines_in_place_and_settles_it(advisor_client, workshop):
    response = advisor_client.post(
        reverse("service:repair_order_new", args=[workshop["vehicle"].id]),
        {
            "customer": workshop["owner"].id,
            "mileage_in": "15230",
            "promised_at": "2026-12-03T17:30",
            "pay_type": "customer",
            "concern": "10,000 km service",
        },
    )
    assert response.status_code == 302
    with network_wide(reason="test"):
        order = RepairOrder.objects.get()
        job = order.jobs.get()
        assert OdometerReading.objects.get(repair_order=order).km == 15_230
    url = reverse("service:line_add", args=[order.id, "labour"])
    htmx = {"HTTP_HX_REQUEST": "true"}
    response = advisor_client.post(
        url,
        {
            f"labour-{job.id}-job": job.id,
            f"labour-{job.id}-operation_code": "mnt-10k",
            f"labour-{job.id}-description": "10,000 km service",
            f"labour-{job.id}-hours": "1.5",
            f"labour-{job.id}-rate": "180",
            f"labour-{job.id}-technician_name": "李师傅",
        },
        **htmx,
    )
    assert response.status_code == 200 and "MNT-10K" in response.content.decode()
    response = advisor_client.post(
        reverse("service:line_add", args=[order.id, "part"]),
        {
            f"part-{job.id}-job": job.id,
            f"part-{job.id}-part_number": "oil-5w30",
            f"part-{job.id}-description": "Engine oil",
            f"part-{job.id}-quantity": "4.5",
            f"part-{job.id}-unit_price": "68.80",
        },
        **htmx,
    )
    assert response.status_code == 200
    assert response.context["order"].total == Decimal("654.95")  # (270 + 309.60) × 1.13, half up
    response = advisor_client.post(reverse("service:settle", args=[order.id]))
    assert response.status_code == 302
    page = advisor_client.get(reverse("service:repair_order", args=[order.id]))
    assert page.context["can_work"] is False and page.context["can_correct"] is True
    assert "labour-" not in page.content.decode()  # no line forms on a settled order
    with network_wide(reason="test"):
        order.refresh_from_db()
    assert order.status == RepairOrder.Status.SETTLED


def test_a_bad_line_shows_its_error_beside_the_field_and_changes_nothing(advisor_client, workshop):
    order = open_order(workshop)
    with network_wide(reason="test"):
        job = order.jobs.get()
    response = advisor_client.post(
        reverse("service:line_add", args=[order.id, "labour"]),
        {f"labour-{job.id}-job": job.id, f"labour-{job.id}-description": "Brakes", f"labour-{job.id}-hours": "-1",
         f"labour-{job.id}-rate": "abc"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    form = response.context["jobs"][0].forms["labour"]
    assert set(form.errors) == {"hours", "rate"}
    assert 'invalid-feedback' in response.content.decode()
    with network_wide(reason="test"):
        assert not LabourLine.objects.exists()


def test_a_discount_larger_than_the_bill_is_refused_beside_the_amount(advisor_client, workshop):
    order = open_order(workshop)
    with network_wide(reason="test"):
        job = order.jobs.get()
    response = advisor_client.post(
        reverse("service:line_add", args=[order.id, "charge"]),
        {f"charge-{job.id}-job": job.id, f"charge-{job.id}-kind": "discount",
         f"charge-{job.id}-description": "Goodwill", f"charge-{job.id}-amount": "50"},
    )
    assert response.status_code == 422
    assert "amount" in response.context["jobs"][0].forms["charge"].errors


def test_a_line_is_removed_and_the_totals_follow(advisor_client, workshop):
    order = open_order(workshop)
    with as_user(workshop["advisor"]):
        job = order.jobs.get()
        line = services.part_line_add(job=job, by=workshop["advisor"], part_number="F1", quantity=1, unit_price=100)
    response = advisor_client.post(reverse("service:line_remove", args=[order.id]), {"kind": "part", "line": line.id})
    assert response.status_code == 302
    with network_wide(reason="test"):
        order.refresh_from_db()
        assert not PartLine.objects.exists() and order.total == 0


def test_the_board_shows_the_days_orders_and_pickup_settles_a_ready_one(advisor_client, workshop):
    order = open_order(workshop)
    with as_user(workshop["advisor"]):
        services.labour_line_add(job=order.jobs.get(), by=workshop["advisor"], hours=1, rate=200)
    for status in ("in_progress", "ready"):
        advisor_client.post(reverse("service:move", args=[order.id]), {"to_status": status})
    page = advisor_client.get(reverse("service:workshop"))
    assert [o.id for o in page.context["board"].ready] == [order.id]
    assert reverse("service:settle", args=[order.id]) in page.content.decode()
    response = advisor_client.post(
        reverse("service:settle", args=[order.id]), {"next": reverse("service:workshop")}
    )
    assert response.status_code == 302 and response.url == reverse("service:workshop")
    page = advisor_client.get(reverse("service:workshop"))
    assert [o.id for o in page.context["board"].settled_today] == [order.id]


def test_void_needs_a_reason_beside_the_field(advisor_client, workshop):
    order = open_order(workshop)
    response = advisor_client.post(reverse("service:void", args=[order.id]), {"reason": ""})
    assert response.status_code == 422 and "reason" in response.context["void_form"].errors
    advisor_client.post(reverse("service:void", args=[order.id]), {"reason": "Customer left"})
    with network_wide(reason="test"):
        order.refresh_from_db()
    assert order.status == RepairOrder.Status.VOIDED


def test_a_correction_opens_a_new_order_referring_to_the_settled_one(advisor_client, workshop):
    order = open_order(workshop)
    with as_user(workshop["advisor"]):
        services.labour_line_add(job=order.jobs.get(), by=workshop["advisor"], hours=1, rate=200)
        services.repair_order_settle(repair_order=order, by=workshop["advisor"])
    response = advisor_client.post(reverse("service:correct", args=[order.id]))
    with network_wide(reason="test"):
        correction = RepairOrder.objects.get(corrects=order)
    assert response.url == reverse("service:repair_order", args=[correction.id])


def test_an_advisor_lands_on_the_workshop_and_a_salesperson_cannot_write(client, workshop):
    client.force_login(workshop["advisor"])
    assert client.get("/").url == reverse("service:workshop")
    order = open_order(workshop)
    with network_wide(reason="test"):
        job = order.jobs.get()
    client.force_login(workshop["seller"])
    assert client.get(reverse("service:workshop")).status_code == 404
    assert client.get(reverse("service:repair_order", args=[order.id])).status_code == 200
    response = client.post(
        reverse("service:line_add", args=[order.id, "labour"]),
        {f"labour-{job.id}-job": job.id, f"labour-{job.id}-description": "x", f"labour-{job.id}-hours": "1",
         f"labour-{job.id}-rate": "1"},
    )
    assert response.status_code == 404
    assert client.post(reverse("service:settle", args=[order.id])).status_code == 404
    with network_wide(reason="test"):
        assert not LabourLine.objects.exists()
        assert RepairOrder.objects.get().status == RepairOrder.Status.OPEN


def test_the_check_in_parser_reads_full_width_and_scanner_input():
    assert selectors.check_in_query_parse("ｌｓｖ").kind == "unreadable"
    assert selectors.check_in_query_parse("沪ａ·１２３４５").value == "沪A12345"


def test_the_workshop_page_query_count_does_not_grow_with_orders(advisor_client, workshop, django_assert_max_num_queries):
    url = reverse("service:workshop") + "?q=" + plate_of(workshop)

    def add_orders(numbers):
        for number in numbers:
            order = open_order(workshop, number=f"Q-{number}", mileage_in=20_000 + number)
            with as_user(workshop["advisor"]):
                services.labour_line_add(job=order.jobs.get(), by=workshop["advisor"], hours=1, rate=100, technician_name="T")
                services.repair_order_settle(repair_order=order, by=workshop["advisor"])

    add_orders([0])  # with no order at all, the history's prefetches do not even run
    advisor_client.get(url)
    with django_assert_max_num_queries(40) as before:
        advisor_client.get(url)
    for number in range(1, 5):
        order = open_order(workshop, number=f"Q-{number}", mileage_in=20_000 + number)
        with as_user(workshop["advisor"]):
            services.labour_line_add(job=order.jobs.get(), by=workshop["advisor"], hours=1, rate=100, technician_name="T")
            if number % 2:
                services.repair_order_settle(repair_order=order, by=workshop["advisor"])
    with django_assert_max_num_queries(len(before.captured_queries)):
        advisor_client.get(url)
