"""How values read on every page: names, stored codes, durations, relative times, dated headings.

Load with `{% load display %}`. Each filter calls the core function that Python code calls too, so a page,
an export and a message say the same thing."""

from django import template
from django.utils import timezone

from crm.core import choices, humanize, names

register = template.Library()


@register.filter
def display_name(person) -> str:
    """`{{ lead.owner|display_name }}`, `{{ lead.customer|display_name }}`: "张伟", "Grace Huang", the
    username of a staff member without a name, "(no name)" for a customer without one, "" for nobody."""
    return names.display_name(person)


@register.filter
def choice_label(value, model_field: str) -> str:
    """`{{ code|choice_label:"customers.Consent.status" }}`: a stored code in the reader's words."""
    model, _dot, field = model_field.rpartition(".")
    return choices.choice_label(model, field, value)


@register.filter
def duration(value, unit: str = "minutes") -> str:
    """`{{ 6377|duration }}` → "4 days" / "4 天": minutes (or, with `:"hours"`, hours) in the largest
    sensible unit."""
    if value is None or value == "":
        return ""
    return humanize.duration_text(float(value) * (60 if unit == "hours" else 1))


@register.filter
def since(moment) -> str:
    """`{{ follow_up.due_at|since }}` → "2 days": how long ago the moment passed (0 minutes if it has not)."""
    if not moment:
        return ""
    return humanize.duration_text(max(0, humanize.minutes_between(moment, timezone.now())))


@register.filter
def minutes_since(moment) -> int:
    """`{{ lead.sla_due_at|minutes_since }}` → 6377: whole minutes since the moment (0 if still ahead)."""
    return max(0, humanize.minutes_between(moment, timezone.now())) if moment else 0


@register.filter
def ago(moment) -> str:
    """`{{ notification.created_at|ago }}` → "3 hours ago", "in 2 days", "just now"."""
    return humanize.relative_text(moment) if moment else ""


@register.filter
def weekday_date(value) -> str:
    """`{{ today|weekday_date }}` → "Thursday, 3 December" / "12月3日 周四"."""
    return humanize.weekday_date(value) if value else ""


@register.simple_tag
def today_with_weekday() -> str:
    """`{% today_with_weekday %}`: today in the current time zone, with its weekday."""
    return humanize.weekday_date(timezone.localdate())
