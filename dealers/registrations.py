"""What the dealers app lends to the core's registries, imported once by DealersConfig.ready(): its header
entries, and the regional manager's landing page (the region's dealers, worst first)."""

from django.utils.translation import gettext_lazy as _

from crm.core.navigation import Landing, NavEntry, in_namespace, landing_register, nav_register
from dealers import permissions

nav_register(
    NavEntry(
        key="dealers_network",
        label=_("Dealer figures"),
        url_name="dealers:network",
        icon="speedometer2",
        order=11,
        allowed=permissions.oversees_dealers,
        is_here=in_namespace("dealers", names={"network", "dealer"}),
    ),
    NavEntry(
        key="dealers_own",
        label=_("Our figures"),
        url_name="dealers:own",
        icon="speedometer2",
        order=35,
        allowed=permissions.own_figures_in_header,
        is_here=in_namespace("dealers", names={"own"}),
    ),
    NavEntry(
        key="dealers_own_menu",
        label=_("Our figures"),
        url_name="dealers:own",
        icon="speedometer2",
        order=89,
        allowed=permissions.own_figures_in_menu,
        is_here=in_namespace("dealers", names={"own"}),
        is_secondary=True,
    ),
    NavEntry(
        key="dealers_oem_reads",
        label=_("OEM reads of our data"),
        url_name="dealers:oem_reads",
        icon="eye",
        order=91,
        allowed=permissions.can_see_oem_reads,
        is_here=in_namespace("dealers", names={"oem_reads"}),
        is_secondary=True,
    ),
)
landing_register(
    # Before the network overview (order 10): a regional manager's day starts with the worst dealers.
    Landing(key="dealers_network", order=5, applies=permissions.is_regional_manager_only, url_name="dealers:network"),
)
