"""What recalls lend to the core's registries, imported once by ServiceConfig.ready(): the header entry of
their pages, the timeline subscriber that records remedies on settled repair orders, and the recall
completion key figure."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.core import key_figures as kf
from crm.core.navigation import NavEntry, in_namespace, nav_register
from crm.timeline.registry import subscribe
from service import events as service_events
from service.recalls import permissions, selectors
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


# --- Key figures --------------------------------------------------------------------------------------------


def _recalls_url(dealer_id, first_day, last_day) -> str:
    return reverse("service_recalls:list")


kf.measure_register(
    kf.Measure(
        "service.recall_vehicles_affected",
        kf.MeasureKind.COUNT,
        selectors.measure_recall_vehicles_affected,
    ),
    kf.Measure(
        "service.recall_vehicles_completed",
        kf.MeasureKind.COUNT,
        selectors.measure_recall_vehicles_completed,
        changed_by=(service_events.REPAIR_ORDER_SETTLED,),
    ),
)
kf.figure_register(
    kf.KeyFigure(
        code="service.recall_completion",
        owner="service",
        label=_("Recall completion"),
        unit=kf.Unit.PERCENT,
        higher_is_better=True,
        definition=_(
            "Of the vehicles a dealer answers for (it sold or recorded them) that were added to a recall in the "
            "period, the share whose remedy has been done so far, at any dealer."
        ),
        measures=("service.recall_vehicles_completed", "service.recall_vehicles_affected"),
        combine=kf.ratio("service.recall_vehicles_completed", "service.recall_vehicles_affected"),
        group="service",
        order=43,
        rows_url=_recalls_url,
    ),
)
