"""What recalls lend to the core's registries, imported once by ServiceConfig.ready(): the header entry of
their pages and the timeline subscriber that records remedies on settled repair orders."""

from django.utils.translation import gettext_lazy as _

from crm.core.navigation import NavEntry, in_namespace, nav_register
from crm.timeline.registry import subscribe
from service import events as service_events
from service.recalls import permissions
from service.recalls.services import recall_on_settled

subscribe(
    name="service.recalls.remedy_record",
    kinds={service_events.REPAIR_ORDER_SETTLED},
    handler=recall_on_settled,
)

nav_register(
    NavEntry(
        key="service_recalls",
        label=_("Recalls"),
        url_name="service_recalls:list",
        icon="shield-exclamation",
        order=47,
        allowed=permissions.can_read_recalls,
        is_here=in_namespace("service_recalls"),
    ),
)
