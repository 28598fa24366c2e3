"""The timeline kinds the owner club writes on a customer's timeline.

- loyalty.member_joined: member (id), number, via (delivery | dealer)
- loyalty.tier_changed: member, from, to (tier codes, empty for none)
"""

from django.utils.translation import gettext_lazy as _

from crm.timeline.registry import kind_register

MEMBER_JOINED = "loyalty.member_joined"
TIER_CHANGED = "loyalty.tier_changed"

kind_register(MEMBER_JOINED, label=_("Joined the owner club"), summary=_("Club member %(number)s"), icon="award")
kind_register(TIER_CHANGED, label=_("Club tier"), summary=_("Club tier: %(to_name)s"), icon="award-fill")
