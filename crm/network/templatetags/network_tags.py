from django import template

from crm.network.models import Role

register = template.Library()

_ROLE_ORDER = [value for value, _label in Role.choices]


@register.simple_tag
def role_names(access) -> str:
    """The user's roles in words, most senior last: "Salesperson · Sales manager"."""
    labels = dict(Role.choices)
    held = sorted(getattr(access, "roles", ()), key=_ROLE_ORDER.index)
    return " · ".join(str(labels[role]) for role in held)


@register.filter
def initials(user) -> str:
    name = (user.get_full_name() or user.get_username() or "?").strip()
    if any("\u4e00" <= char <= "\u9fff" for char in name):
        return name[-2:] if len(name) > 2 else name
    parts = name.split()
    return "".join(part[0] for part in parts[:2]).upper()


@register.filter
def widget(field):
    """The field's widget, marked invalid when it has errors (Bootstrap's red outline)."""
    if not field.errors:
        return field.as_widget()
    css = field.field.widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{css} is-invalid".strip(), "aria-invalid": "true"})


@register.filter
def minutes(delta) -> int:
    """A timedelta in whole minutes, at least one (for "try again in N minutes")."""
    return max(1, round(delta.total_seconds() / 60)) if delta else 0
