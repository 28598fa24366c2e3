"""What appointments lend to the core's registries, imported once by ServiceConfig.ready(): the header entry,
the key figure "appointment show rate", and a care occasion ("missed a service appointment yesterday") a
dealer's care programme can send a rebooking message on."""

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.core import key_figures as kf
from crm.core.navigation import NavEntry, in_namespace, nav_register
from crm.customers.models import Customer
from crm.messaging.registry import CareTrigger, care_trigger_register
from service.appointments import events as _events  # noqa: F401 - the timeline kinds appointments write
from service.appointments import permissions, selectors
from service.appointments import tasks as _tasks  # noqa: F401 - the beat tasks' registration
from service.models import Appointment

nav_register(
    NavEntry(
        key="service_appointments",
        label=_("Appointments"),
        url_name="service_appointments:board",
        icon="calendar-week",
        order=36,
        allowed=permissions.can_read_appointments,
        is_here=in_namespace("service_appointments"),
    ),
)


def _board_url(dealer_id, first_day, last_day) -> str:
    url = reverse("service_appointments:board") + f"?day={first_day.isoformat()}"
    return f"{url}&dealer={dealer_id}" if dealer_id else url


kf.measure_register(
    kf.Measure("service.appointments_due", kf.MeasureKind.COUNT, selectors.measure_appointments_due),
    kf.Measure("service.appointments_shown", kf.MeasureKind.COUNT, selectors.measure_appointments_shown),
)
kf.figure_register(
    kf.KeyFigure(
        code="service.appointment_show_rate",
        owner="service",
        label=_("Appointment show rate"),
        unit=kf.Unit.PERCENT,
        higher_is_better=True,
        definition=_(
            "Of the service appointments due in the period (on the dealer's local days) whose outcome is known, "
            "the share whose car came and was checked in; the others were no-shows. Cancelled appointments and "
            "those still waiting for their car do not count."
        ),
        measures=("service.appointments_shown", "service.appointments_due"),
        combine=kf.ratio("service.appointments_shown", "service.appointments_due"),
        group="service",
        order=20,
        rows_url=_board_url,
    ),
)


def _missed_yesterday(day, dealer_id):
    """Customers whose appointment the day before `day` (the dealer's local day) was a no-show."""
    missed = kf.on_local_days(
        Appointment.objects.filter(status=Appointment.Status.NO_SHOW, customer=OuterRef("pk")),
        "starts_at",
        dealer_ids=[dealer_id] if dealer_id else None,
        first_day=day - timedelta(days=1),
        last_day=day - timedelta(days=1),
    )
    return Customer.objects.filter(Exists(missed), merged_into__isnull=True)


care_trigger_register(
    CareTrigger(key="service_appointment_missed", label=_("Missed a service appointment"), due=_missed_yesterday)
)
