"""Durations, relative times and dated headings in the reader's language, in the largest sensible unit.

"6377 分钟前" is exact and unreadable; "4 天前" is what a person says. One rule for every page:
under two hours in minutes (a first-response deadline is two hours, so its countdown needs them), under
two days in hours, beyond that in days. Figures round down, so "left" never promises more than there is.
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy

MINUTES_SHOWN_UNDER = 120
HOURS_SHOWN_UNDER = 48 * 60

_WEEKDAYS = (
    pgettext_lazy("weekday in a dated heading", "Monday"),
    pgettext_lazy("weekday in a dated heading", "Tuesday"),
    pgettext_lazy("weekday in a dated heading", "Wednesday"),
    pgettext_lazy("weekday in a dated heading", "Thursday"),
    pgettext_lazy("weekday in a dated heading", "Friday"),
    pgettext_lazy("weekday in a dated heading", "Saturday"),
    pgettext_lazy("weekday in a dated heading", "Sunday"),
)


def duration_text(minutes: int | float) -> str:
    """A length of time given in minutes, in its largest sensible unit: "95 min", "5 hours", "4 days".
    Negative values read as their size (the caller says "ago", "late" or "left")."""
    minutes = int(abs(minutes))
    if minutes < MINUTES_SHOWN_UNDER:
        # "min" needs no plural in English, so the page's script can count it down with the same words.
        return gettext("%(count)s min") % {"count": minutes}
    if minutes < HOURS_SHOWN_UNDER:
        hours = minutes // 60
        return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    days = minutes // (24 * 60)
    return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def relative_text(moment: datetime, now: datetime | None = None) -> str:
    """ "4 days ago", "in 2 hours", or "just now" within the minute."""
    now = now or timezone.now()
    seconds = (moment - now).total_seconds()
    if abs(seconds) < 60:
        return gettext("just now")
    text = duration_text(seconds / 60)
    return (gettext("in %(time)s") if seconds > 0 else gettext("%(time)s ago")) % {"time": text}


def weekday_date(value: date | datetime) -> str:
    """A day with its weekday, for page headings: "Thursday, 3 December" / "12月3日 周四"."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return pgettext("weekday and day of a dated heading", "%(weekday)s, %(date)s") % {
        "weekday": _WEEKDAYS[value.weekday()],
        "date": date_format(value, "MONTH_DAY_FORMAT"),
    }
