"""Every write of maintenance due (plain functions, keyword-only).

Guarantees
- A vehicle's row (VehicleMaintenance) is derived state, written only by `maintenance_recompute` (the
  vehicles of one change, in the caller's transaction, one vehicle at a time under its advisory lock, so two
  changes to one vehicle cannot leave the older result behind) and `maintenance_recompute_all` (the nightly
  pass: the same statement over id ranges, one transaction per batch). Both run the one statement of
  service.maintenance.recompute, so they cannot disagree. Nothing recomputes on read.
- The repair order, import and odometer services call `maintenance_recompute` in their own transaction
  whenever an order is opened with a mileage, settled, voided, corrected, imported or revised (a back-dated
  one too) and whenever a reading is added; a schedule change recomputes every vehicle after commit.
- A schedule version never changes once it has taken effect: an edit is a new version from a later day (a
  version that has not taken effect yet may still be rewritten).
"""

from datetime import date
from functools import partial

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from crm.core.scope import network_wide
from crm.customers.models import Vehicle
from crm.network.access import access_for
from service.maintenance.exceptions import (
    InsuranceDateInvalid,
    ReminderDaysInvalid,
    ScheduleCodesMissing,
    ScheduleModelTaken,
    ScheduleValueInvalid,
    ScheduleVersionStarted,
)
from service.maintenance.permissions import (
    can_edit_schedules,
    can_record_insurance,
    can_set_reminders,
    require,
)
from service.maintenance.services import recompute
from service.models import MaintenanceSchedule, MaintenanceSetting

# The odometer's lock (service.services.odometer): a vehicle's readings and its due date change one at a time.
_LOCK_NAMESPACE = 4_210_001
BATCH = 50_000


def maintenance_recompute(*, vehicle_ids, today: date | None = None) -> int:
    """Recompute these vehicles' next service from their source rows, in the caller's transaction and scope
    (their summaries and readings are visible wherever the vehicle is). Returns the rows that changed."""
    ids = sorted({int(v) for v in vehicle_ids if v})
    if not ids:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        for vehicle_id in ids:  # in id order: two changes touching the same vehicles never deadlock
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, vehicle_id])
        return recompute.run_for_vehicles(vehicle_ids=ids, today=today or timezone.localdate())


def maintenance_recompute_all(*, batch: int = BATCH, today: date | None = None, log=None) -> int:
    """Recompute every vehicle, network-wide, `batch` ids per transaction (the nightly safety net and the
    management command). Returns the rows that changed."""
    today = today or timezone.localdate()
    with network_wide(reason="maintenance due: nightly recomputation"):
        bounds = Vehicle.objects.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        return 0
    changed = 0
    for low in range(bounds["low"], bounds["high"] + 1, batch):
        with network_wide(reason="maintenance due: nightly recomputation"):
            changed += recompute.run_for_range(low=low, high=low + batch, today=today)
        if log:
            log(f"  vehicles {low:,}–{min(low + batch, bounds['high'] + 1) - 1:,}: {changed:,} rows changed")
    return changed


def _recompute_all_later() -> None:
    from service.maintenance.tasks import maintenance_recompute_nightly

    transaction.on_commit(partial(maintenance_recompute_nightly.delay))


def _codes(values) -> list[str]:
    seen: list[str] = []
    for value in values or []:
        code = str(value).strip().upper()[:40]
        if code and code not in seen:
            seen.append(code)
    return seen


@transaction.atomic
def schedule_save(
    *,
    by,
    brand_model,
    effective_from: date,
    first_km: int,
    first_months: int,
    interval_km: int,
    interval_months: int,
    operation_codes,
    note: str = "",
    is_new_schedule: bool = False,
) -> MaintenanceSchedule:
    """Add a version of `brand_model`'s schedule from `effective_from` (the OEM admin). A version already in
    effect on that day is refused (ScheduleVersionStarted); one that starts later is rewritten. With
    `is_new_schedule`, a model that already has a schedule is refused (ScheduleModelTaken). Every vehicle is
    recomputed after commit."""
    require(can_edit_schedules(access_for(by)))
    codes = _codes(operation_codes)
    if not codes:
        raise ScheduleCodesMissing()
    numbers = {"first_km": first_km, "interval_km": interval_km}
    months = {"first_months": first_months, "interval_months": interval_months}
    if any(not isinstance(v, int) or not 0 < v <= 200_000 for v in numbers.values()) or any(
        not isinstance(v, int) or not 0 < v <= 120 for v in months.values()
    ):
        raise ScheduleValueInvalid()
    versions = MaintenanceSchedule.objects.select_for_update().filter(brand_model=brand_model)
    if is_new_schedule and versions.exists():
        raise ScheduleModelTaken()
    fields = {
        **numbers,
        **months,
        "operation_codes": codes,
        "note": (note or "").strip()[:300],
        "created_by": by if getattr(by, "is_authenticated", False) else None,
    }
    same_day = versions.filter(effective_from=effective_from).first()
    if same_day is not None:
        if same_day.effective_from <= timezone.localdate():
            raise ScheduleVersionStarted()
        for name, value in fields.items():
            setattr(same_day, name, value)
        same_day.save()
        schedule = same_day
    else:
        schedule = MaintenanceSchedule.objects.create(
            brand_model=brand_model, effective_from=effective_from, **fields
        )
    _recompute_all_later()
    return schedule


@transaction.atomic
def reminder_setting_save(
    *, by, dealer, reminder_days: int, inspection_days: int, warranty_days: int, insurance_days: int
) -> MaintenanceSetting:
    """The dealer admin's reminder lead times (days before each date)."""
    require(can_set_reminders(access_for(by), dealer.id))
    values = {
        "reminder_days": reminder_days,
        "inspection_days": inspection_days,
        "warranty_days": warranty_days,
        "insurance_days": insurance_days,
    }
    if any(not isinstance(v, int) or not 0 <= v <= 90 for v in values.values()):
        raise ReminderDaysInvalid()
    setting, _created = MaintenanceSetting.objects.update_or_create(dealer=dealer, defaults=values)
    return setting


@transaction.atomic
def vehicle_insurance_set(*, by, vehicle: Vehicle, expires_on: date | None, expected_version: int) -> Vehicle:
    """Record the last day of the vehicle's insurance (None: unknown) and recompute its due dates."""
    from crm.customers.services import vehicle_update

    require(can_record_insurance(access_for(by)))
    if expires_on is not None and not date(2000, 1, 1) <= expires_on <= date(2100, 12, 31):
        raise InsuranceDateInvalid()
    vehicle = vehicle_update(
        vehicle=vehicle, by=by, expected_version=expected_version, changes={"insurance_expires_on": expires_on}
    )
    maintenance_recompute(vehicle_ids=[vehicle.id])
    return vehicle
