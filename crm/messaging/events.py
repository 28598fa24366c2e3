"""The timeline kinds messaging writes. A reply to a campaign is an event other apps react to (leads opens
a campaign-response lead from it)."""

from django.utils.translation import gettext_lazy as _

from crm.timeline.registry import kind_register

MESSAGE_REPLIED = "messaging.replied"

kind_register(
    MESSAGE_REPLIED,
    label=_("Reply"),
    summary=_("Replied to %(campaign_name)s: “%(body)s”"),
    icon="reply",
)
