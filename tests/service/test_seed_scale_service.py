"""seed_scale_service: vehicles up to a total, then settled repair orders whose totals add up, with their jobs,
lines and history summaries, which the vehicle history reads like any other; running it again adds nothing."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db.models import F

from crm.core.scope import network_wide
from crm.customers.models import Vehicle
from service.management.commands.seed_scale_service import scale_service
from service.models import LabourLine, PartLine, RepairOrder, RepairOrderSummary
from service.selectors.history import vehicle_history
from tests.factories import CustomerFactory, DealerFactory, staff

pytestmark = pytest.mark.django_db


def test_seed_scale_service_adds_vehicles_and_consistent_repair_orders_once():
    from crm.network.models import Role

    dealer = DealerFactory()
    for _ in range(3):
        CustomerFactory(dealer=dealer)
    with network_wide(reason="test"):
        before = Vehicle.objects.count()
        scale_service(vehicles=before + 4, repair_orders=8, log=lambda line: None)
        assert Vehicle.objects.count() == before + 4
        orders = RepairOrder.objects.filter(number__startswith="S")
        assert orders.count() >= 8 and orders.filter(status="settled", source="dms").count() == orders.count()
        assert not orders.exclude(total=F("labour_total") + F("parts_total") + F("tax_total")).exists()
        assert LabourLine.objects.filter(job__repair_order__in=orders).count() == orders.count()
        assert PartLine.objects.filter(job__repair_order__in=orders).count() == orders.count()
        assert RepairOrderSummary.objects.filter(repair_order__in=orders).count() == orders.count()
        assert all(
            o.tax_total == ((o.labour_total + o.parts_total) * Decimal("0.13")).quantize(Decimal("0.01"), ROUND_HALF_UP)
            for o in orders
        )
        count = orders.count()
        scale_service(vehicles=before + 4, repair_orders=8, log=lambda line: None)
        assert RepairOrder.objects.count() == count and Vehicle.objects.count() == before + 4
        vehicle = Vehicle.objects.filter(repair_orders__in=orders).first()
        assert vehicle.vin.startswith("LSK") and len(vehicle.vin) == 17
    advisor = staff(Role.SERVICE_ADVISOR, dealer=dealer)
    with network_wide(reason="test"):
        history = vehicle_history(user=advisor, vehicle=vehicle)
    assert history and all(entry.operations for entry in history)
