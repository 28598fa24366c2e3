"""The first-response SLA clock: minutes that count only while the dealer is open, in its own time zone.

A lead's clock runs only inside the dealer's business hours (``Dealer.business_hours``, read in
``Dealer.time_zone``). This module is pure: no database, no settings, no Django import, so the clock can
be used by services, selectors, tasks and reports alike and tested without a database.

How wall-clock times become instants, on days when the clock jumps:

- A time that occurs twice (the hour repeated when summer time ends) is read as its first occurrence.
- A time the clock skips (the hour lost when summer time starts) is read as the instant the clock jumps,
  the first real instant at which the dealer's clock shows that time or later.
- ``"24:00"`` closes a span at the next midnight.

So a span counts the real minutes that pass between its opening and its closing: a 00:00–05:00 span
lasts 240 minutes on the spring-forward day and 360 on the fall-back day in America/New_York.

Every span is half-open: the dealer is open at its opening instant and closed at its closing instant.
Weekdays missing from ``business_hours`` are closed days, like weekdays with an empty list.
"""

import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

# The same keys as crm.network.models.WEEKDAYS, repeated so that this module stays importable without
# Django's app registry (it is used from plain scripts and database-free tests).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

BusinessHours = Mapping[str, Sequence[Sequence[str]]]

# A dealer whose schedule has opening hours is never closed this long in a row (a span lost to a
# skipped hour comes back the next week), so a longer closed stretch means the loop would never end.
_LONGEST_POSSIBLE_CLOSED_STRETCH_DAYS = 14

_ONE_DAY = timedelta(days=1)


def business_deadline(
    start: datetime, minutes: int, *, business_hours: BusinessHours, time_zone: str
) -> datetime:
    """Return the instant at which ``minutes`` business minutes have passed since ``start``.

    A lead that arrives while the dealer is closed starts counting at the next opening; with
    ``minutes=0`` the result is ``start`` itself when the dealer is open, otherwise the next opening.

    Preconditions: ``start`` is aware (any time zone); ``minutes >= 0``.
    Guarantees: the result is an aware UTC datetime, and
    ``business_minutes_between(start, result, ...) == minutes``. The work grows with the number of
    calendar days the deadline lies ahead, never with the number of minutes.
    Raises ``ValueError`` for a naive ``start``, negative ``minutes``, an unknown time zone, malformed
    business hours, or a dealer that is never open (no deadline exists).
    """
    start_utc = _as_utc(start, name="start")
    if minutes < 0:
        raise ValueError(f"minutes must be zero or more, got {minutes}.")
    zone = _zone(time_zone)
    spans_by_weekday = _parse_business_hours(business_hours)
    if not any(spans_by_weekday):
        raise ValueError("The dealer has no business hours on any weekday, so the SLA clock never runs.")

    remaining = timedelta(minutes=minutes)
    for opens_at, closes_at in _open_intervals(
        spans_by_weekday, zone, first_day=_local_date(start_utc, zone) - _ONE_DAY
    ):
        if closes_at <= start_utc:
            continue
        counting_from = max(opens_at, start_utc)
        available = closes_at - counting_from
        if remaining <= available:
            return counting_from + remaining
        remaining -= available
    # _open_intervals only stops when the dealer turned out never to be open.
    raise ValueError("The dealer's business hours never open, so the SLA clock never runs.")


def business_minutes_between(
    start: datetime, end: datetime, *, business_hours: BusinessHours, time_zone: str
) -> int:
    """Return the whole business minutes that passed from ``start`` to ``end`` (rounded down).

    Preconditions: ``start`` and ``end`` are aware (any time zones, not necessarily the same).
    Guarantees: 0 when ``end <= start`` or when the dealer is never open; the inverse of
    ``business_deadline``; the work grows with the number of calendar days between the two instants.
    Raises ``ValueError`` for naive datetimes, an unknown time zone or malformed business hours.
    """
    start_utc = _as_utc(start, name="start")
    end_utc = _as_utc(end, name="end")
    zone = _zone(time_zone)
    spans_by_weekday = _parse_business_hours(business_hours)
    if end_utc <= start_utc or not any(spans_by_weekday):
        return 0

    elapsed = timedelta(0)
    for opens_at, closes_at in _open_intervals(
        spans_by_weekday, zone, first_day=_local_date(start_utc, zone) - _ONE_DAY
    ):
        if opens_at >= end_utc:
            break
        overlap = min(closes_at, end_utc) - max(opens_at, start_utc)
        if overlap > timedelta(0):
            elapsed += overlap
    return int(elapsed.total_seconds() // 60)


def is_open(at: datetime, *, business_hours: BusinessHours, time_zone: str) -> bool:
    """Return whether the dealer is open at ``at`` (aware, any time zone).

    An opening instant counts as open and a closing instant as closed. Raises ``ValueError`` for a
    naive ``at``, an unknown time zone or malformed business hours.
    """
    at_utc = _as_utc(at, name="at")
    zone = _zone(time_zone)
    spans_by_weekday = _parse_business_hours(business_hours)
    if not any(spans_by_weekday):
        return False
    for opens_at, closes_at in _open_intervals(
        spans_by_weekday, zone, first_day=_local_date(at_utc, zone) - _ONE_DAY
    ):
        if opens_at > at_utc:
            return False
        if at_utc < closes_at:
            return True
    return False


def next_opening(at: datetime, *, business_hours: BusinessHours, time_zone: str) -> datetime:
    """Return the first instant at or after ``at`` when the dealer is open, as an aware UTC datetime.

    When the dealer is open at ``at`` the result is ``at`` itself (in UTC), so a lead's clock starts
    at ``next_opening(arrived_at)`` in every case. Raises ``ValueError`` for a naive ``at``, an
    unknown time zone, malformed business hours or a dealer that is never open.
    """
    return business_deadline(at, 0, business_hours=business_hours, time_zone=time_zone)


def _as_utc(value: datetime, *, name: str) -> datetime:
    # A naive datetime has no instant: guessing its zone would silently shift an SLA by hours.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got the naive {value.isoformat()}.")
    return value.astimezone(UTC)


def _zone(time_zone: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{time_zone!r} is not a known time zone.") from error


def _local_date(instant: datetime, zone: zoneinfo.ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def _parse_time(text: str, *, weekday: str) -> tuple[time, bool]:
    """Return the wall-clock time and whether it means the midnight that ends the day ("24:00")."""
    try:
        hours_text, minutes_text = text.split(":")
        hours, minutes = int(hours_text), int(minutes_text)
    except (AttributeError, ValueError) as error:
        raise ValueError(f'{weekday}: {text!r} is not a time written as "HH:MM".') from error
    if (hours, minutes) == (24, 0):
        return time(0, 0), True
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ValueError(f'{weekday}: {text!r} is not a time written as "HH:MM".')
    return time(hours, minutes), False


def _parse_business_hours(
    business_hours: BusinessHours,
) -> tuple[tuple[tuple[tuple[time, bool], tuple[time, bool]], ...], ...]:
    """Return, per weekday (Monday first), the spans as ((open, is_next_midnight), (close, ...))."""
    if not isinstance(business_hours, Mapping):
        raise ValueError("Business hours must map weekdays (mon…sun) to lists of [open, close] times.")
    unknown_days = set(business_hours) - set(WEEKDAYS)
    if unknown_days:
        raise ValueError(f"Business hours name unknown weekdays: {', '.join(sorted(unknown_days))}.")
    parsed = []
    for weekday in WEEKDAYS:
        spans = []
        for span in business_hours.get(weekday) or ():
            if len(span) != 2:
                raise ValueError(f'{weekday}: each span is ["HH:MM", "HH:MM"], got {span!r}.')
            opening = _parse_time(span[0], weekday=weekday)
            closing = _parse_time(span[1], weekday=weekday)
            # (time, is_next_midnight) tuples order "24:00" after every other time of the day.
            if (opening[1], opening[0]) >= (closing[1], closing[0]):
                raise ValueError(f"{weekday}: the span {span!r} must close after it opens.")
            spans.append((opening, closing))
        parsed.append(tuple(spans))
    return tuple(parsed)


def _wall_clock_instant(day: date, wall_time: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """Return the first real instant at which the clock in ``zone`` shows ``wall_time`` on ``day``
    or later: the first occurrence of a repeated time, the jump itself for a skipped time."""
    local = datetime.combine(day, wall_time, tzinfo=zone)  # fold=0: the first occurrence
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # The time falls in a skipped hour. fold=1 reads it with the offset after the jump (an instant
    # before the jump); fold=0 with the offset before it (an instant after the jump). zoneinfo does not
    # expose the transition, so bisect between the two; transitions fall on whole seconds.
    before_jump = int(local.replace(fold=1).astimezone(UTC).timestamp())
    after_jump = int(instant.timestamp())
    offset_after_jump = instant.astimezone(zone).utcoffset()
    while after_jump - before_jump > 1:
        middle = (before_jump + after_jump) // 2
        if datetime.fromtimestamp(middle, tz=zone).utcoffset() == offset_after_jump:
            after_jump = middle
        else:
            before_jump = middle
    return datetime.fromtimestamp(after_jump, tz=UTC)


def _boundary_instant(day: date, boundary: tuple[time, bool], zone: zoneinfo.ZoneInfo) -> datetime:
    wall_time, is_next_midnight = boundary
    return _wall_clock_instant(day + _ONE_DAY if is_next_midnight else day, wall_time, zone)


def _open_intervals(
    spans_by_weekday: Sequence[Sequence[tuple[tuple[time, bool], tuple[time, bool]]]],
    zone: zoneinfo.ZoneInfo,
    *,
    first_day: date,
) -> Iterator[tuple[datetime, datetime]]:
    """Yield the dealer's open intervals [opens, closes) in UTC, in order, from ``first_day`` (local).

    Intervals never overlap, so callers may sum them: overlapping spans of one day are merged, and an
    interval never starts before the previous one closed. Stops (instead of looping forever) after
    more closed days in a row than a dealer with any business hours can have.
    """
    day = first_day
    previous_close: datetime | None = None
    closed_days_in_a_row = 0
    while closed_days_in_a_row <= _LONGEST_POSSIBLE_CLOSED_STRETCH_DAYS:
        intervals = sorted(
            (_boundary_instant(day, opening, zone), _boundary_instant(day, closing, zone))
            for opening, closing in spans_by_weekday[day.weekday()]
        )
        merged: list[tuple[datetime, datetime]] = []
        for opens_at, closes_at in intervals:
            if previous_close is not None:
                opens_at = max(opens_at, previous_close)
            # A span wholly inside a skipped hour has no real minutes.
            if closes_at <= opens_at:
                continue
            if merged and opens_at <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], closes_at))
            else:
                merged.append((opens_at, closes_at))
        closed_days_in_a_row = 0 if merged else closed_days_in_a_row + 1
        for interval in merged:
            yield interval
            previous_close = interval[1]
        day += _ONE_DAY
