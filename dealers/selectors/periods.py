"""The periods the dealers' pages offer (this month, last month, the last three months, custom), each with
the period it is compared with, and the months of a trend. Pure date arithmetic in the OEM's zone."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from dealers.selectors.figures import Period

PERIOD_CHOICES = [
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("last_3_months", _("Last 3 months")),
    ("custom", _("Custom")),
]
DEFAULT_PERIOD = "this_month"
MAX_PERIOD_DAYS = 731
TREND_MONTHS = 6


@dataclass(frozen=True)
class Compared:
    """A period and the one it is compared with (its trend)."""

    key: str
    current: Period
    previous: Period


def month_start(day: date, months_back: int = 0) -> date:
    year, month = day.year, day.month - months_back
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _same_day_in(first: date, day_of_month: int) -> date:
    return first.replace(day=min(day_of_month, calendar.monthrange(first.year, first.month)[1]))


def compared_period(key: str, *, today: date, first_day: date | None = None, last_day: date | None = None) -> Compared:
    """`key`'s days and the days it is compared with: this month so far against last month's same days; a
    whole month (or three) against the one (three) before; a custom period against as many days before it."""
    if key == "this_month":
        first = month_start(today)
        previous_first = month_start(today, 1)
        return Compared(key, Period(first, today), Period(previous_first, _same_day_in(previous_first, today.day)))
    if key == "last_month":
        first = month_start(today, 1)
        previous_first = month_start(today, 2)
        return Compared(key, Period(first, month_end(first)), Period(previous_first, month_end(previous_first)))
    if key == "last_3_months":
        first, last = month_start(today, 3), month_start(today) - timedelta(days=1)
        previous_first = month_start(today, 6)
        return Compared(key, Period(first, last), Period(previous_first, first - timedelta(days=1)))
    if key != "custom" or first_day is None or last_day is None:
        raise ValueError(f"unknown period {key!r}")
    length = (last_day - first_day).days + 1
    return Compared(
        key,
        Period(first_day, last_day),
        Period(first_day - timedelta(days=length), first_day - timedelta(days=1)),
    )


def trend_months(*, last_day: date, count: int = TREND_MONTHS) -> list[Period]:
    """The `count` calendar months up to the one holding `last_day`, oldest first (the last one ends on
    `last_day`, so the current month is the month so far)."""
    months = []
    for back in range(count - 1, -1, -1):
        first = month_start(last_day, back)
        months.append(Period(first, min(month_end(first), last_day)))
    return months
