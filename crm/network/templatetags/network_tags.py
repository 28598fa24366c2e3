from django import template

from crm.core.names import is_east_asian, staff_name
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
    """The avatar's letters: a Chinese name's given name (its last two characters, as colleagues call each
    other: 张伟 → 张伟, 欧阳明 → 阳明), else the first letters of the first two words (Grace Huang → GH)."""
    name = staff_name(user).strip() or "?"
    if is_east_asian(name):
        return name[-2:]
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
