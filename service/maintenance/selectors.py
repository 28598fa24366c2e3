"""Every read of maintenance due: the schedules, a vehicle's next service, a dealer's due list, the
customers a care message or a segment selects, and the "maintenance on time" key figure's measures. Reads
only: nothing here computes a due date (service.maintenance.recompute does, when the source rows change)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    BooleanField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.core.exceptions import NotFound
from crm.core.key_figures import on_local_days
from crm.customers.models import Customer, CustomerDealer
from crm.messaging.registry import Occasion
from crm.network.models import BrandModel
from service.models import MaintenanceSchedule, MaintenanceSetting, RepairOrder, VehicleMaintenance

# A due date the advisor should act on: overdue, or due within this many days (the list's default).
DUE_SOON_DAYS = 30
DUE_LIST_ROWS = 200
# A service counts as on time when neither threshold was passed by more than this.
ON_TIME_GRACE_DAYS = 30
ON_TIME_GRACE_KM = 1000


# --- Schedules ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSchedule:
    brand_model: BrandModel
    versions: list[MaintenanceSchedule]  # newest first
    in_force: MaintenanceSchedule | None


def schedules_by_model(*, today: date | None = None) -> list[ModelSchedule]:
    """Every catalogue model with a schedule, its versions (newest first) and the one in force today. The
    schedules are the OEM's and no dealer's data: every role that reads service reads them."""
    today = today or timezone.localdate()
    versions = MaintenanceSchedule.objects.select_related("brand_model__brand", "created_by").order_by(
        "brand_model__brand__name", "brand_model__position", "brand_model__code", "-effective_from"
    )
    grouped: dict[int, list[MaintenanceSchedule]] = {}
    for version in versions:
        grouped.setdefault(version.brand_model_id, []).append(version)
    return [
        ModelSchedule(
            brand_model=rows[0].brand_model,
            versions=rows,
            in_force=next((v for v in rows if v.effective_from <= today), rows[-1]),
        )
        for rows in grouped.values()
    ]


def schedule_get(*, schedule_id: int) -> MaintenanceSchedule:
    schedule = MaintenanceSchedule.objects.select_related("brand_model__brand").filter(id=schedule_id).first()
    if schedule is None:
        raise NotFound()
    return schedule


def models_without_schedule() -> QuerySet[BrandModel]:
    return (
        BrandModel.objects.filter(maintenance_schedules__isnull=True)
        .select_related("brand")
        .order_by("-brand__is_oem_brand", "brand__name", "position", "code")
    )


# --- A vehicle, a dealer's list ----------------------------------------------------------------------------


def vehicle_maintenance(*, vehicle) -> VehicleMaintenance | None:
    """The vehicle's row as last computed (visible wherever the vehicle is), with its schedule."""
    return (
        VehicleMaintenance.objects.select_related("schedule__brand_model").filter(vehicle_id=vehicle.id).first()
    )


def due_list(*, dealer, within_days: int = DUE_SOON_DAYS, today: date | None = None) -> QuerySet:
    """The vehicles `dealer` looks after whose next service is overdue or due within `within_days`, soonest
    first, with the owner (row-level security keeps it to vehicles the user may see)."""
    today = today or timezone.localdate()
    return (
        VehicleMaintenance.objects.filter(dealer=dealer, due_on__lte=today + timedelta(days=within_days))
        .select_related("vehicle__owner", "schedule__brand_model")
        .order_by("due_on", "vehicle_id")
    )


def reminder_setting(*, dealer) -> MaintenanceSetting:
    """The dealer's lead times (the defaults when it never set them)."""
    return MaintenanceSetting.objects.filter(dealer=dealer).first() or MaintenanceSetting(dealer=dealer)


# --- Care messages: who is due a reminder, and which occasion it is ----------------------------------------


@dataclass(frozen=True)
class Reminder:
    key: str
    date_field: str
    days_field: str
    # Overdue this many days at most and still reminded (a reminder the beat missed is still sent).
    grace_days: int
    cycle: str  # "cycle": the vehicle's due cycle; "date": the date itself; "once": once per vehicle


REMINDERS = {
    "maintenance_due": Reminder("maintenance_due", "due_on", "reminder_days", 60, "cycle"),
    "inspection_due": Reminder("inspection_due", "inspection_due_on", "inspection_days", 0, "date"),
    "warranty_expiry": Reminder("warranty_expiry", "warranty_ends_on", "warranty_days", 0, "once"),
    "insurance_renewal": Reminder("insurance_renewal", "insurance_expires_on", "insurance_days", 0, "date"),
}


def _in_reminder_window(reminder: Reminder, day: date, dealer_id: int | None) -> QuerySet:
    default = MaintenanceSetting._meta.get_field(reminder.days_field).default
    lead = Coalesce(
        Subquery(MaintenanceSetting.objects.filter(dealer_id=OuterRef("dealer_id")).values(reminder.days_field)[:1]),
        Value(default),
        output_field=IntegerField(),
    )
    rows = (
        VehicleMaintenance.objects.filter(
            vehicle__owner__isnull=False,
            vehicle__owner__merged_into__isnull=True,
            **{
                f"{reminder.date_field}__gte": day - timedelta(days=reminder.grace_days),
                f"{reminder.date_field}__lte": day + timedelta(days=90),
            },
        )
        .annotate(
            remind_from=ExpressionWrapper(F(reminder.date_field) - lead, output_field=DateField()),
        )
        .filter(remind_from__lte=day)
    )
    if dealer_id is not None:
        rows = rows.filter(dealer_id=dealer_id)
    return rows


def customers_to_remind(kind: str, day: date, dealer_id: int | None) -> QuerySet[Customer]:
    """Owners of a vehicle whose `kind` date is within its dealer's reminder lead time of `day` (a dealer's
    programme: the vehicles it looks after)."""
    vehicles = _in_reminder_window(REMINDERS[kind], day, dealer_id)
    customers = Customer.objects.filter(
        merged_into__isnull=True, id__in=vehicles.values("vehicle__owner_id")
    )
    if dealer_id is not None:
        customers = customers.filter(
            Exists(CustomerDealer.objects.filter(customer=OuterRef("pk"), dealer_id=dealer_id))
        )
    return customers


def reminder_occasions(kind: str, customer_ids: list[int], day: date, dealer_id: int | None) -> dict[int, Occasion]:
    """For each customer, the vehicle the reminder is about (the soonest due) and what makes it one message:
    the vehicle and its due cycle (a maintenance reminder goes once per vehicle per cycle, however the
    projected date moves), the date itself (inspection, insurance), or the vehicle (warranty)."""
    reminder = REMINDERS[kind]
    rows = (
        _in_reminder_window(reminder, day, dealer_id)
        .filter(vehicle__owner_id__in=customer_ids)
        .order_by(reminder.date_field, "vehicle_id")
        .values_list("vehicle__owner_id", "vehicle_id", "last_service_id", reminder.date_field)
    )
    occasions: dict[int, Occasion] = {}
    for owner_id, vehicle_id, last_service_id, when in rows:
        if owner_id in occasions:
            continue
        cycle = {
            "cycle": f"ro{last_service_id}" if last_service_id else "delivery",
            "date": when.isoformat(),
            "once": "once",
        }[reminder.cycle]
        occasions[owner_id] = Occasion(key=f"{kind}:{vehicle_id}:{cycle}", on=when)
    return occasions


# --- Segments ----------------------------------------------------------------------------------------------

MILEAGE_BANDS = {
    "0-10000": (0, 10_000),
    "10000-30000": (10_000, 30_000),
    "30000-60000": (30_000, 60_000),
    "60000-100000": (60_000, 100_000),
    "100000-": (100_000, None),
}


def owners_due_within(customers: QuerySet, days: int, *, today: date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return customers.filter(
        Exists(
            VehicleMaintenance.objects.filter(
                vehicle__owner_id=OuterRef("pk"), due_on__lte=today + timedelta(days=days)
            )
        )
    )


def owners_last_serviced_before(customers: QuerySet, day: date) -> QuerySet:
    """Owners of a vehicle whose last maintenance was before `day` (or, never serviced, delivered before it)."""
    return customers.filter(
        Exists(
            VehicleMaintenance.objects.filter(vehicle__owner_id=OuterRef("pk")).filter(
                Q(last_service_on__lt=day)
                | Q(last_service_on__isnull=True, vehicle__purchase_date__lt=day)
            )
        )
    )


def owners_in_mileage_bands(customers: QuerySet, bands: list[str]) -> QuerySet:
    condition = Q()
    for band in bands:
        low, high = MILEAGE_BANDS[band]
        condition |= Q(current_km__gte=low) & (Q(current_km__lt=high) if high is not None else Q())
    return customers.filter(
        Exists(VehicleMaintenance.objects.filter(condition, vehicle__owner_id=OuterRef("pk")))
    )


# --- Key figure: maintenance on time ------------------------------------------------------------------------

# For the repair order in the outer query: NULL when it is not a maintenance service of a model with a schedule;
# else whether it was done before the cycle it closed was due by time or by distance (whichever first), with
# the grace above. The cycle counts from the vehicle's previous maintenance, else from delivery; the schedule
# version is the one in force on the cycle's first day, as for the due date (service.maintenance.recompute).
ON_TIME_SQL = """
SELECT CASE WHEN sc.id IS NULL THEN NULL
            ELSE s.done_on <= (basis.on_day + make_interval(months =>
                     CASE WHEN basis.is_first THEN sc.first_months ELSE sc.interval_months END))::date + %s
                 AND (s.mileage IS NULL OR basis.km IS NULL OR s.mileage <= basis.km
                      + CASE WHEN basis.is_first THEN sc.first_km ELSE sc.interval_km END + %s) END
  FROM service_repairordersummary AS s
  JOIN customers_vehicle AS v ON v.id = s.vehicle_id
  JOIN service_vehiclemaintenance AS vm ON vm.vehicle_id = s.vehicle_id
  JOIN service_maintenanceschedule AS model_schedule ON model_schedule.id = vm.schedule_id
  CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT DISTINCT c FROM service_maintenanceschedule AS m, unnest(m.operation_codes) AS c
                      WHERE m.brand_model_id = model_schedule.brand_model_id) AS all_codes
  ) AS codes
  CROSS JOIN LATERAL (
        SELECT p.done_on AS on_day, p.mileage AS km, false AS is_first
          FROM service_repairordersummary AS p
         WHERE p.vehicle_id = s.vehicle_id AND (p.done_on, p.id) < (s.done_on, s.id)
           AND EXISTS (SELECT 1 FROM jsonb_array_elements(p.operations) AS op, unnest(codes.all_codes) AS code
                        WHERE op->>'code' = code
                           OR (right(code, 1) = '*' AND starts_with(op->>'code', left(code, -1))))
        UNION ALL
        SELECT v.purchase_date, 0, true
         ORDER BY 3, 1 DESC
         LIMIT 1
  ) AS basis
  LEFT JOIN LATERAL (
        SELECT m.* FROM service_maintenanceschedule AS m
         WHERE m.brand_model_id = model_schedule.brand_model_id AND basis.on_day IS NOT NULL
         ORDER BY (m.effective_from <= basis.on_day) DESC,
                  CASE WHEN m.effective_from <= basis.on_day THEN m.effective_from END DESC NULLS LAST,
                  m.effective_from
         LIMIT 1
  ) AS sc ON true
 WHERE s.repair_order_id = "service_repairorder"."id"
   AND EXISTS (SELECT 1 FROM jsonb_array_elements(s.operations) AS op, unnest(codes.all_codes) AS code
                WHERE op->>'code' = code
                   OR (right(code, 1) = '*' AND starts_with(op->>'code', left(code, -1))))
"""


def _maintenance_services(*, dealer_ids, first_day, last_day) -> QuerySet:
    orders = RepairOrder.objects.filter(status=RepairOrder.Status.SETTLED, summary__isnull=False)
    return (
        on_local_days(orders, "settled_at", dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)
        # A fixed statement; its only parameters are the two grace constants.
        .annotate(on_time=RawSQL(ON_TIME_SQL, [ON_TIME_GRACE_DAYS, ON_TIME_GRACE_KM], output_field=BooleanField()))  # noqa: S611
        .filter(on_time__isnull=False)
    )


def _counted(rows: QuerySet):
    for row in rows.values("dealer_id", "local_day").annotate(count=Count("id")).order_by():
        yield row["dealer_id"], row["local_day"], row["count"]


def measure_maintenance_services(*, dealer_ids, first_day, last_day):
    """Maintenance services (settled, not voided, qualifying by operation code) on the dealer's local day."""
    return _counted(_maintenance_services(dealer_ids=dealer_ids, first_day=first_day, last_day=last_day))


def measure_maintenance_on_time(*, dealer_ids, first_day, last_day):
    """Of those, the ones done before the cycle's due date and distance (with the grace)."""
    rows = _maintenance_services(dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)
    return _counted(rows.filter(on_time=True))
