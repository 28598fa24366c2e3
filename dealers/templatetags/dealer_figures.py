"""How a key figure reads on the dealers' pages and exports: its value in its unit, a change since the previous
period, a rank ("3rd of 12"), and a judged cell in words and a sign, so it reads without colour.

Load with `{% load dealer_figures %}`. Exports call the same functions, so a page and a file say the same."""

from django import template
from django.utils.translation import get_language, gettext, pgettext

from crm.core.humanize import duration_text
from crm.core.key_figures import Unit

register = template.Library()


def value_text(value, unit: str) -> str:
    if value is None:
        return "–"
    number = float(value)
    if unit == Unit.COUNT:
        return f"{round(number):,}"
    if unit == Unit.PERCENT:
        return f"{number:.1f} %"
    if unit == Unit.MINUTES:
        return duration_text(number)
    if unit == Unit.HOURS:
        return duration_text(number * 60)
    if unit == Unit.DAYS:
        return gettext("%(value)s d") % {"value": f"{number:.1f}"}
    if unit == Unit.CURRENCY:
        return f"¥{number:,.2f}"
    return f"{number:.1f}" if number != int(number) else f"{int(number)}"


def change_text(change, unit: str) -> str:
    if change is None:
        return ""
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    size = abs(float(change))
    if unit == Unit.PERCENT:
        return gettext("%(sign)s%(value)s pts") % {"sign": sign, "value": f"{size:.1f}"}
    return sign + value_text(size, unit)


def rank_text(rank: int, count: int) -> str:
    """"3rd of 12" / "第3名（共12家）"."""
    if (get_language() or "").startswith("zh"):
        ordinal = str(rank)
    else:
        suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
        ordinal = f"{rank}{suffix}"
    return gettext("%(rank)s of %(count)s") % {"rank": ordinal, "count": count}


SIGNS = {"good": "▲", "bad": "▼", "par": "=", "none": "·"}


def status_text(status: str, reference_kind: str) -> str:
    """The judgement in words: "better than target", "worse than the region's median", …"""
    if status == "none":
        return gettext("nothing to compare") if reference_kind else gettext("nothing to measure")
    against = (
        pgettext("compared with", "target") if reference_kind == "target" else pgettext("compared with", "region median")
    )
    words = {
        "good": gettext("better than %(reference)s"),
        "bad": gettext("worse than %(reference)s"),
        "par": gettext("at %(reference)s"),
    }[status]
    return words % {"reference": against}


@register.filter
def figure_value(value, unit):
    """`{{ cell.value.value|figure_value:cell.figure.unit }}`"""
    return value_text(value, unit)


@register.filter
def figure_change(change, unit):
    return change_text(change, unit)


@register.simple_tag
def rank(position: tuple[int, int] | None) -> str:
    return rank_text(*position) if position else "–"


@register.filter
def status_sign(status: str) -> str:
    return SIGNS.get(status, "")


@register.filter
def status_words(cell) -> str:
    return status_text(cell.status, cell.reference_kind)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
