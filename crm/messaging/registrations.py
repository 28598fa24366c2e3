"""What messaging lends to the core's registries: its header entries."""

from django.utils.translation import gettext_lazy as _

from crm.core.navigation import NavEntry, nav_register
from crm.network.models import DEALER_MANAGER_ROLES, Role


def _manages_messages(access) -> bool:
    """A dealer's managers run its campaigns and keep its message library; OEM admins the network's."""
    return bool(access.dealers_where(*DEALER_MANAGER_ROLES)) or access.has_role(Role.OEM_ADMIN)


def _follows_campaigns(access) -> bool:
    """Regional managers follow the campaigns of their region's dealers, read-only."""
    return _manages_messages(access) or access.has_role(Role.REGIONAL_MANAGER)


def _here(*words: str):
    return lambda namespace, name: namespace == "messaging" and any(word in (name or "") for word in words)


nav_register(
    NavEntry(
        key="messaging_campaigns",
        label=_("Campaigns"),
        url_name="messaging:campaigns",
        icon="megaphone",
        order=50,
        allowed=_follows_campaigns,
        is_here=lambda namespace, name: namespace == "messaging" and (name or "").startswith("campaign"),
    ),
    NavEntry(
        key="messaging_templates",
        label=_("Message templates"),
        url_name="messaging:templates",
        icon="chat-square-text",
        order=70,
        allowed=_manages_messages,
        is_here=_here("template"),
        is_secondary=True,
    ),
    NavEntry(
        key="messaging_segments",
        label=_("Segments"),
        url_name="messaging:segments",
        icon="funnel-fill",
        order=71,
        allowed=_manages_messages,
        is_here=_here("segment"),
        is_secondary=True,
    ),
    NavEntry(
        key="messaging_care",
        label=_("Care messages"),
        url_name="messaging:care",
        icon="balloon-heart",
        order=72,
        allowed=_manages_messages,
        is_here=_here("care"),
        is_secondary=True,
    ),
)
