"""What maintenance due lends to the core's registries, imported once by ServiceConfig.ready(): the header
entries of the due list and the schedules, the care occasions (maintenance due, inspection due, warranty
expiry, insurance renewal: service messages, once per vehicle and cycle), the segment filters (due within N
days, last service before, mileage band), the "maintenance on time" key figure, and the subscriber that
recomputes a vehicle whose delivery date, model or insurance date was edited on the customer page."""

from datetime import date

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.core import key_figures as kf
from crm.core.navigation import NavEntry, in_namespace, nav_register
from crm.customers.events import VEHICLE_UPDATED
from crm.messaging.models import Purpose
from crm.messaging.registry import CareTrigger, SegmentFilter, care_trigger_register, segment_filter_register
from crm.timeline.registry import subscribe
from service.maintenance import permissions, selectors
from service.maintenance import tasks as _tasks  # noqa: F401 - the beat task's registration
from service.maintenance.services import maintenance_recompute

nav_register(
    NavEntry(
        key="service_maintenance_due",
        label=_("Maintenance due"),
        url_name="service_maintenance:due",
        icon="calendar-check",
        order=36,
        allowed=permissions.works_due_list,
        is_here=in_namespace("service_maintenance", names={"due", "settings"}),
    ),
    NavEntry(
        key="service_maintenance_schedules",
        label=_("Maintenance schedules"),
        url_name="service_maintenance:schedules",
        icon="list-check",
        order=37,
        allowed=permissions.can_read_schedules,
        is_here=in_namespace("service_maintenance", names={"schedules", "schedule_new", "schedule_edit"}),
        is_secondary=True,
    ),
)


# --- The vehicle's facts changed on the customer page --------------------------------------------------------

FIELDS_THAT_MOVE_DUE_DATES = {"make", "model", "purchase_date", "insurance_expires_on"}


def on_vehicle_updated(event) -> None:
    data = event.data or {}
    if data.get("vehicle_id") and FIELDS_THAT_MOVE_DUE_DATES & set(data.get("fields") or []):
        maintenance_recompute(vehicle_ids=[data["vehicle_id"]])


subscribe(name="service.maintenance.vehicle_updated", kinds={VEHICLE_UPDATED}, handler=on_vehicle_updated)


# --- Care occasions -----------------------------------------------------------------------------------------

for key, label in (
    ("maintenance_due", _("Maintenance due")),
    ("inspection_due", _("Periodic inspection due")),
    ("warranty_expiry", _("Statutory warranty ending")),
    ("insurance_renewal", _("Insurance renewal")),
):
    care_trigger_register(
        CareTrigger(
            key=key,
            label=label,
            due=lambda day, dealer_id, kind=key: selectors.customers_to_remind(kind, day, dealer_id),
            occasions=lambda ids, day, dealer_id, kind=key: selectors.reminder_occasions(kind, ids, day, dealer_id),
            purpose=Purpose.SERVICE,
        )
    )


# --- Segment filters ----------------------------------------------------------------------------------------


def _whole_number(value, *, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _due_within(customers, value, dealer_id):
    days = _whole_number(value, low=0, high=366)
    return selectors.owners_due_within(customers, days) if days is not None else customers.none()


def _last_before(customers, value, dealer_id):
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return customers.none()
    return selectors.owners_last_serviced_before(customers, day)


def _mileage_bands(customers, value, dealer_id):
    bands = [str(v) for v in (value if isinstance(value, list | tuple) else [value]) if str(v) in selectors.MILEAGE_BANDS]
    return selectors.owners_in_mileage_bands(customers, bands) if bands else customers.none()


MILEAGE_BAND_LABELS = {
    "0-10000": _("under 10,000 km"),
    "10000-30000": _("10,000–30,000 km"),
    "30000-60000": _("30,000–60,000 km"),
    "60000-100000": _("60,000–100,000 km"),
    "100000-": _("100,000 km or more"),
}

segment_filter_register(
    SegmentFilter(
        key="service_maintenance_due_within",
        label=_("Maintenance due within (days)"),
        field=lambda: forms.IntegerField(
            label=_("Maintenance due within (days)"),
            required=False,
            min_value=0,
            max_value=366,
            help_text=_("Owners of a car whose next service is due within this many days, or overdue."),
        ),
        apply=_due_within,
        group="service",
        order=300,
    )
)
segment_filter_register(
    SegmentFilter(
        key="service_last_before",
        label=_("Last service before"),
        field=lambda: forms.DateField(
            label=_("Last service before"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
            help_text=_("Owners of a car last maintained before this day (never maintained: delivered before it)."),
        ),
        apply=_last_before,
        group="service",
        order=310,
    )
)
segment_filter_register(
    SegmentFilter(
        key="service_mileage_band",
        label=_("Mileage"),
        field=lambda: forms.MultipleChoiceField(
            label=_("Mileage"),
            required=False,
            choices=list(MILEAGE_BAND_LABELS.items()),
            widget=forms.CheckboxSelectMultiple,
        ),
        apply=_mileage_bands,
        group="service",
        order=320,
    )
)


# --- Key figure: maintenance on time ------------------------------------------------------------------------


def _due_list_url(dealer_id, first_day, last_day) -> str:
    return reverse("service_maintenance:due")


kf.measure_register(
    kf.Measure("service.maintenance_services", kf.MeasureKind.COUNT, selectors.measure_maintenance_services),
    kf.Measure("service.maintenance_on_time", kf.MeasureKind.COUNT, selectors.measure_maintenance_on_time),
)
kf.figure_register(
    kf.KeyFigure(
        code="service.maintenance_on_time",
        owner="service",
        label=_("Maintenance on time"),
        unit=kf.Unit.PERCENT,
        higher_is_better=True,
        definition=_(
            "Of the maintenance services settled in the period (repair orders carrying a maintenance operation "
            "of the model's schedule), the share done before the service fell due, by distance or by time "
            "whichever came first, counted from the previous maintenance or from delivery (30 days or "
            "1,000 km of grace)."
        ),
        measures=("service.maintenance_on_time", "service.maintenance_services"),
        combine=kf.ratio("service.maintenance_on_time", "service.maintenance_services"),
        group="service",
        order=30,
        rows_url=_due_list_url,
    ),
)
