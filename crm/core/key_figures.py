"""Key figures: the numbers the OEM judges its dealers by, registered by the apps that own them.

An app registers, from its `registrations` module, each figure it owns and the *measures* the figure is made
of. The core knows no app; `dealers` builds its compliance pages, rankings, heat tables and scorecards from
whatever is registered, so a figure `service` or `loyalty` adds later appears there without a change.

- A **measure** is an additive quantity per dealer and per local day of that dealer: a count, a sum, or the
  list of values a median needs. Its owner computes it from its own rows (`compute`), which is the
  recomputation from the raw rows that `dealers` keeps as daily facts and checks its facts against.
- A **figure** combines the totals of its measures over the days and dealers asked for (a dealer's month, a
  region, the network), so a ratio is never an average of ratios and a median is taken over every value.
  It says how to read it (unit, direction, definition) and where the rows behind a number are listed.

Measures are computed per dealer's local day: a lead that arrived at 23:30 in Shanghai counts on that
Shanghai day, whatever the server's zone.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from statistics import median
from typing import Any

from django.db.models import DateField, F, Func, QuerySet


class Unit(StrEnum):
    COUNT = "count"
    PERCENT = "percent"  # 0–100
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    CURRENCY = "currency"  # yuan, exact decimals
    SCORE = "score"  # 0–100 or 0–10 (NPS: −100…100), as the figure's definition says


class MeasureKind(StrEnum):
    COUNT = "count"  # integers, summed
    SUM = "sum"  # numbers, summed
    VALUES = "values"  # lists of numbers, concatenated (medians, percentiles, shares under a limit)


# (dealer_ids, first_day, last_day) -> (dealer_id, local day, value) rows, from the owner's raw rows.
MeasureCompute = Callable[..., Iterable[tuple[int, date, Any]]]


@dataclass(frozen=True)
class Measure:
    code: str
    kind: MeasureKind
    compute: MeasureCompute
    # The timeline event kinds after which the measure may have changed for the event's dealer and day (the
    # facts refresh those cells from `compute`; a nightly pass re-derives recent days anyway).
    changed_by: tuple[str, ...] = ()
    # Which (dealer id, local day) cells an event of those kinds may have changed; None: the event's dealer on
    # the local day it occurred. (A lead event moves the day the lead arrived, which is not the event's day.)
    cells: Callable[[Any], Iterable[tuple[int, date]]] | None = None
    # The person dimension (who the rows belong to: a lead's salesperson, a repair order's advisor): for one
    # dealer and period, (person's user id or None for nobody's, value) rows from the raw rows. None: the
    # measure is not kept per person. Never kept as facts: one dealer × period is small enough to read raw.
    per_person: Callable[..., Iterable[tuple[int | None, Any]]] | None = None


@dataclass(frozen=True)
class FigureValue:
    """A figure's value for one dealer (or a region, the network) and period. `value` is None when there is
    nothing to measure (no leads arrived: no response time), which is not the same as zero."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None


Combine = Callable[[Mapping[str, Any]], FigureValue]
# (dealer_id or None for every dealer in scope, first_day, last_day) -> the URL listing the rows behind. A
# figure whose measures have a person dimension also takes `person_id=` (the rows of that person only).
RowsUrl = Callable[..., str]


@dataclass(frozen=True)
class KeyFigure:
    code: str
    owner: str  # the app label that registered it
    label: Any  # a lazy translation
    unit: Unit
    higher_is_better: bool
    definition: Any  # a lazy translation, shown beside the figure
    measures: tuple[str, ...]
    combine: Combine
    group: str = "leads"  # how pages group figures: "response", "follow_up", "conversion", "service", …
    order: int = 0
    rows_url: RowsUrl | None = None
    # A figure the OEM may put on a scorecard (a plain count of leads received is context, not a score).
    is_scorable: bool = True
    tags: frozenset[str] = field(default_factory=frozenset)


# Tags pages read: a figure split per person on a dealer's page (its measures have the person dimension), and a
# figure that is one part of a breakdown (a mix of shares, shown as a table rather than a card of its own).
PER_PERSON = "per_person"
BREAKDOWN = "breakdown"


@dataclass
class _Registry:
    measures: dict[str, Measure] = field(default_factory=dict)
    figures: dict[str, KeyFigure] = field(default_factory=dict)


_registry = _Registry()


def measure_register(*measures: Measure) -> None:
    """Register measures (idempotent by code, so a second `ready()` replaces rather than doubles)."""
    for measure in measures:
        _registry.measures[measure.code] = measure


def figure_register(*figures: KeyFigure) -> None:
    for figure in figures:
        unknown = set(figure.measures) - set(_registry.measures)
        if unknown:
            raise ValueError(f"{figure.code}: register its measures first: {sorted(unknown)}")
        _registry.figures[figure.code] = figure


def measures() -> list[Measure]:
    return sorted(_registry.measures.values(), key=lambda m: m.code)


def measure_get(code: str) -> Measure:
    return _registry.measures[code]


def figures() -> list[KeyFigure]:
    return sorted(_registry.figures.values(), key=lambda f: (f.group, f.order, f.code))


def figure_get(code: str) -> KeyFigure:
    return _registry.figures[code]


# --- Totals and the usual ways of combining them ------------------------------------------------------------


def empty_total(kind: MeasureKind):
    return [] if kind == MeasureKind.VALUES else 0


def add_to_total(kind: MeasureKind, total, value):
    if kind == MeasureKind.VALUES:
        return [*total, *value]
    return total + value


# --- Counting rows on a dealer's local days (what every owner's `compute` does) ---------------------------------

# The widest gap between UTC and a local clock (Kiribati, +14): an index range on the instant this much wider
# than the local days holds every row of those days; the dealer's zone then decides.
_WIDEST_OFFSET = timedelta(days=1)


class LocalDay(Func):
    """The dealer-local date of an instant: (instant AT TIME ZONE dealer's zone)::date."""

    template = "(timezone(%(expressions)s))::date"
    output_field = DateField()

    def __init__(self, instant: str, zone: str = "dealer__time_zone"):
        super().__init__(F(zone), F(instant))


def on_local_days(rows: QuerySet, instant: str, *, dealer_ids, first_day: date, last_day: date) -> QuerySet:
    """The rows whose `instant` falls on their dealer's local days first_day…last_day, annotated with
    `local_day` (rows with a `dealer` relation). `dealer_ids` None: every dealer `rows` holds."""
    start = datetime.combine(first_day, time.min, tzinfo=UTC) - _WIDEST_OFFSET
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC) + _WIDEST_OFFSET
    rows = rows.filter(**{f"{instant}__gte": start, f"{instant}__lt": end})
    if dealer_ids is not None:
        rows = rows.filter(dealer_id__in=list(dealer_ids))
    return rows.annotate(local_day=LocalDay(instant)).filter(local_day__gte=first_day, local_day__lte=last_day)


def totals_from_raw(*, codes: Iterable[str], dealer_ids, first_day: date, last_day: date) -> dict[str, Any]:
    """Every measure in `codes` totalled over these dealers and days, computed from the owners' raw rows: the
    reference the dealers' daily facts must equal (and the simplest way to answer a small question)."""
    totals = {}
    for code in codes:
        measure = measure_get(code)
        total = empty_total(measure.kind)
        for _dealer_id, _day, value in measure.compute(
            dealer_ids=list(dealer_ids), first_day=first_day, last_day=last_day
        ):
            total = add_to_total(measure.kind, total, value)
        totals[code] = total
    return totals


def has_person_dimension(figure: KeyFigure) -> bool:
    """Whether every measure of the figure is kept per person (so the figure can be split by person)."""
    return all(measure_get(code).per_person is not None for code in figure.measures)


def person_totals(*, codes: Iterable[str], dealer_id: int, first_day: date, last_day: date) -> dict[int | None, dict]:
    """Every measure in `codes` (each with a person dimension) totalled per person over one dealer's days, from
    the owners' raw rows: {person id (None: nobody's rows): {measure code: total}}; a person without rows for a
    measure gets its empty total, so every figure can be combined for every person listed."""
    codes = list(codes)
    per_person: dict[int | None, dict] = {}
    for code in codes:
        measure = measure_get(code)
        for person_id, value in measure.per_person(dealer_id=dealer_id, first_day=first_day, last_day=last_day):
            totals = per_person.setdefault(person_id, {})
            totals[code] = add_to_total(measure.kind, totals.get(code, empty_total(measure.kind)), value)
    for totals in per_person.values():
        for code in codes:
            totals.setdefault(code, empty_total(measure_get(code).kind))
    return per_person


def ratio(numerator: str, denominator: str, *, percent: bool = True) -> Combine:
    """`numerator / denominator` (× 100 for a percentage); no value when the denominator is zero."""

    def combine(totals: Mapping[str, Any]) -> FigureValue:
        top, bottom = totals[numerator], totals[denominator]
        if not bottom:
            return FigureValue(None, top, bottom)
        return FigureValue(top / bottom * (100 if percent else 1), top, bottom)

    return combine


def total_of(code: str) -> Combine:
    return lambda totals: FigureValue(totals[code])


def median_of(code: str) -> Combine:
    def combine(totals: Mapping[str, Any]) -> FigureValue:
        values = totals[code]
        return FigureValue(median(values) if values else None, None, len(values))

    return combine


def percentile_of(code: str, percent: float) -> Combine:
    """The nearest-rank percentile (p90: the value 90 % of the values are at or under)."""

    def combine(totals: Mapping[str, Any]) -> FigureValue:
        values = sorted(totals[code])
        if not values:
            return FigureValue(None, None, 0)
        rank = max(1, -(-len(values) * percent // 100))  # ceil without floats drifting
        return FigureValue(values[int(rank) - 1], None, len(values))

    return combine


def share_at_most(code: str, limit: float) -> Combine:
    """The percentage of values at or under `limit` (first responses within 30 minutes)."""

    def combine(totals: Mapping[str, Any]) -> FigureValue:
        values = totals[code]
        if not values:
            return FigureValue(None, 0, 0)
        within = sum(1 for value in values if value <= limit)
        return FigureValue(within / len(values) * 100, within, len(values))

    return combine
