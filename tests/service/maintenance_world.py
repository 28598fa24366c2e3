"""What the maintenance tests share: the A6's schedule, a delivered car, readings and maintenance orders made
through the real services at chosen days."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from crm.core.scope import network_wide
from service import services
from service.models import MaintenanceSchedule, OdometerReading, VehicleMaintenance
from tests.factories import BrandModelFactory, VehicleFactory
from tests.service.conftest import as_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def a6_schedule(**overrides) -> MaintenanceSchedule:
    """Aurora A6: first service at 5,000 km or 6 months, then every 10,000 km or 12 months (MNT-* codes)."""
    values = {
        "effective_from": date(2020, 1, 1),
        "first_km": 5000,
        "first_months": 6,
        "interval_km": 10000,
        "interval_months": 12,
        "operation_codes": ["MNT-*"],
        **overrides,
    }
    with network_wide(reason="test arrange"):
        return MaintenanceSchedule.objects.create(brand_model=BrandModelFactory(code="A6", name="A6"), **values)


def delivered_car(workshop, *, on: date, **fields):
    return VehicleFactory(
        owner=workshop["owner"],
        recorded_by_dealer=workshop["dealer"],
        selling_dealer=workshop["dealer"],
        purchase_date=on,
        **fields,
    )


def read(workshop, vehicle, km: int, day: date) -> OdometerReading:
    with as_user(workshop["advisor"]):
        return services.odometer_record(
            vehicle=vehicle, km=km, read_at=at(day), source=OdometerReading.Source.MANUAL, dealer=workshop["dealer"]
        )


def serviced(workshop, vehicle, *, day: date, km: int | None, code: str = "MNT-10K", number: str = "", settle=True):
    """A repair order opened and settled on `day` with one labour line of `code`."""
    advisor = workshop["advisor"]
    with as_user(advisor):
        order = services.repair_order_open(
            dealer=workshop["dealer"], vehicle=vehicle, by=advisor, mileage_in=km, opened_at=at(day, 9),
            concern="保养", number=number,
        )  # fmt: skip
        services.labour_line_add(job=order.jobs.get(), by=advisor, operation_code=code, hours="1", rate="180")
        if settle:
            services.repair_order_settle(repair_order=order, by=advisor, settled_at=at(day, 15))
    return order


def state(vehicle) -> VehicleMaintenance:
    with network_wide(reason="test assert"):
        return VehicleMaintenance.objects.get(vehicle=vehicle)
