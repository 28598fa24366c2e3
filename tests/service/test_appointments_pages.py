"""The appointment pages: the advisor books at their dealer, the call centre at the dealer it picks, the OEM
reads boards and changes nothing, sales staff see none of it; check-in, moving and cancelling from the
appointment's page; the day's board per bay and per advisor in a fixed number of queries; today's
appointments on the workshop screen; the capacity page."""

from datetime import time

import pytest
from django.test import Client
from django.urls import reverse

from crm.network.models import Role
from service.models import (
    AdvisorException,
    AdvisorHours,
    Appointment,
    AppointmentSettings,
    RepairOrder,
    ServiceBay,
)
from tests.factories import CustomerFactory, DealerFactory, VehicleFactory, make_vin, staff
from tests.service.appointment_helpers import book, everything, local

pytestmark = pytest.mark.django_db

BOARD, BOOK, CAPACITY = (reverse(f"service_appointments:{name}") for name in ("board", "book", "capacity"))


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def state() -> tuple:
    with everything():
        return (
            tuple(Appointment.objects.order_by("id").values_list("id", "status", "starts_at", "bay_id", "version")),
            RepairOrder.objects.count(),
            ServiceBay.objects.count(),
            AdvisorHours.objects.count(),
        )


def test_the_advisor_books_a_free_slot_for_a_new_customer(shop):
    client = client_for(shop["advisor"])
    day = shop["tomorrow"]
    page = client.get(BOOK, {"day": day.isoformat()})
    assert page.status_code == 200
    slot = local(shop["dealer"], day, 11).isoformat()
    assert slot in page.content.decode()
    response = client.post(
        f"{BOOK}?day={day.isoformat()}",
        {"slot": slot, "slots": 1, "name": "Chen Jie", "phone": "13900005555", "vin": make_vin(serial=660_001),
         "make": "Aurora", "model": "A6", "plate": "沪D 11111", "concern": "Noise", "language": "en"},
    )  # fmt: skip
    assert response.status_code == 302
    with everything():
        appointment = Appointment.objects.get()
    assert response["Location"] == reverse("service_appointments:detail", args=[appointment.id])
    assert (appointment.dealer_id, appointment.channel, appointment.language) == (shop["dealer"].id, "advisor", "en")
    assert client.get(response["Location"]).status_code == 200


def test_a_taken_bay_is_shown_beside_the_form_and_nothing_is_written(shop):
    client = client_for(shop["advisor"])
    day, bay = shop["tomorrow"], shop["bays"][0]
    book(shop, local(shop["dealer"], day, 11), bay=bay, advisor=shop["advisors"][1])
    before = state()
    response = client.post(
        f"{BOOK}?day={day.isoformat()}&vehicle={shop['vehicle'].id}",
        {"slot": local(shop["dealer"], day, 11).isoformat(), "slots": 1, "bay": bay.id, "language": "zh-hans",
         "vehicle": shop["vehicle"].id},
    )  # fmt: skip
    assert response.status_code == 422
    assert "The bay is already booked at that time" in response.content.decode()
    assert state() == before


def test_the_call_centre_picks_the_dealer_and_books_there(shop):
    agent = shop["agent"]
    DealerFactory(name="Another dealer")  # the network has several: the agent is asked which
    client = client_for(agent)
    assert "choose-dealer" in client.get(BOOK).content.decode()
    day = shop["tomorrow"]
    response = client.post(
        f"{BOOK}?dealer={shop['dealer'].id}&day={day.isoformat()}",
        {"dealer": shop["dealer"].id, "slot": local(shop["dealer"], day, 9).isoformat(), "slots": 1, "name": "Wu",
         "phone": "13900006666", "plate": shop["vehicle"].plate, "vin": shop["vehicle"].vin, "language": "zh-hans"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    with everything():
        appointment = Appointment.objects.get()
    assert (appointment.channel, appointment.booked_by_id, appointment.vehicle_id) == ("call_centre", agent.id, shop["vehicle"].id)
    assert client.get(BOARD, {"dealer": shop["dealer"].id}).status_code == 200


@pytest.mark.parametrize("role", [Role.REGIONAL_MANAGER, Role.OEM_ADMIN])
def test_the_oem_reads_the_board_and_changes_nothing(shop, role):
    appointment = book(shop, local(shop["dealer"], shop["today"], 10))
    user = staff(role, region=shop["dealer"].region) if role == Role.REGIONAL_MANAGER else staff(role)
    client = client_for(user)
    board = client.get(BOARD, {"dealer": shop["dealer"].id, "day": shop["today"].isoformat()})
    assert board.status_code == 200 and shop["vehicle"].plate in board.content.decode()
    detail = client.get(reverse("service_appointments:detail", args=[appointment.id]))
    assert detail.status_code == 200 and 'id="cancel"' not in detail.content.decode()
    before = state()
    for name in ("cancel", "reschedule", "check_in"):
        url = reverse(f"service_appointments:{name}", args=[appointment.id])
        assert client.post(url, {"reason": "x", "slot": appointment.starts_at.isoformat()}).status_code == 404
    assert client.post(f"{BOOK}?dealer={shop['dealer'].id}", {"slot": "x"}).status_code == 404
    assert client.post(CAPACITY, {"dealer": shop["dealer"].id, "action": "bay", "name": "Hijack"}).status_code == 404
    assert state() == before


def test_sales_staff_see_no_appointment_page(shop):
    appointment = book(shop, local(shop["dealer"], shop["tomorrow"], 10))
    client = client_for(staff(Role.SALESPERSON, dealer=shop["dealer"]))
    before = state()
    for url in (BOARD, BOOK, CAPACITY, reverse("service_appointments:detail", args=[appointment.id])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("service_appointments:cancel", args=[appointment.id]), {"reason": "x"}).status_code == 404
    assert state() == before


def test_check_in_from_the_appointment_opens_the_repair_order(shop):
    appointment = book(shop, local(shop["dealer"], shop["today"], 10), concern="Oil change")
    client = client_for(shop["advisor"])
    response = client.post(reverse("service_appointments:check_in", args=[appointment.id]), {"mileage_in": "23456"})
    with everything():
        appointment.refresh_from_db()
        order = appointment.repair_order
    assert response.status_code == 302 and response["Location"] == reverse("service:repair_order", args=[order.id])
    assert (appointment.status, order.mileage_in) == ("checked_in", 23456)


def test_cancelling_needs_a_reason_and_moving_takes_a_free_slot(shop):
    appointment = book(shop, local(shop["dealer"], shop["tomorrow"], 10))
    client = client_for(shop["advisor"])
    cancel = reverse("service_appointments:cancel", args=[appointment.id])
    refused = client.post(cancel, {"reason": ""})
    assert refused.status_code == 422 and 'id="cancel"' in refused.content.decode()
    move = reverse("service_appointments:reschedule", args=[appointment.id])
    new_start = local(shop["dealer"], shop["tomorrow"], 14)
    moved = client.post(move, {"day": shop["tomorrow"].isoformat(), "slot": new_start.isoformat(), "reason": "Customer asked"})
    assert moved.status_code == 302
    with everything():
        appointment.refresh_from_db()
    assert appointment.starts_at == new_start and appointment.reschedule_count == 1
    assert client.post(cancel, {"reason": "Car sold"}).status_code == 302
    with everything():
        assert Appointment.objects.get(id=appointment.id).cancel_reason == "Car sold"


def test_the_board_places_appointments_per_bay_and_per_advisor_in_a_fixed_number_of_queries(
    shop, django_assert_max_num_queries
):
    client = client_for(shop["advisor"])
    day = shop["tomorrow"]
    book(shop, local(shop["dealer"], day, 9), bay=shop["bays"][0], advisor=shop["advisors"][0])

    def board(by):
        return client.get(BOARD, {"day": day.isoformat(), "by": by})

    board("bay")  # warm the session and the access cache
    with django_assert_max_num_queries(30) as few:
        board("bay")
    for hour in range(10, 17):
        owner = CustomerFactory(dealer=shop["dealer"])
        book(shop, local(shop["dealer"], day, hour), vehicle=VehicleFactory(owner=owner))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = board("bay")
    assert page.content.decode().count("appointment-chip ") == 8
    by_advisor = board("advisor").content.decode()
    assert by_advisor.count("appointment-chip ") == 8


def test_the_board_answers_in_chinese(shop):
    user = shop["advisor"]
    with everything():
        from crm.network.models import StaffProfile

        StaffProfile.objects.update_or_create(user=user, defaults={"language": "zh-hans"})
    book(shop, local(shop["dealer"], shop["tomorrow"], 9))
    page = client_for(user).get(BOARD, {"day": shop["tomorrow"].isoformat()}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert "按工位" in page.content.decode() and "预约" in page.content.decode()


def test_the_workshop_screen_lists_todays_appointments_and_finds_the_booked_car(shop):
    appointment = book(shop, local(shop["dealer"], shop["today"], 12))
    client = client_for(shop["advisor"])
    page = client.get(reverse("service:workshop")).content.decode()
    assert 'id="appointments-today"' in page and reverse("service_appointments:detail", args=[appointment.id]) in page
    found = client.get(reverse("service:workshop"), {"q": shop["vehicle"].plate}).content.decode()
    assert 'id="booked-today"' in found


def test_the_capacity_page_sets_bays_hours_days_off_and_slots(shop):
    client = client_for(shop["advisor"])
    second = shop["advisors"][1]
    assert client.get(CAPACITY).status_code == 200
    posts = [
        {"action": "bay", "name": "Bay 3"},
        {"action": "hours", "advisor": second.id, "weekday": 0, "starts": "09:00", "ends": "12:00"},
        {"action": "exception", "advisor": second.id, "day": shop["tomorrow"].isoformat(), "note": "Training"},
        {"action": "settings", "slot_minutes": 30, "no_show_grace_minutes": 20},
    ]
    for data in posts:
        assert client.post(CAPACITY, data).status_code == 302, data
    overlapping = client.post(CAPACITY, {"action": "hours", "advisor": second.id, "weekday": 0, "starts": "11:00", "ends": "13:00"})
    assert overlapping.status_code == 422 and "overlaps another span" in overlapping.content.decode()
    with everything():
        assert ServiceBay.objects.filter(dealer=shop["dealer"]).count() == 3
        assert AdvisorHours.objects.get(advisor=second).ends == time(12)
        assert AdvisorException.objects.get(advisor=second).is_day_off
        bay = ServiceBay.objects.get(name="Bay 3")
    assert client.post(CAPACITY, {"action": "remove", "what": "bay", "row": bay.id}).status_code == 302
    with everything():
        assert not ServiceBay.objects.get(id=bay.id).is_active
        assert AppointmentSettings.objects.get(dealer=shop["dealer"]).slot_minutes == 30
