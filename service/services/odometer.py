"""A vehicle's odometer as a series of readings. The current mileage is the highest trusted reading since the
instrument cluster was last replaced; a reading lower than what the vehicle had already shown by then (or a
zero after real readings) is stored as suspect and never lowers it. Readings of one vehicle are recorded one
at a time (an advisory lock per vehicle), so two at once cannot both judge against a stale series."""

from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max

from service.exceptions import ImplausibleMileage
from service.maintenance.services import maintenance_recompute
from service.models import OdometerReading

MAX_KM = 3_000_000
_LOCK_NAMESPACE = 4_210_001  # pg_advisory_xact_lock(namespace, vehicle id): odometer series


def _series_start(vehicle_id: int, before: datetime) -> datetime | None:
    """When the readings that count for `before` begin: the last cluster replacement up to then."""
    return (
        OdometerReading.objects.filter(
            vehicle_id=vehicle_id, source=OdometerReading.Source.CLUSTER_REPLACED, read_at__lte=before
        )
        .order_by("-read_at", "-id")
        .values_list("read_at", flat=True)
        .first()
    )


def _highest_trusted(vehicle_id: int, *, until: datetime | None = None) -> int | None:
    readings = OdometerReading.objects.filter(vehicle_id=vehicle_id, is_suspect=False)
    if until is not None:
        readings = readings.filter(read_at__lte=until)
    start = (
        _series_start(vehicle_id, until)
        if until is not None
        else (
            OdometerReading.objects.filter(
                vehicle_id=vehicle_id, source=OdometerReading.Source.CLUSTER_REPLACED
            )
            .order_by("-read_at", "-id")
            .values_list("read_at", flat=True)
            .first()
        )
    )
    if start is not None:
        readings = readings.filter(read_at__gte=start)
    return readings.aggregate(highest=Max("km"))["highest"]


def vehicle_mileage(*, vehicle) -> int | None:
    """The vehicle's current mileage (km), or None when nothing trustworthy was ever read."""
    return _highest_trusted(vehicle.id)


@transaction.atomic
def odometer_record(
    *, vehicle, km, read_at: datetime, source: str, dealer=None, repair_order=None
) -> OdometerReading:
    """Add a reading to the vehicle's series; see the module's rules. Raises ImplausibleMileage for a value no
    odometer shows."""
    try:
        km = int(km)
    except (TypeError, ValueError):
        raise ImplausibleMileage() from None
    if not 0 <= km <= MAX_KM:
        raise ImplausibleMileage()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, vehicle.id])
    is_suspect = False
    if source != OdometerReading.Source.CLUSTER_REPLACED:
        shown_by_then = _highest_trusted(vehicle.id, until=read_at)
        is_suspect = shown_by_then is not None and (km < shown_by_then or km == 0)
    reading = OdometerReading.objects.create(
        vehicle=vehicle,
        dealer=dealer,
        km=km,
        read_at=read_at,
        source=source,
        repair_order=repair_order,
        is_suspect=is_suspect,
    )
    maintenance_recompute(vehicle_ids=[vehicle.id])  # a new reading moves the pace and the due date
    return reading
