"""What complaints and call-backs lend to the core's registries, imported once by ServiceConfig.ready(): the
header entries of their pages, the timeline subscriber that schedules a call-back for every settled repair
order, and the key figures on complaint handling and call-backs."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.core import key_figures as kf
from crm.core.navigation import NavEntry, in_namespace, nav_register
from crm.timeline.registry import subscribe
from service import events as service_events
from service.care import permissions, selectors
from service.care import tasks as _tasks  # noqa: F401 - the beat task's registration
from service.care.services import call_back_on_settled

subscribe(
    name="service.care.call_back_schedule",
    kinds={service_events.REPAIR_ORDER_SETTLED},
    handler=call_back_on_settled,
)

nav_register(
    NavEntry(
        key="service_complaints",
        label=_("Complaints"),
        url_name="service_care:complaints",
        icon="exclamation-octagon",
        order=45,
        allowed=permissions.can_read_complaints,
        is_here=in_namespace("service_care", excluding={"call_backs"}),
    ),
    NavEntry(
        key="service_call_backs",
        label=_("Call-backs"),
        url_name="service_care:call_backs",
        icon="telephone-outbound",
        order=46,
        allowed=permissions.can_read_call_backs,
        is_here=in_namespace("service_care", names={"call_backs"}),
    ),
)


# --- Key figures --------------------------------------------------------------------------------------------


def _complaints_url(dealer_id, first_day, last_day) -> str:
    url = reverse("service_care:complaints") + "?show=all"
    return f"{url}&dealer={dealer_id}" if dealer_id else url


def _call_backs_url(dealer_id, first_day, last_day) -> str:
    return reverse("service_care:call_backs") + "?show=done"


kf.measure_register(
    kf.Measure(
        "service.complaint_first_contact_hours",
        kf.MeasureKind.VALUES,
        selectors.measure_complaint_first_contact_hours,
    ),
    kf.Measure(
        "service.complaint_closure_hours", kf.MeasureKind.VALUES, selectors.measure_complaint_closure_hours
    ),
    kf.Measure("service.call_backs_due", kf.MeasureKind.COUNT, selectors.measure_call_backs_due),
    kf.Measure("service.call_backs_reached", kf.MeasureKind.COUNT, selectors.measure_call_backs_reached),
)
kf.figure_register(
    kf.KeyFigure(
        code="service.complaint_first_contact",
        owner="service",
        label=_("Complaint first contact"),
        unit=kf.Unit.HOURS,
        higher_is_better=False,
        definition=_(
            "Median hours from a complaint's opening to the first time the customer was reached, over the "
            "complaints first contacted in the period."
        ),
        measures=("service.complaint_first_contact_hours",),
        combine=kf.median_of("service.complaint_first_contact_hours"),
        group="service",
        order=40,
        rows_url=_complaints_url,
    ),
    kf.KeyFigure(
        code="service.complaint_closure",
        owner="service",
        label=_("Complaint closure time"),
        unit=kf.Unit.HOURS,
        higher_is_better=False,
        definition=_(
            "Median hours from a complaint's opening to its closing with the customer's confirmation, over the "
            "complaints closed in the period."
        ),
        measures=("service.complaint_closure_hours",),
        combine=kf.median_of("service.complaint_closure_hours"),
        group="service",
        order=41,
        rows_url=_complaints_url,
    ),
    kf.KeyFigure(
        code="service.call_back_completion",
        owner="service",
        label=_("Call-back completion"),
        unit=kf.Unit.PERCENT,
        higher_is_better=True,
        definition=_(
            "Of the service call-backs whose window (two to three days after the repair order was settled) "
            "closed in the period, the share whose customer was reached within it."
        ),
        measures=("service.call_backs_reached", "service.call_backs_due"),
        combine=kf.ratio("service.call_backs_reached", "service.call_backs_due"),
        group="service",
        order=42,
        rows_url=_call_backs_url,
    ),
)
