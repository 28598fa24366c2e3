"""Template helpers of the bell."""

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

register = template.Library()

KIND_ICONS = {
    "digest": "sunrise",
    "follow_up_due": "alarm",
    "follow_up_overdue": "alarm-fill",
    "sla_due": "hourglass-split",
    "sla_breach": "exclamation-triangle",
    "sla_regional": "megaphone",
}


@register.filter
def ago(value) -> str:
    """How long ago, in its largest unit only ("3 hours ago"); "just now" within the minute."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(value, depth=1)}


@register.filter
def notification_icon(kind: str) -> str:
    return KIND_ICONS.get(kind, "bell")
