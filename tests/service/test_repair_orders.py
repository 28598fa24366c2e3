"""Repair orders: totals derived from the lines in exact decimals, the workshop's moves, a settled order that
never changes (a correction is a new order), voiding with a reason, numbers unique per dealer, and the
odometer series that a lower reading never lowers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.core.exceptions import NotFound, PermissionDenied
from crm.core.scope import network_wide
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from service import services
from service.exceptions import (
    DiscountTooLarge,
    ImplausibleMileage,
    RepairOrderClosed,
    RepairOrderEmpty,
    RepairOrderMoveNotAllowed,
    RepairOrderNumberTaken,
    VoidReasonMissing,
)
from service.models import ChargeLine, OdometerReading, PayType, RepairOrder
from tests.factories import DealerFactory, staff
from tests.service.conftest import as_user

pytestmark = pytest.mark.django_db


def opened(workshop, **kwargs):
    with as_user(workshop["advisor"]):
        return services.repair_order_open(
            dealer=workshop["dealer"], vehicle=workshop["vehicle"], by=workshop["advisor"], **kwargs
        )


def billed(workshop):
    """An order with a customer-pay job (labour, parts, disposal, a discount) and a warranty job."""
    repair_order = opened(workshop, mileage_in=15_230, concern="First service, brakes squeak")
    advisor = workshop["advisor"]
    with as_user(advisor):
        job = repair_order.jobs.get()
        services.labour_line_add(job=job, by=advisor, operation_code="mnt-10k", hours="1.5", rate="180")
        services.part_line_add(
            job=job, by=advisor, part_number="oil-5w30", quantity="4.5", unit_price="68.80"
        )
        services.charge_line_add(job=job, by=advisor, amount="15", description="Oil disposal")
        services.charge_line_add(job=job, by=advisor, amount="50", kind=ChargeLine.Kind.DISCOUNT)
        warranty = services.job_add(
            repair_order=repair_order, by=advisor, concern="Rattle", pay_type=PayType.WARRANTY
        )
        services.labour_line_add(job=warranty, by=advisor, operation_code="W-DOOR", hours="0.5", rate="180")
    with network_wide(reason="test check"):
        return RepairOrder.objects.get(id=repair_order.id)


def test_totals_are_derived_from_the_lines_in_exact_decimals(workshop):
    repair_order = billed(workshop)
    # Labour 270 + 90 (warranty); parts 4.5 × 68.80 = 309.60; disposal 15; discount 50.
    assert repair_order.labour_total == Decimal("360.00")
    assert repair_order.parts_total == Decimal("309.60")
    assert (repair_order.charges_total, repair_order.discount_total) == (Decimal("15.00"), Decimal("50.00"))
    assert repair_order.tax_total == Decimal("82.50")  # 13 % of 634.60 = 82.498, half up
    assert repair_order.total == Decimal("717.10")
    # The customer pays for their own job only: 544.60 + 13 % (70.798 → 70.80).
    assert repair_order.customer_pay_total == Decimal("615.40")


def test_a_discount_larger_than_the_bill_is_refused(workshop):
    repair_order = opened(workshop, concern="Wash")
    with as_user(workshop["advisor"]), pytest.raises(DiscountTooLarge):
        services.charge_line_add(
            job=repair_order.jobs.get(), by=workshop["advisor"], amount="10", kind=ChargeLine.Kind.DISCOUNT
        )
    with network_wide(reason="test check"):
        assert not ChargeLine.objects.exists()


def test_a_settled_order_is_frozen_and_tells_the_timeline_what_was_done(workshop):
    repair_order = billed(workshop)
    advisor = workshop["advisor"]
    with as_user(advisor):
        settled = services.repair_order_settle(repair_order=repair_order, by=advisor)
        with pytest.raises(RepairOrderClosed):
            services.part_line_add(
                job=settled.jobs.first(), by=advisor, part_number="X", quantity=1, unit_price=1
            )
        with pytest.raises(RepairOrderClosed):
            services.repair_order_void(repair_order=settled, by=advisor, reason="Mistake")
    with network_wide(reason="test check"):
        event = TimelineEvent.objects.get(kind="service.repair_order_settled")
        assert RepairOrder.objects.get(id=repair_order.id).total == Decimal("717.10")
    assert event.customer_id == workshop["owner"].id
    assert event.data["operation_codes"] == ["MNT-10K", "W-DOOR"]
    assert event.data["customer_pay_total"] == "615.40"
    assert event.data["pay_types"] == ["customer", "warranty"]


def test_an_empty_order_is_not_settled(workshop):
    repair_order = opened(workshop)
    with as_user(workshop["advisor"]), pytest.raises(RepairOrderEmpty):
        services.repair_order_settle(repair_order=repair_order, by=workshop["advisor"])


def test_a_correction_is_a_new_order_that_refers_to_the_settled_one(workshop):
    advisor = workshop["advisor"]
    original = billed(workshop)
    with as_user(advisor):
        services.repair_order_settle(repair_order=original, by=advisor)
        correction = services.repair_order_correct(repair_order=original, by=advisor)
    with network_wide(reason="test check"):
        original.refresh_from_db()
        correction.refresh_from_db()
    assert correction.corrects_id == original.id and correction.status == RepairOrder.Status.OPEN
    assert correction.total == original.total == Decimal("717.10")
    assert original.status == RepairOrder.Status.SETTLED and original.number != correction.number


def test_the_workshop_moves_and_voiding_needs_a_reason(workshop):
    advisor = workshop["advisor"]
    repair_order = opened(workshop)
    with as_user(advisor):
        services.repair_order_move(repair_order=repair_order, by=advisor, to_status="in_progress")
        services.repair_order_move(repair_order=repair_order, by=advisor, to_status="ready")
        with pytest.raises(RepairOrderMoveNotAllowed):
            services.repair_order_move(repair_order=repair_order, by=advisor, to_status="open")
        with pytest.raises(VoidReasonMissing):
            services.repair_order_void(repair_order=repair_order, by=advisor, reason="  ")
        voided = services.repair_order_void(repair_order=repair_order, by=advisor, reason="Customer left")
    assert voided.status == RepairOrder.Status.VOIDED


def test_numbers_are_unique_per_dealer_not_across_the_network(workshop):
    opened(workshop, number="A-1001")
    with pytest.raises(RepairOrderNumberTaken):
        opened(workshop, number="A-1001")
    other = DealerFactory()
    other_advisor = staff(Role.SERVICE_ADVISOR, dealer=other)
    with network_wide(reason="test arrange"):
        from crm.customers.models import CustomerDealer

        CustomerDealer.objects.create(
            customer=workshop["owner"], dealer=other, reason=CustomerDealer.Reason.MANUAL
        )
    with as_user(other_advisor):
        elsewhere = services.repair_order_open(
            dealer=other, vehicle=workshop["vehicle"], by=other_advisor, number="A-1001"
        )
    assert elsewhere.number == "A-1001"


def test_only_the_dealers_workshop_opens_orders_and_other_dealers_do_not_see_them(workshop):
    with as_user(workshop["seller"]), pytest.raises(PermissionDenied):
        services.repair_order_open(
            dealer=workshop["dealer"], vehicle=workshop["vehicle"], by=workshop["seller"]
        )
    repair_order = opened(workshop)
    stranger = staff(Role.SERVICE_ADVISOR, dealer=DealerFactory())
    with as_user(stranger):
        assert not RepairOrder.objects.filter(id=repair_order.id).exists()
        with pytest.raises(NotFound):
            services.repair_order_move(repair_order=repair_order, by=stranger, to_status="in_progress")


def test_a_lower_reading_is_kept_as_suspect_and_never_lowers_the_mileage(workshop):
    vehicle, now = workshop["vehicle"], timezone.now()
    with network_wide(reason="test"):
        services.odometer_record(
            vehicle=vehicle, km=20_000, read_at=now - timedelta(days=30), source="manual"
        )
        low = services.odometer_record(vehicle=vehicle, km=2_000, read_at=now, source="manual")
        zero = services.odometer_record(vehicle=vehicle, km=0, read_at=now, source="manual")
        assert low.is_suspect and zero.is_suspect
        assert services.vehicle_mileage(vehicle=vehicle) == 20_000
        # Readings from before the higher one are history, not suspects.
        earlier = services.odometer_record(
            vehicle=vehicle, km=8_000, read_at=now - timedelta(days=90), source="import"
        )
        assert not earlier.is_suspect


def test_a_cluster_replacement_starts_the_series_again(workshop):
    vehicle, now = workshop["vehicle"], timezone.now()
    with network_wide(reason="test"):
        services.odometer_record(
            vehicle=vehicle, km=120_000, read_at=now - timedelta(days=10), source="manual"
        )
        services.odometer_record(
            vehicle=vehicle,
            km=5,
            read_at=now - timedelta(days=5),
            source=OdometerReading.Source.CLUSTER_REPLACED,
        )
        after = services.odometer_record(vehicle=vehicle, km=800, read_at=now, source="manual")
        assert not after.is_suspect
        assert services.vehicle_mileage(vehicle=vehicle) == 800
        with pytest.raises(ImplausibleMileage):
            services.odometer_record(vehicle=vehicle, km=-1, read_at=now, source="manual")
