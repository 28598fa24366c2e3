"""Template helpers of the bell."""

from django import template

from crm.core.humanize import relative_text

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
    """How long ago, in the largest sensible unit ("3 hours ago"), by the rule every page uses."""
    return relative_text(value) if value else ""


@register.filter
def notification_icon(kind: str) -> str:
    return KIND_ICONS.get(kind, "bell")
