"""What the network lends to the core's registries: its header entries and landing pages."""

from django.utils.translation import gettext_lazy as _

from crm.core.navigation import Landing, NavEntry, landing_register, nav_register
from crm.network.models import Role
from crm.network.permissions import can_manage_api_tokens


def _admin_dealer(access) -> dict:
    return {"dealer_id": min(access.dealers_where(Role.DEALER_ADMIN))}


def _runs_a_dealer_only(access) -> bool:
    """A dealer admin with no daily work of customers or leads starts from the dealer's staff."""
    return bool(access.dealers_where(Role.DEALER_ADMIN)) and not access.has_role(
        Role.SALESPERSON, Role.SALES_MANAGER, Role.SERVICE_ADVISOR, Role.CALL_CENTRE_AGENT
    )


nav_register(
    NavEntry(
        key="network",
        label=_("Network"),
        url_name="network_overview",
        icon="diagram-3",
        order=10,
        allowed=lambda access: access.can_see_network,
        is_here=lambda namespace, name: namespace == "" and name in {"network_overview", "dealer_staff"},
    ),
    NavEntry(
        key="staff",
        label=_("Staff"),
        url_name="dealer_staff",
        icon="person-badge",
        order=90,
        allowed=lambda access: bool(access.dealers_where(Role.DEALER_ADMIN)) and not access.can_see_network,
        is_here=lambda namespace, name: namespace == "" and name == "dealer_staff",
        url_kwargs=_admin_dealer,
    ),
    # The user menu: a user's own sign-in security and, for admins, the API tokens of their integrations.
    NavEntry(
        key="two_factor",
        label=_("Two-factor sign-in"),
        url_name="two_factor_enrol",
        icon="shield-lock",
        order=200,
        allowed=lambda access: access.is_authenticated,
        is_here=lambda namespace, name: namespace == "" and name.startswith("two_factor"),
        is_secondary=True,
    ),
    NavEntry(
        key="api_tokens",
        label=_("API tokens"),
        url_name="api_tokens",
        icon="key",
        order=210,
        allowed=can_manage_api_tokens,
        is_here=lambda namespace, name: namespace == "" and name.startswith("api_token"),
        is_secondary=True,
    ),
)
landing_register(
    Landing(
        key="network_overview",
        order=10,
        applies=lambda access: access.can_see_network,
        url_name="network_overview",
    ),
    Landing(
        key="dealer_staff", order=20, applies=_runs_a_dealer_only, url_name="dealer_staff", url_kwargs=_admin_dealer
    ),
)
