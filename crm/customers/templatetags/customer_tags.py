from django import template

from crm.customers.normalize import phone_display
from crm.timeline.registry import event_summary, kind_get

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """138 1234 5678 for a Chinese number, +1 415-555-0100 for a foreign one."""
    return phone_display(value) if value else ""


@register.filter
def event_text(event) -> str:
    return event_summary(event)


@register.filter
def event_icon(event) -> str:
    return kind_get(event.kind).icon


@register.filter
def event_label(event) -> str:
    return str(kind_get(event.kind).label)


@register.filter
def initial(name: str) -> str:
    name = (name or "?").strip()
    return name[:1].upper()


@register.filter
def primary_phone(customer) -> str:
    """The customer's primary phone (from the prefetched contact points: no query), formatted."""
    phones = [p for p in customer.contact_points.all() if p.kind == "phone" and not p.is_invalid]
    phones.sort(key=lambda p: not p.is_primary)
    return phone_display(phones[0].value) if phones else ""
