"""What complaints and call-backs lend to the core's registries, imported once by ServiceConfig.ready(): the
header entries of their pages, and the timeline subscriber that schedules a call-back for every settled
repair order."""

from django.utils.translation import gettext_lazy as _

from crm.core.navigation import NavEntry, in_namespace, nav_register
from crm.timeline.registry import subscribe
from service import events as service_events
from service.care import permissions
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
