"""Key figures for dealers and periods, from the measures the apps registered (crm.core.key_figures).

`figure_values` is the one way every page, export, API and scorecard of this app reads a figure. It combines
the measures' totals per dealer. The totals come from the daily facts this app keeps (dealers.models.facts),
and from the apps' raw rows (`Measure.compute`) wherever a fact is not known:

- a dealer × day × measure no refresh has computed yet (a new measure, a day before the facts began);
- the recent days, from yesterday on (by the server's date): some measures move with the clock alone (a
  follow-up falls overdue with no event), and the facts of those days are only rewritten by events and at night.

Both sources give the very same totals (a property test holds the facts equal to the recomputation), so a reader
never knows which one answered. The caller passes dealer ids it may see (the facts and the raw rows are read
under the caller's row-level security scope as well).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from crm.core import key_figures
from crm.core.key_figures import MeasureKind
from dealers.models import DailyFact, FactDay


@dataclass(frozen=True)
class Period:
    """Local days of the dealers, first and last included."""

    first_day: date
    last_day: date

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]


def raw_from() -> date:
    """The first day always read from the raw rows (yesterday, by the server's date)."""
    return timezone.localdate() - timedelta(days=1)


def _as_total(kind: MeasureKind, number):
    if kind == MeasureKind.COUNT:
        return int(number)
    return number if isinstance(number, Decimal) else Decimal(str(number))


def measure_totals(*, codes, dealer_ids, period: Period) -> dict[int, dict[str, object]]:
    """{dealer id: {measure code: total over the period}}: the facts where known, the raw rows elsewhere."""
    codes = sorted(set(codes))
    dealer_ids = sorted(set(dealer_ids))
    measures = {code: key_figures.measure_get(code) for code in codes}
    totals = {
        dealer_id: {code: key_figures.empty_total(measure.kind) for code, measure in measures.items()}
        for dealer_id in dealer_ids
    }
    if not dealer_ids or not codes:
        return totals

    facts_until = min(period.last_day, raw_from() - timedelta(days=1))
    # Which (dealer, day) cells know which measures: the rest is read from the raw rows.
    unknown: dict[str, set[tuple[int, date]]] = {code: set() for code in codes}
    if period.first_day <= facts_until:
        fact_days = Period(period.first_day, facts_until).days
        covered = FactDay.objects.filter(dealer_id__in=dealer_ids, day__gte=period.first_day, day__lte=facts_until)
        # Most dealers know every measure on every day: one count tells; only the others are looked at per day.
        complete = {
            dealer_id
            for dealer_id, days in covered.filter(measures__contains=codes)
            .order_by()
            .values("dealer_id")
            .annotate(n=Count("id"))
            .values_list("dealer_id", "n")
            if days == len(fact_days)
        }
        incomplete = [dealer_id for dealer_id in dealer_ids if dealer_id not in complete]
        if incomplete:
            known = {
                (dealer_id, day): set(known_codes)
                for dealer_id, day, known_codes in covered.filter(dealer_id__in=incomplete).values_list(
                    "dealer_id", "day", "measures"
                )
            }
            for dealer_id in incomplete:
                for day in fact_days:
                    for code in set(codes) - known.get((dealer_id, day), set()):
                        unknown[code].add((dealer_id, day))
        facts = DailyFact.objects.filter(
            dealer_id__in=dealer_ids, day__gte=period.first_day, day__lte=facts_until, measure__in=codes
        ).order_by()
        numbers = [code for code in codes if measures[code].kind != MeasureKind.VALUES]
        values = [code for code in codes if measures[code].kind == MeasureKind.VALUES]
        if numbers:
            for dealer_id, code, number in (
                facts.filter(measure__in=numbers).values("dealer_id", "measure").annotate(n=Sum("number"))
            ).values_list("dealer_id", "measure", "n"):
                totals[dealer_id][code] = key_figures.add_to_total(
                    measures[code].kind, totals[dealer_id][code], _as_total(measures[code].kind, number)
                )
        if values:
            for dealer_id, code, fact_values in facts.filter(measure__in=values).values_list(
                "dealer_id", "measure", "values"
            ):
                totals[dealer_id][code].extend(fact_values)

    # The raw rows: the unknown cells, and the recent days.
    recent_from = max(period.first_day, facts_until + timedelta(days=1))
    if recent_from <= period.last_day:
        for code in codes:
            unknown[code] |= {
                (dealer_id, day) for dealer_id in dealer_ids for day in Period(recent_from, period.last_day).days
            }
    for code, cells in unknown.items():
        if not cells:
            continue
        measure = measures[code]
        cell_dealers = sorted({dealer_id for dealer_id, _day in cells})
        first, last = min(day for _d, day in cells), max(day for _d, day in cells)
        for dealer_id, day, value in measure.compute(dealer_ids=cell_dealers, first_day=first, last_day=last):
            if (dealer_id, day) in cells:
                totals[dealer_id][code] = key_figures.add_to_total(measure.kind, totals[dealer_id][code], value)
    return totals


def figure_values(*, codes, dealer_ids, period: Period) -> dict[str, dict[int, key_figures.FigureValue]]:
    """{figure code: {dealer id: value}} for these dealers over the period."""
    wanted = [key_figures.figure_get(code) for code in codes]
    measure_codes = sorted({code for figure in wanted for code in figure.measures})
    totals = measure_totals(codes=measure_codes, dealer_ids=dealer_ids, period=period)
    return {
        figure.code: {dealer_id: figure.combine(totals[dealer_id]) for dealer_id in totals} for figure in wanted
    }


def figure_values_together(*, codes, dealer_ids, period: Period) -> dict[str, key_figures.FigureValue]:
    """{figure code: value} for these dealers taken together (a region, the network): the figure of their summed
    totals, so a ratio is the ratio of the totals and a median is taken over every value."""
    wanted = [key_figures.figure_get(code) for code in codes]
    measure_codes = sorted({code for figure in wanted for code in figure.measures})
    per_dealer = measure_totals(codes=measure_codes, dealer_ids=dealer_ids, period=period)
    together: dict[str, object] = defaultdict(lambda: None)
    for code in measure_codes:
        kind = key_figures.measure_get(code).kind
        total = key_figures.empty_total(kind)
        for dealer_totals in per_dealer.values():
            total = key_figures.add_to_total(kind, total, dealer_totals[code])
        together[code] = total
    return {figure.code: figure.combine(together) for figure in wanted}
