"""Keeping the daily facts (dealers.models.facts) equal to the measures' recomputation from the raw rows.

Guarantees:
- A refresh *rewrites* the cells it is given from `Measure.compute` (the apps' raw rows as they are now): it
  never adds to a cell, so refreshing a cell twice, or after a replayed or late event, leaves it as once.
- A refresh locks the cells' `FactDay` rows (in dealer, day order) before it reads the raw rows, so two refreshes
  of one cell run one after the other and the later one reads what the earlier saw, or newer: a cell is never
  left older than the last refresh that touched it.
- A timeline event refreshes only the measures whose `changed_by` names its kind, on the cells `Measure.cells`
  says it may have moved (the event's dealer and day by default); `facts_rederive` recomputes every measure of
  every active dealer over recent days each night (merges, contact points, late contacts, and follow-ups that
  fell overdue with no event).
Callers run network-wide (a timeline subscriber and the nightly task are): facts are computed for every dealer.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from crm.core import key_figures
from crm.core.key_figures import MeasureKind
from crm.network.models import Dealer
from dealers.models import DailyFact, FactDay

Cell = tuple[int, date]


def _days(first_day: date, last_day: date) -> list[date]:
    return [first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]


def _is_empty(kind: MeasureKind, total) -> bool:
    return not total  # 0, 0.0, Decimal(0) or []


@transaction.atomic
def facts_refresh(*, cells: Iterable[Cell], measure_codes: Iterable[str] | None = None) -> int:
    """Recompute these measures (default: every registered measure) on these dealer × local-day cells, in one
    transaction. Returns how many fact rows the cells now hold."""
    cells = sorted(set(cells))
    if not cells:
        return 0
    codes = sorted(set(measure_codes) if measure_codes is not None else {m.code for m in key_figures.measures()})
    dealer_ids = sorted({dealer_id for dealer_id, _day in cells})
    first_day, last_day = min(day for _d, day in cells), max(day for _d, day in cells)
    wanted = set(cells)

    # Take the cells' locks first (creating the rows that are missing), then read the raw rows.
    FactDay.objects.bulk_create(
        [FactDay(dealer_id=dealer_id, day=day) for dealer_id, day in cells], ignore_conflicts=True
    )
    locked = list(
        FactDay.objects.select_for_update()
        .filter(dealer_id__in=dealer_ids, day__gte=first_day, day__lte=last_day)
        .order_by("dealer_id", "day")
        .values_list("id", "dealer_id", "day")
    )
    fact_day_ids = [fact_day_id for fact_day_id, dealer_id, day in locked if (dealer_id, day) in wanted]

    computed: dict[tuple[int, date, str], object] = {}
    for code in codes:
        measure = key_figures.measure_get(code)
        for dealer_id, day, value in measure.compute(dealer_ids=dealer_ids, first_day=first_day, last_day=last_day):
            if (dealer_id, day) not in wanted:
                continue
            key = (dealer_id, day, code)
            computed[key] = key_figures.add_to_total(
                measure.kind, computed.get(key, key_figures.empty_total(measure.kind)), value
            )

    stale = DailyFact.objects.filter(
        dealer_id__in=dealer_ids, day__gte=first_day, day__lte=last_day, measure__in=codes
    )
    stale_ids = [
        fact_id for fact_id, dealer_id, day in stale.values_list("id", "dealer_id", "day") if (dealer_id, day) in wanted
    ]
    DailyFact.objects.filter(id__in=stale_ids).delete()
    rows = []
    for (dealer_id, day, code), total in computed.items():
        kind = key_figures.measure_get(code).kind
        if _is_empty(kind, total):
            continue
        if kind == MeasureKind.VALUES:
            rows.append(DailyFact(dealer_id=dealer_id, day=day, measure=code, values=[float(v) for v in total]))
        else:
            rows.append(DailyFact(dealer_id=dealer_id, day=day, measure=code, number=Decimal(str(total))))
    DailyFact.objects.bulk_create(rows, batch_size=2000)
    # Each cell now knows these measures (and keeps the ones it knew).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE dealers_factday SET refreshed_at = now(),"
            " measures = ARRAY(SELECT DISTINCT unnest(measures || %s::varchar[]) ORDER BY 1)"
            " WHERE id = ANY(%s)",
            [codes, fact_day_ids],
        )
    return len(rows)


def event_cells(event) -> dict[Cell, set[str]]:
    """The cells an event may have moved, each with the measures to recompute there."""
    by_cell: dict[Cell, set[str]] = defaultdict(set)
    for measure in key_figures.measures():
        if event.kind not in measure.changed_by:
            continue
        if measure.cells is not None:
            cells = measure.cells(event)
        elif event.dealer_id is not None:
            zone = ZoneInfo(Dealer.objects.values_list("time_zone", flat=True).get(id=event.dealer_id))
            cells = [(event.dealer_id, event.occurred_at.astimezone(zone).date())]
        else:
            cells = []
        for cell in cells:
            by_cell[cell].add(measure.code)
    return by_cell


def facts_on_event(event) -> int:
    """The timeline subscriber: recompute the measures the event may have moved, on the cells it may have moved
    (grouped so that cells needing the same measures are recomputed together). Safe to run twice."""
    by_codes: dict[tuple[str, ...], list[Cell]] = defaultdict(list)
    for cell, codes in event_cells(event).items():
        by_codes[tuple(sorted(codes))].append(cell)
    written = 0
    for codes, cells in sorted(by_codes.items()):
        # One refresh per dealer: a day range across dealers would compute rows nobody asked for.
        by_dealer: dict[int, list[Cell]] = defaultdict(list)
        for cell in cells:
            by_dealer[cell[0]].append(cell)
        for dealer_cells in by_dealer.values():
            written += facts_refresh(cells=dealer_cells, measure_codes=codes)
    return written


def rederive_days(*, days: int, today: date | None = None) -> tuple[date, date]:
    """The local days the nightly pass recomputes: the last `days`, today, and tomorrow (already today east of
    the server)."""
    today = today or timezone.localdate()
    return today - timedelta(days=days), today + timedelta(days=1)


def facts_rederive(*, dealer_ids: Iterable[int], first_day: date, last_day: date) -> int:
    """Recompute every measure of these dealers over these local days, in one transaction."""
    return facts_refresh(cells=[(dealer_id, day) for dealer_id in dealer_ids for day in _days(first_day, last_day)])


def dealer_batches(*, size: int = 100) -> list[list[int]]:
    """Every active dealer's id, in batches the nightly pass recomputes one transaction (and task) each."""
    dealer_ids = list(Dealer.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    return [dealer_ids[start : start + size] for start in range(0, len(dealer_ids), size)]
