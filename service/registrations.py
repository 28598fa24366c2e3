"""What the workshop lends to the core's registries, imported once by ServiceConfig.ready(): the advisor's
header entry and landing page (the workshop screen), and the service history panel on the customer page."""

from django.utils.translation import gettext_lazy as _

from crm.core.navigation import Landing, NavEntry, in_namespace, landing_register, nav_register
from crm.customers.panels import CustomerPanel, panel_register
from service import permissions, selectors

nav_register(
    NavEntry(
        key="service_workshop",
        label=_("Workshop"),
        url_name="service:workshop",
        icon="wrench-adjustable",
        order=35,
        allowed=permissions.runs_a_workshop,
        is_here=in_namespace("service"),
    ),
)
landing_register(
    # Before the sales pages (order 25/30): an advisor who also sells still starts in the workshop.
    Landing(key="service_workshop", order=24, applies=permissions.is_service_advisor, url_name="service:workshop"),
)

PANEL_ROWS = 10


def _service_history_panel(request, customer) -> dict | None:
    access = getattr(request, "access", None)
    if access is None or not permissions.can_read_service(access):
        return None
    entries = selectors.customer_service_history(user=request.user, customer=customer)
    if not entries:
        return None
    return {"entries": entries[:PANEL_ROWS], "more": max(len(entries) - PANEL_ROWS, 0)}


panel_register(
    CustomerPanel(
        key="service_history",
        order=20,
        column="main",
        template="service/_customer_history_panel.html",
        context=_service_history_panel,
    )
)
