"""Service appointments: capacity and slots in the dealer's time zone, no double booking in the database
(half-open ranges per bay and per advisor), booking through the customer record without duplicates,
rescheduling and cancelling with a reason, check-in into a repair order, no-shows, the day-before reminder and
the show rate."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from crm.core import key_figures as kf
from crm.core.exceptions import PermissionDenied
from crm.core.scope import Scope, scoped
from crm.customers.models import Consent, ContactPoint, Customer, Vehicle
from crm.customers.services import consent_record
from crm.messaging.models import OutboxMessage
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from service.appointments import selectors, services
from service.appointments.exceptions import (
    AdvisorTaken,
    AppointmentNotActive,
    BayTaken,
    InThePast,
    NoCapacity,
    OutsideHours,
    ReasonMissing,
    VehicleOfAnotherOwner,
)
from service.models import Appointment, RepairOrder
from tests.factories import CustomerFactory, DealerFactory, VehicleFactory, make_vin, staff
from tests.service.appointment_helpers import as_user, book, everything, local

pytestmark = pytest.mark.django_db


# --- No double booking: the database's exclusion constraints -----------------------------------------------------


def test_back_to_back_appointments_of_one_bay_and_advisor_do_not_collide(shop):
    bay, advisor = shop["bays"][0], shop["advisor"]
    first = book(shop, local(shop["dealer"], shop["tomorrow"], 9), bay=bay, advisor=advisor)
    second = book(shop, local(shop["dealer"], shop["tomorrow"], 10), bay=bay, advisor=advisor)
    assert (first.ends_at, second.starts_at) == (second.starts_at, first.ends_at)
    with everything():
        assert Appointment.objects.filter(bay=bay, advisor=advisor, status="booked").count() == 2


def test_an_overlapping_booking_of_the_same_bay_is_refused_and_writes_nothing(shop):
    bay = shop["bays"][0]
    book(shop, local(shop["dealer"], shop["tomorrow"], 9), bay=bay, advisor=shop["advisors"][0])
    other_car = VehicleFactory(owner=CustomerFactory(dealer=shop["dealer"]))
    with everything():
        before = (Appointment.objects.count(), Customer.objects.count(), TimelineEvent.objects.count())
    with pytest.raises(BayTaken):
        book(shop, local(shop["dealer"], shop["tomorrow"], 9), bay=bay, advisor=shop["advisors"][1], vehicle=other_car)
    with everything():
        assert (Appointment.objects.count(), Customer.objects.count(), TimelineEvent.objects.count()) == before


def test_an_overlapping_booking_of_the_same_advisor_is_refused(shop):
    advisor = shop["advisor"]
    book(shop, local(shop["dealer"], shop["tomorrow"], 11), bay=shop["bays"][0], advisor=advisor)
    with pytest.raises(AdvisorTaken):
        book(shop, local(shop["dealer"], shop["tomorrow"], 11), bay=shop["bays"][1], advisor=advisor)


@pytest.mark.parametrize(
    ("constraint_column", "first", "second"),
    [
        ("bay", (9, 0, 10, 0), (9, 30, 10, 30)),  # partial overlap
        ("bay", (9, 0, 11, 0), (9, 30, 10, 0)),  # one inside the other
        ("advisor", (9, 0, 10, 0), (9, 59, 11, 0)),
    ],
)
def test_the_database_itself_refuses_overlapping_rows(shop, constraint_column, first, second):
    """Past the services: rows written straight to the table still cannot overlap on a bay or an advisor."""
    dealer, day = shop["dealer"], shop["tomorrow"]
    made = book(shop, local(dealer, day, first[0], first[1]), bay=shop["bays"][0], advisor=shop["advisors"][0])
    with everything(), transaction.atomic():
        Appointment.objects.filter(id=made.id).update(ends_at=local(dealer, day, first[2], first[3]))
    same = {"bay": (shop["bays"][0], shop["advisors"][1]), "advisor": (shop["bays"][1], shop["advisors"][0])}
    bay, advisor = same[constraint_column]
    refused = pytest.raises(IntegrityError, match=f"appointment_{constraint_column}_not_double_booked")
    with everything(), refused, transaction.atomic():
        Appointment.objects.create(
            dealer=dealer, customer=shop["owner"], vehicle=shop["vehicle"], bay=bay, advisor=advisor,
            starts_at=local(dealer, day, second[0], second[1]), ends_at=local(dealer, day, second[2], second[3]),
            channel="advisor",
        )  # fmt: skip


def test_cancelled_and_missed_appointments_block_nothing(shop):
    dealer, bay, advisor = shop["dealer"], shop["bays"][0], shop["advisor"]
    cancelled = book(shop, local(dealer, shop["tomorrow"], 9), bay=bay, advisor=advisor)
    with as_user(advisor):
        services.appointment_cancel(appointment=cancelled, by=advisor, reason="Customer travelling")
    missed = book(shop, local(dealer, shop["tomorrow"], 9), bay=bay, advisor=advisor)
    with everything():
        services.appointments_mark_no_shows(now=missed.starts_at + timedelta(minutes=20))
        assert Appointment.objects.get(id=missed.id).status == "no_show"
    # (The no-show run above looked at tomorrow as if it had come; a third booking at 09:00 is still free.)
    third = book(shop, local(dealer, shop["tomorrow"], 9), bay=bay, advisor=advisor)
    assert third.status == "booked"


# --- Booking: placement, capacity, the customer record ----------------------------------------------------------


def test_a_booking_without_bay_or_advisor_takes_free_ones_and_refuses_when_none_is_left(shop):
    starts = local(shop["dealer"], shop["tomorrow"], 14)
    taken = {(a.bay_id, a.advisor_id) for a in (book(shop, starts), book(shop, starts, vehicle=VehicleFactory(owner=shop["owner"])))}
    assert {bay for bay, _ in taken} == {b.id for b in shop["bays"]}
    assert {advisor for _, advisor in taken} == {a.id for a in shop["advisors"]}
    with pytest.raises(NoCapacity):
        book(shop, starts, vehicle=VehicleFactory(owner=shop["owner"]))


def test_a_booking_outside_the_hours_or_in_the_past_is_refused(shop):
    dealer = shop["dealer"]
    with pytest.raises(OutsideHours):
        book(shop, local(dealer, shop["tomorrow"], 17, 30))  # would end at 18:30, after closing
    with pytest.raises(OutsideHours):
        book(shop, local(dealer, shop["tomorrow"], 7))
    with pytest.raises(InThePast):
        book(shop, local(dealer, shop["today"], 0))


def test_booking_by_phone_and_vin_finds_the_customer_and_car_on_record_and_never_duplicates(shop):
    dealer, owner, vehicle = shop["dealer"], shop["owner"], shop["vehicle"]
    with everything():
        phone = ContactPoint.objects.get(customer=owner, kind="phone").value
        customers, vehicles = Customer.objects.count(), Vehicle.objects.count()
    party = services.Party(name="周女士", phone=phone[3:], vin=vehicle.vin.lower())
    appointment = book(shop, local(dealer, shop["tomorrow"], 9), by=shop["agent"], party=party)
    assert (appointment.customer_id, appointment.vehicle_id, appointment.channel) == (owner.id, vehicle.id, "call_centre")
    with everything():
        assert (Customer.objects.count(), Vehicle.objects.count()) == (customers, vehicles)


def test_a_new_customer_and_car_are_recorded_once_and_booked_in_their_language(shop):
    dealer = shop["dealer"]
    vin = make_vin(serial=880_001)
    party = services.Party(name="Anna Li", phone="13900001111", vin=vin, make="Aurora", model="A8", plate="沪B 12345")
    first = book(shop, local(dealer, shop["tomorrow"], 9), party=party, language="en")
    second = book(shop, local(dealer, shop["tomorrow"], 15), party=party, language="en")
    with everything():
        customer = Customer.objects.get(id=first.customer_id)
        assert customer.preferred_language == "en" and second.customer_id == customer.id
        assert Vehicle.objects.filter(vin=vin).count() == 1 and second.vehicle_id == first.vehicle_id
        assert Vehicle.objects.get(vin=vin).plate == "沪B12345"


def test_a_vin_on_record_for_another_dealers_customer_is_refused_with_a_reason(shop):
    far = DealerFactory()
    stranger_car = VehicleFactory(owner=CustomerFactory(dealer=far))
    party = services.Party(name="Someone", phone="13900002222", vin=stranger_car.vin, make="Aurora", model="A6")
    with pytest.raises(VehicleOfAnotherOwner):
        book(shop, local(shop["dealer"], shop["tomorrow"], 9), party=party)


def test_the_call_centre_cannot_book_a_car_the_dealer_would_not_see_under_another_name(shop):
    """The call centre sees the network's cars; a VIN whose owner the dealer does not know is refused, not
    booked onto a board whose staff could not see the car."""
    stranger_car = VehicleFactory(owner=CustomerFactory(dealer=DealerFactory()))
    party = services.Party(name="Caller", phone="13900007777", vin=stranger_car.vin)
    with pytest.raises(VehicleOfAnotherOwner):
        book(shop, local(shop["dealer"], shop["tomorrow"], 9), by=shop["agent"], party=party)
    family_car = VehicleFactory(owner=CustomerFactory(dealer=shop["dealer"]))
    booked = book(shop, local(shop["dealer"], shop["tomorrow"], 9), by=shop["agent"],
                  party=services.Party(name="Spouse", phone="13900008888", vin=family_car.vin))  # fmt: skip
    assert booked.vehicle_id == family_car.id and booked.customer_id != family_car.owner_id


def test_sales_staff_and_other_dealers_advisors_cannot_book(shop):
    seller = staff(Role.SALESPERSON, dealer=shop["dealer"])
    other_advisor = staff(Role.SERVICE_ADVISOR, dealer=DealerFactory())
    for user in (seller, other_advisor, staff(Role.REGIONAL_MANAGER, region=shop["dealer"].region)):
        with pytest.raises(PermissionDenied):
            book(shop, local(shop["dealer"], shop["tomorrow"], 9), by=user)
    with everything():
        assert not Appointment.objects.exists()


# --- Slots: capacity minus bookings, in the dealer's zone ---------------------------------------------------------


def test_slots_are_laid_out_in_the_dealers_own_time_zone():
    shanghai = DealerFactory(time_zone="Asia/Shanghai", business_hours={"mon": [["09:00", "12:00"]]})
    london = DealerFactory(time_zone="Europe/London", business_hours={"mon": [["09:00", "12:00"]]})
    staff(Role.SERVICE_ADVISOR, dealer=shanghai)
    staff(Role.SERVICE_ADVISOR, dealer=london)
    monday_in_winter, monday_in_summer = date(2027, 1, 11), date(2027, 7, 12)
    with everything():
        starts = {
            (dealer.time_zone, day): [slot.starts_at for slot in selectors.slots_for(selectors.capacity_for(dealer, day))]
            for dealer in (shanghai, london)
            for day in (monday_in_winter, monday_in_summer)
        }
        closed_tuesday = selectors.slots_for(selectors.capacity_for(shanghai, date(2027, 1, 12)))
    utc_hours = {key: [s.astimezone(ZoneInfo("UTC")).hour for s in value] for key, value in starts.items()}
    assert utc_hours == {
        ("Asia/Shanghai", monday_in_winter): [1, 2, 3],
        ("Asia/Shanghai", monday_in_summer): [1, 2, 3],
        ("Europe/London", monday_in_winter): [9, 10, 11],
        ("Europe/London", monday_in_summer): [8, 9, 10],  # British summer time
    }
    assert closed_tuesday == []


def test_free_slots_are_capacity_minus_bookings_advisors_hours_and_days_off(shop):
    dealer, first, second = shop["dealer"], *shop["advisors"]
    day = shop["tomorrow"]
    with as_user(first):
        services.advisor_hours_add(dealer=dealer, by=first, advisor=second, weekday=day.weekday(), starts=time(9), ends=time(11))
        services.advisor_exception_save(dealer=dealer, by=first, advisor=first, day=day, starts=time(10), ends=time(12))
    book(shop, local(dealer, day, 10), bay=shop["bays"][0], advisor=first)
    with everything():
        slots = {s.starts_at.hour: s for s in selectors.slots_for(selectors.capacity_for(dealer, day))}
    free = {hour: ([b.name for b in s.bays], [a.username for a in s.advisors]) for hour, s in slots.items()}
    assert free[9] == (["Bay 1", "Bay 2"], ["advisor.two"])  # advisor.one starts at 10 that day
    assert free[10] == (["Bay 2"], ["advisor.two"])  # bay 1 and advisor.one booked
    assert free[11] == (["Bay 1", "Bay 2"], ["advisor.one"])  # advisor.two stops at 11
    assert free[12] == (["Bay 1", "Bay 2"], [])  # nobody works: not available
    assert [h for h, s in slots.items() if s.is_available] == [9, 10, 11]
    with as_user(first):
        services.advisor_exception_save(dealer=dealer, by=first, advisor=second, day=day, note="sick")
    with everything():
        assert [s.starts_at.hour for s in selectors.available_slots(dealer=dealer, day=day)] == [11]
    with pytest.raises(OutsideHours):
        book(shop, local(dealer, day, 13), advisor=second)


# --- Reschedule, cancel ------------------------------------------------------------------------------------------


def test_rescheduling_moves_the_booking_with_a_reason_and_frees_the_old_time(shop):
    dealer, advisor = shop["dealer"], shop["advisor"]
    appointment = book(shop, local(dealer, shop["tomorrow"], 9), bay=shop["bays"][0], advisor=advisor)
    with as_user(advisor), pytest.raises(ReasonMissing):
        services.appointment_reschedule(appointment=appointment, by=advisor, starts_at=local(dealer, shop["tomorrow"], 10), reason=" ")
    with as_user(advisor):
        # Moving by half an hour onto its own old time is no collision with itself.
        moved = services.appointment_reschedule(
            appointment=appointment, by=advisor, starts_at=local(dealer, shop["tomorrow"], 9, 30), reason="Customer late",
            bay=shop["bays"][0], advisor=advisor,
        )  # fmt: skip
    assert (moved.starts_at, moved.reschedule_count) == (local(dealer, shop["tomorrow"], 9, 30), 1)
    other = book(shop, local(dealer, shop["tomorrow"], 8 + 3), bay=shop["bays"][0], advisor=advisor)
    with as_user(advisor), pytest.raises(BayTaken):
        services.appointment_reschedule(appointment=moved, by=advisor, starts_at=other.starts_at, reason="x", bay=shop["bays"][0])
    with everything():
        assert TimelineEvent.objects.filter(kind="service.appointment_rescheduled").count() == 1


def test_a_cancelled_appointment_cannot_be_changed_again(shop):
    advisor = shop["advisor"]
    appointment = book(shop, local(shop["dealer"], shop["tomorrow"], 9))
    with as_user(advisor):
        services.appointment_cancel(appointment=appointment, by=advisor, reason="Sold the car")
        with pytest.raises(AppointmentNotActive):
            services.appointment_cancel(appointment=appointment, by=advisor, reason="again")
        with pytest.raises(AppointmentNotActive):
            services.appointment_check_in(appointment=appointment, by=advisor)


# --- Check-in, no-shows -------------------------------------------------------------------------------------------


def test_check_in_opens_the_repair_order_through_the_workshop_and_refers_to_it(shop):
    dealer, advisor = shop["dealer"], shop["advisors"][1]
    appointment = book(shop, local(dealer, shop["today"], 10), advisor=advisor, concern="Brakes squeal")
    with as_user(shop["advisor"]):
        checked_in = services.appointment_check_in(appointment=appointment, by=shop["advisor"], mileage_in=12_345)
    with everything():
        order = RepairOrder.objects.get(appointment=checked_in)
        assert (checked_in.status, order.vehicle_id, order.customer_id, order.advisor_id) == (
            "checked_in", shop["vehicle"].id, shop["owner"].id, advisor.id,
        )  # fmt: skip
        assert (order.mileage_in, order.jobs.get().concern) == (12_345, "Brakes squeal")
        # Checked in, it still holds its bay: nothing else goes there at 10:00.
    with pytest.raises(BayTaken):
        book(shop, local(dealer, shop["today"], 10), bay=appointment.bay, advisor=shop["advisor"])


def test_no_check_in_by_start_plus_grace_marks_a_no_show_once(shop):
    dealer = shop["dealer"]
    appointment = book(shop, local(dealer, shop["tomorrow"], 9))
    with everything():
        assert services.appointments_mark_no_shows(now=appointment.starts_at + timedelta(minutes=15)) == 0
        assert services.appointments_mark_no_shows(now=appointment.starts_at + timedelta(minutes=16)) == 1
        assert services.appointments_mark_no_shows(now=appointment.starts_at + timedelta(minutes=30)) == 0
        assert Appointment.objects.get(id=appointment.id).status == "no_show"
        assert TimelineEvent.objects.filter(kind="service.appointment_no_show", customer=shop["owner"]).count() == 1


def test_the_grace_is_the_dealers_setting(shop):
    dealer, advisor = shop["dealer"], shop["advisor"]
    with as_user(advisor):
        services.appointment_settings_save(dealer=dealer, by=advisor, slot_minutes=60, no_show_grace_minutes=45)
    appointment = book(shop, local(dealer, shop["tomorrow"], 9))
    with everything():
        assert services.appointments_mark_no_shows(now=appointment.starts_at + timedelta(minutes=30)) == 0
        assert services.appointments_mark_no_shows(now=appointment.starts_at + timedelta(minutes=46)) == 1


# --- The day-before reminder ------------------------------------------------------------------------------------


def test_the_reminder_goes_once_the_day_before_in_the_customers_language(shop):
    dealer = shop["dealer"]
    day = shop["tomorrow"] + timedelta(days=1)
    appointment = book(shop, local(dealer, day, 9, 0), language="en")
    eve = shop["tomorrow"]
    with everything():
        assert services.appointment_reminders_queue(now=local(dealer, eve, 9, 59)) == 0  # before the reminder hour
        assert services.appointment_reminders_queue(now=local(dealer, eve, 10, 5)) == 1
        assert services.appointment_reminders_queue(now=local(dealer, eve, 10, 20)) == 0
        message = OutboxMessage.objects.get(customer=shop["owner"])
    assert (message.kind, message.channel, message.purpose, message.language) == (
        "appointment_reminder", "sms", "service", "en",
    )  # fmt: skip
    assert message.idempotency_key == services.reminder_key(appointment)
    assert "tomorrow" in message.body_text and "09:00" in message.body_text


def test_a_rescheduled_appointment_is_reminded_of_its_new_time_and_a_chinese_one_in_chinese(shop):
    dealer, advisor = shop["dealer"], shop["advisor"]
    day = shop["tomorrow"] + timedelta(days=1)
    appointment = book(shop, local(dealer, day, 9), language="zh-hans")
    with everything():
        services.appointment_reminders_queue(now=local(dealer, shop["tomorrow"], 11))
    with as_user(advisor):
        services.appointment_reschedule(appointment=appointment, by=advisor, starts_at=local(dealer, day, 14), reason="改时间")
    with everything():
        assert services.appointment_reminders_queue(now=local(dealer, shop["tomorrow"], 12)) == 1
        bodies = list(OutboxMessage.objects.filter(customer=shop["owner"]).order_by("id").values_list("body_text", flat=True))
    assert len(bodies) == 2 and "明天" in bodies[1] and "14:00" in bodies[1]


def test_a_customer_who_opted_out_of_service_sms_is_not_sent_the_reminder(shop):
    """The outbox applies the service-message consent rule when it claims the row."""
    from crm.messaging.services.outbox import outbox_claim

    dealer, owner = shop["dealer"], shop["owner"]
    with everything():
        consent_record(customer=owner, channel="sms", purpose=Consent.Purpose.SERVICE, status=Consent.Status.OPT_OUT, source="customer")
    appointment = book(shop, local(dealer, shop["tomorrow"] + timedelta(days=1), 9))
    with everything():
        services.appointment_reminders_queue(now=local(dealer, shop["tomorrow"], 11))
        message = OutboxMessage.objects.get(idempotency_key=services.reminder_key(appointment))
        # Due before this test's transaction began (the claim compares with the database's now()).
        OutboxMessage.objects.filter(id=message.id).update(scheduled_at=message.scheduled_at - timedelta(hours=1))
    assert outbox_claim(channel="sms", limit=10) == []
    with everything():
        assert OutboxMessage.objects.get(id=message.id).status == OutboxMessage.Status.SUPPRESSED


# --- The show rate ------------------------------------------------------------------------------------------------


def test_the_show_rate_counts_checked_in_over_known_outcomes_on_the_dealers_local_day(shop):
    dealer, advisor = shop["dealer"], shop["advisor"]
    came = book(shop, local(dealer, shop["today"], 9), bay=shop["bays"][0], advisor=advisor)
    book(shop, local(dealer, shop["today"], 9), bay=shop["bays"][1], advisor=shop["advisors"][1],
         vehicle=VehicleFactory(owner=shop["owner"]))  # fmt: skip
    cancelled = book(shop, local(dealer, shop["today"], 11))
    book(shop, local(dealer, shop["today"], 15))  # still to come: not counted
    with as_user(advisor):
        services.appointment_check_in(appointment=came, by=advisor)
        services.appointment_cancel(appointment=cancelled, by=advisor, reason="x")
    with everything():
        services.appointments_mark_no_shows(now=local(dealer, shop["today"], 9, 30))
        totals = kf.totals_from_raw(
            codes=["service.appointments_shown", "service.appointments_due"],
            dealer_ids=[dealer.id], first_day=shop["today"], last_day=shop["today"],
        )  # fmt: skip
    figure = kf.figure_get("service.appointment_show_rate")
    assert figure.combine(totals).value == 50.0
    assert (totals["service.appointments_shown"], totals["service.appointments_due"]) == (1, 2)


def test_the_missed_appointment_care_occasion_lists_yesterdays_no_shows(shop):
    from crm.messaging.registry import care_trigger_get

    dealer = shop["dealer"]
    appointment = book(shop, local(dealer, shop["tomorrow"], 9))
    with everything():
        services.appointments_mark_no_shows(now=appointment.starts_at + timedelta(hours=1))
        trigger = care_trigger_get("service_appointment_missed")
        assert list(trigger.due(shop["tomorrow"] + timedelta(days=1), dealer.id)) == [shop["owner"]]
        assert list(trigger.due(shop["tomorrow"], dealer.id)) == []


def test_a_public_booking_needs_a_source_and_the_dealers_scope(shop):
    dealer = shop["dealer"]
    with everything():
        source, _key = services.appointment_source_create(code="web", name="Web", dealer=dealer)
    party = services.Party(name="Web", phone="13900003333", vin=make_vin(serial=880_002))
    starts_at = local(dealer, shop["tomorrow"], 9)
    for scope, given in ((Scope.dealers([dealer.id]), None), (Scope.dealers([dealer.id + 1]), source)):
        with scoped(scope), pytest.raises(PermissionDenied):
            services.appointment_book(dealer=dealer, by=None, source=given, party=party, starts_at=starts_at)
    with scoped(Scope.dealers([dealer.id])):
        booked = services.appointment_book(dealer=dealer, by=None, source=source, party=party, starts_at=starts_at)
    assert (booked.channel, booked.source_id, booked.booked_by_id) == ("online", source.id, None)


def test_the_booking_window_is_bounded(shop):
    from service.appointments.exceptions import TooFarAhead

    far = shop["today"] + timedelta(days=selectors.BOOKING_HORIZON_DAYS + 2)
    with pytest.raises(TooFarAhead):
        book(shop, local(shop["dealer"], far, 9))

