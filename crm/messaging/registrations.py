"""What messaging lends to the core's registries: its header entries."""

from django.utils.translation import gettext_lazy as _

from crm.core.navigation import NavEntry, nav_register
from crm.messaging.permissions import rights_of


def _manages_messages(access) -> bool:
    return rights_of(access).can_manage_any


def _follows_campaigns(access) -> bool:
    return rights_of(access).can_view_campaigns


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
