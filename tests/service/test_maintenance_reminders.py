"""Maintenance reminders go through messaging's care programmes as service messages, once per vehicle and due
cycle, N days (the dealer's setting) before the projected date, never to an owner who opted out of service
messages; the service segment filters select by due date, last service and mileage; "maintenance on time"
counts services done before they fell due."""

from datetime import date, datetime, timedelta

import pytest

from crm.core.key_figures import figure_get, totals_from_raw
from crm.core.scope import network_wide
from crm.messaging.models import CareProgram, OutboxMessage
from crm.messaging.selectors.segments import segment_customers
from crm.messaging.services.care import care_programs_run
from crm.messaging.services.outbox import outbox_claim
from service.maintenance.services import maintenance_recompute, vehicle_insurance_set
from service.models import MaintenanceSetting
from tests.factories import VehicleFactory, consent_give, customer_with, template_make
from tests.service.conftest import as_user
from tests.service.maintenance_world import SHANGHAI, a6_schedule, read, serviced, state

pytestmark = pytest.mark.django_db


def _care(dealer, trigger="maintenance_due") -> CareProgram:
    with network_wide(reason="test arrange"):
        template = template_make(dealer=dealer, purpose="marketing", body_zh="{{ customer.name }}，您的爱车将于{{ occasion.date }}到期保养")
        return CareProgram.objects.create(dealer=dealer, trigger=trigger, template=template, send_hour=10)


def _run(day: date) -> int:
    return care_programs_run(now=datetime(day.year, day.month, day.day, 10, 30, tzinfo=SHANGHAI))


def _messages():
    with network_wide(reason="test assert"):
        return list(OutboxMessage.objects.filter(kind="care.maintenance_due").order_by("id"))


def _owner_with_car(workshop, *, delivered: date, **customer_fields):
    customer = customer_with(workshop["dealer"], **customer_fields)
    car = VehicleFactory(owner=customer, selling_dealer=workshop["dealer"], purchase_date=delivered)
    return customer, car


def test_a_reminder_goes_once_per_vehicle_and_cycle_within_the_dealers_lead_time(workshop):
    a6_schedule()
    with network_wide(reason="test arrange"):
        MaintenanceSetting.objects.create(dealer=workshop["dealer"], reminder_days=10)
    customer, car = _owner_with_car(workshop, delivered=date(2026, 1, 1))
    read(workshop, car, 300, date(2026, 1, 5))  # time decides: due 1 July 2026
    _care(workshop["dealer"])

    assert _run(date(2026, 6, 20)) == 0  # 11 days before: not yet
    assert _run(date(2026, 6, 21)) == 1
    [message] = _messages()
    assert message.customer_id == customer.id and message.purpose == "service"  # whatever the template says
    assert "2026-07-01" in message.body_text
    assert message.idempotency_key.endswith(f":maintenance_due:{car.id}:delivery")

    read(workshop, car, 900, date(2026, 6, 22))  # the projection moves; the cycle does not
    assert state(car).due_on == date(2026, 7, 1)
    _run(date(2026, 6, 22))
    _run(date(2026, 6, 25))
    assert len(_messages()) == 1

    order = serviced(workshop, car, day=date(2026, 6, 28), km=1000, code="MNT-5K")
    assert state(car).due_on == date(2027, 6, 28)
    _run(date(2027, 6, 18))
    messages = _messages()
    assert len(messages) == 2 and messages[1].idempotency_key.endswith(f":{car.id}:ro{order.id}")


def test_an_owner_who_opted_out_of_service_messages_is_not_reminded(workshop):
    a6_schedule()
    willing, _car = _owner_with_car(workshop, delivered=date(2026, 1, 1))
    unwilling, _other = _owner_with_car(workshop, delivered=date(2026, 1, 1))
    consent_give(unwilling, channel="sms", purpose="service", status="opt_out")
    with network_wide(reason="test arrange"):
        maintenance_recompute(vehicle_ids=[_car.id, _other.id])
    _care(workshop["dealer"])
    _run(date(2026, 6, 20))

    with network_wide(reason="test arrange"):  # due before the test transaction's now(), which the claim reads
        OutboxMessage.objects.update(scheduled_at=datetime(2026, 6, 20, 10, 30, tzinfo=SHANGHAI))
    sent = {m.customer_id for m in outbox_claim(channel="sms", limit=10)}
    assert sent == {willing.id}
    with network_wide(reason="test assert"):
        refused = OutboxMessage.objects.get(customer=unwilling, kind="care.maintenance_due")
    assert (refused.status, refused.reason) == (OutboxMessage.Status.SUPPRESSED, OutboxMessage.Reason.OPTED_OUT)


def test_insurance_renewal_is_reminded_from_the_vehicles_own_date(workshop):
    customer, car = _owner_with_car(workshop, delivered=date(2025, 1, 1))
    with as_user(workshop["advisor"]):
        vehicle_insurance_set(by=workshop["advisor"], vehicle=car, expires_on=date(2026, 8, 31), expected_version=car.version)
    assert state(car).insurance_expires_on == date(2026, 8, 31)
    _care(workshop["dealer"], trigger="insurance_renewal")
    _run(date(2026, 8, 1))  # default lead time: 30 days
    with network_wide(reason="test assert"):
        [message] = OutboxMessage.objects.filter(kind="care.insurance_renewal")
    assert message.customer_id == customer.id and message.idempotency_key.endswith(f"{car.id}:2026-08-31")


def test_segment_filters_select_by_due_date_last_service_and_mileage(workshop):
    a6_schedule()
    today = date.today()
    due_soon, soon_car = _owner_with_car(workshop, delivered=today - timedelta(days=170))  # due in ~10 days
    later, later_car = _owner_with_car(workshop, delivered=today - timedelta(days=20))
    read(workshop, soon_car, 20000, today - timedelta(days=100))
    read(workshop, later_car, 800, today - timedelta(days=10))
    serviced(workshop, later_car, day=today - timedelta(days=5), km=900, code="MNT-5K")
    dealer_id = workshop["dealer"].id

    def selected(filters):
        with network_wide(reason="test assert"):
            return set(segment_customers(filters=filters, dealer_id=dealer_id).values_list("id", flat=True))

    assert selected({"service_maintenance_due_within": 30}) == {due_soon.id}
    assert selected({"service_last_before": (today - timedelta(days=30)).isoformat()}) == {due_soon.id}
    assert selected({"service_mileage_band": ["10000-30000"]}) == {due_soon.id}
    assert selected({"service_mileage_band": ["0-10000"]}) == {later.id}
    assert selected({"service_maintenance_due_within": "nonsense"}) == set()


def test_maintenance_on_time_counts_services_done_before_they_fell_due(workshop):
    a6_schedule()
    on_time, on_time_car = _owner_with_car(workshop, delivered=date(2026, 1, 1))
    late, late_car = _owner_with_car(workshop, delivered=date(2025, 6, 1))
    serviced(workshop, on_time_car, day=date(2026, 5, 20), km=4900, code="MNT-5K")  # before 5,000 km and July
    serviced(workshop, late_car, day=date(2026, 5, 21), km=5200, code="MNT-5K")  # months late (due 1 Dec)
    serviced(workshop, late_car, day=date(2026, 5, 22), km=5300, code="BRK-PAD")  # not maintenance

    with network_wide(reason="test: the figure as dealers computes it"):
        totals = totals_from_raw(
            codes=["service.maintenance_on_time", "service.maintenance_services"],
            dealer_ids=[workshop["dealer"].id],
            first_day=date(2026, 5, 1),
            last_day=date(2026, 5, 31),
        )
    assert totals == {"service.maintenance_on_time": 1, "service.maintenance_services": 2}
    assert figure_get("service.maintenance_on_time").combine(totals).value == 50
