"""What the dealers' pages show: the region's ranking and heat table, one dealer's figures and trend, and a
dealer's own view with its rank. Built only from the key-figure registry (crm.core.key_figures) through
`figure_values`, so a figure another app registers later appears here without a change.

Every cell is judged against the figure's target (settings.DEALERS_FIGURE_TARGETS) or, without one,
against the median of the dealer's region for the same period: "good", "par" (within PAR_TOLERANCE of
the reference), "bad", or "none" when there is nothing to measure.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import median

from django.conf import settings
from django.urls import reverse

from crm.core import key_figures
from crm.core.exceptions import NotFound
from crm.core.key_figures import FigureValue, KeyFigure
from crm.core.scope import network_wide
from crm.network.access import access_for
from crm.network.models import Dealer, Region
from dealers import permissions
from dealers.selectors.figures import Period, figure_values
from dealers.selectors.periods import Compared, trend_months

PAR_TOLERANCE = 0.02  # within 2 % of the reference reads as "at" the target or the median
FIX_FIRST_COUNT = 3


# --- The figures a page shows --------------------------------------------------------------------------------


def heat_figures() -> list[KeyFigure]:
    """The heat table's columns: every figure the OEM may score dealers on, in the registry's order."""
    return [figure for figure in key_figures.figures() if figure.is_scorable]


def primary_figure(wanted: str | None = None) -> KeyFigure | None:
    """The figure dealers are ranked on: `wanted` when registered; else settings.DEALERS_PRIMARY_FIGURE;
    else the first figure tagged "primary"; else the first scorable one; else the first registered."""
    registered = {figure.code: figure for figure in key_figures.figures()}
    for code in (wanted, settings.DEALERS_PRIMARY_FIGURE):
        if code and code in registered:
            return registered[code]
    ordered = list(registered.values())
    for candidates in (
        [f for f in ordered if "primary" in f.tags],
        [f for f in ordered if f.is_scorable],
        ordered,
    ):
        if candidates:
            return candidates[0]
    return None


def figure_target(figure: KeyFigure) -> float | None:
    target = getattr(settings, "DEALERS_FIGURE_TARGETS", {}).get(figure.code)
    return None if target is None else float(target)


def rows_url(figure: KeyFigure, dealer_id: int | None, period: Period) -> str | None:
    """The list of the rows behind a number (the same query, the same count), when the figure offers one."""
    if figure.rows_url is None:
        return None
    return figure.rows_url(dealer_id, period.first_day, period.last_day)


# --- Judging a value ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    figure: KeyFigure
    value: FigureValue
    reference: float | None
    reference_kind: str  # "target", "median" or "" (nothing to compare with)
    status: str  # "good", "par", "bad" or "none"
    gap: float | None  # how far worse than the reference, relative to it (negative: better)
    url: str | None

    @property
    def is_measured(self) -> bool:
        return self.value.value is not None


def _gap(figure: KeyFigure, value: float, reference: float) -> float:
    shortfall = (reference - value) if figure.higher_is_better else (value - reference)
    return shortfall / max(abs(reference), 1e-9) if reference else (shortfall and (1.0 if shortfall > 0 else -1.0))


def judge(figure: KeyFigure, value: FigureValue, reference: float | None, reference_kind: str, url) -> Cell:
    if value.value is None or reference is None:
        return Cell(figure, value, reference, reference_kind if reference is not None else "", "none", None, url)
    gap = _gap(figure, float(value.value), reference)
    status = "par" if abs(gap) <= PAR_TOLERANCE else ("bad" if gap > 0 else "good")
    return Cell(figure, value, reference, reference_kind, status, gap, url)


def median_value(values: Iterable[FigureValue]) -> float | None:
    measured = [float(v.value) for v in values if v.value is not None]
    return median(measured) if measured else None


def references(figures: list[KeyFigure], values: dict, dealer_ids: Iterable[int]) -> dict[str, tuple]:
    """{figure code: (reference, kind)}: the target, else the median of these dealers' values."""
    dealer_ids = list(dealer_ids)
    result = {}
    for figure in figures:
        target = figure_target(figure)
        if target is not None:
            result[figure.code] = (target, "target")
        else:
            result[figure.code] = (median_value(values[figure.code][d] for d in dealer_ids), "median")
    return result


def worst_first_key(figure: KeyFigure):
    """Sort key: the worst value first, dealers with nothing to measure last."""

    def key(item: tuple[object, FigureValue]):
        _name, value = item
        if value.value is None:
            return (1, 0.0)
        number = float(value.value)
        return (0, number if figure.higher_is_better else -number)

    return key


def trend_of(figure: KeyFigure, current: FigureValue, previous: FigureValue) -> tuple[float | None, str]:
    """(change, "better" | "worse" | "same" | "") from the previous period to this one."""
    if current.value is None or previous.value is None:
        return None, ""
    change = float(current.value) - float(previous.value)
    if abs(change) < 1e-9:
        return 0.0, "same"
    improved = change > 0 if figure.higher_is_better else change < 0
    return change, "better" if improved else "worse"


# --- The regional landing: ranking and heat table -------------------------------------------------------------


@dataclass
class DealerRow:
    dealer: Dealer
    cells: list[Cell]
    primary: Cell
    previous: FigureValue
    change: float | None
    trend: str
    url: str


@dataclass
class RegionBlock:
    region: Region
    rows: list[DealerRow]
    references: dict[str, tuple]


@dataclass
class Ranking:
    figures: list[KeyFigure]
    primary: KeyFigure | None
    blocks: list[RegionBlock]
    regions: list[Region]
    region: Region | None  # the one chosen, or None for every region the user oversees
    compared: Compared
    dealer_count: int = 0
    choices: list[KeyFigure] = field(default_factory=list)


def oversight_regions(*, user) -> list[Region]:
    access = access_for(user)
    if not permissions.oversees_dealers(access):
        return []
    regions = Region.objects.order_by("name")
    return list(regions if permissions.sees_every_region(access) else regions.filter(id__in=access.region_ids))


def ranking(*, user, compared: Compared, region_id: int | None = None, figure_code: str | None = None) -> Ranking:
    """The dealers the user oversees (one region, or all of theirs grouped by region), worst first on the
    chosen figure, with every scorable figure judged against its target or the region's median."""
    access = access_for(user)
    if not permissions.oversees_dealers(access):
        raise NotFound()
    regions = oversight_regions(user=user)
    region = None
    if region_id is not None:
        region = next((r for r in regions if r.id == region_id), None)
        if region is None:
            raise NotFound()
    # A regional manager of one region sees it without choosing.
    if region is None and len(regions) == 1:
        region = regions[0]
    shown = [region] if region else regions
    figures = heat_figures()
    primary = primary_figure(figure_code)
    empty = Ranking(figures, primary, [], regions, region, compared, choices=key_figures.figures())
    if primary is None:
        return empty
    if primary not in figures:
        figures = [primary, *figures]
    dealers = list(
        Dealer.objects.filter(region__in=shown, is_active=True).select_related("region").order_by("code")
    )
    if not access.scope.network_wide:
        dealers = [d for d in dealers if d.id in access.region_dealer_ids]
    if not dealers:
        return empty
    dealer_ids = [d.id for d in dealers]
    values = figure_values(codes=[f.code for f in figures], dealer_ids=dealer_ids, period=compared.current)
    previous = figure_values(codes=[primary.code], dealer_ids=dealer_ids, period=compared.previous)[primary.code]
    blocks = []
    for block_region in shown:
        in_region = [d for d in dealers if d.region_id == block_region.id]
        if not in_region:
            continue
        refs = references(figures, values, [d.id for d in in_region])
        rows = []
        for dealer in in_region:
            cells = [
                judge(f, values[f.code][dealer.id], *refs[f.code], rows_url(f, dealer.id, compared.current))
                for f in figures
            ]
            primary_cell = next(c for c in cells if c.figure.code == primary.code)
            change, trend = trend_of(primary, primary_cell.value, previous[dealer.id])
            rows.append(
                DealerRow(
                    dealer=dealer,
                    cells=cells,
                    primary=primary_cell,
                    previous=previous[dealer.id],
                    change=change,
                    trend=trend,
                    url=reverse("dealers:dealer", kwargs={"dealer_id": dealer.id}),
                )
            )
        key = worst_first_key(primary)
        rows.sort(key=lambda row: (key((row.dealer, row.primary.value)), row.dealer.code))
        blocks.append(RegionBlock(block_region, rows, refs))
    return Ranking(
        figures, primary, blocks, regions, region, compared, dealer_count=len(dealers), choices=key_figures.figures()
    )


# --- One dealer: its figures, trend and salespeople --------------------------------------------------------------


@dataclass
class TrendRow:
    figure: KeyFigure
    cells: list[tuple[FigureValue, str | None]]  # per month: the value and its rows URL


@dataclass
class DealerFigures:
    dealer: Dealer
    compared: Compared
    cells: list[Cell]
    previous: dict[str, FigureValue]
    trends: dict[str, tuple[float | None, str]]
    months: list[Period]
    trend_rows: list[TrendRow]
    primary: KeyFigure | None
    region_size: int
    ranks: dict[str, tuple[int, int]] = field(default_factory=dict)  # code -> (rank best first, of)
    previous_urls: dict[str, str | None] = field(default_factory=dict)  # the rows behind the previous values

    @property
    def fix_first(self) -> list[Cell]:
        """The figures furthest worse than their target or median, worst first."""
        bad = [cell for cell in self.cells if cell.status == "bad"]
        return sorted(bad, key=lambda cell: -(cell.gap or 0))[:FIX_FIRST_COUNT]

    @property
    def cards(self) -> list[Cell]:
        """The figures shown one by one (a breakdown's parts are shown together, in `breakdowns`)."""
        return [cell for cell in self.cells if key_figures.BREAKDOWN not in cell.figure.tags]

    @property
    def breakdowns(self) -> list[tuple[str, list[Cell]]]:
        grouped: dict[str, list[Cell]] = {}
        for cell in self.cells:
            if key_figures.BREAKDOWN in cell.figure.tags:
                grouped.setdefault(cell.figure.group, []).append(cell)
        return list(grouped.items())

    def groups(self) -> list[tuple[str, list[Cell]]]:
        grouped: dict[str, list[Cell]] = {}
        for cell in self.cells:
            grouped.setdefault(cell.figure.group, []).append(cell)
        return list(grouped.items())


def dealer_for_figures(*, user, dealer_id: int) -> Dealer:
    """The dealer whose OEM page the user may open; NotFound for any other (missing and foreign alike)."""
    access = access_for(user)
    if not permissions.can_see_dealer_figures(access, dealer_id):
        raise NotFound()
    dealer = Dealer.objects.select_related("region").filter(id=dealer_id).first()
    if dealer is None:
        raise NotFound()
    return dealer


def rank_best_first(figure: KeyFigure, values: dict[int, FigureValue], dealer_id: int) -> tuple[int, int] | None:
    """(position, out of how many measured dealers), ties sharing the better position; None unmeasured."""
    own = values.get(dealer_id)
    if own is None or own.value is None:
        return None
    measured = [float(v.value) for v in values.values() if v.value is not None]
    mine = float(own.value)
    better = sum(1 for v in measured if (v > mine if figure.higher_is_better else v < mine))
    return better + 1, len(measured)


def _region_dealer_ids(dealer: Dealer) -> list[int]:
    """The region's active dealers, and this one (an inactive dealer's page still judges it by its region)."""
    ids = list(Dealer.objects.filter(region_id=dealer.region_id, is_active=True).values_list("id", flat=True))
    return ids if dealer.id in ids else [*ids, dealer.id]


def dealer_figures(*, dealer: Dealer, compared: Compared, with_trend: bool = True, region_wide: bool = False):
    """Every registered figure of `dealer` for the period, judged against its target or its region's median,
    the change since the previous period, the monthly trend, and its rank in the region.

    `region_wide`: the region's other dealers are read network-wide (a dealer's own staff may not see them);
    only the median and the positions leave this function, never another dealer's name or value."""
    figures = key_figures.figures()
    codes = [f.code for f in figures]
    primary = primary_figure()
    if not figures:
        return DealerFigures(dealer, compared, [], {}, {}, [], [], None, 0)
    if region_wide:
        with network_wide(reason="a dealer's rank and its region's median: only positions and the median leave"):
            region_ids = _region_dealer_ids(dealer)
            region_values = figure_values(codes=codes, dealer_ids=region_ids, period=compared.current)
    else:
        region_ids = _region_dealer_ids(dealer)
        region_values = figure_values(codes=codes, dealer_ids=region_ids, period=compared.current)
    refs = references(figures, region_values, region_ids)
    cells = [
        judge(f, region_values[f.code][dealer.id], *refs[f.code], rows_url(f, dealer.id, compared.current))
        for f in figures
    ]
    previous_values = figure_values(codes=codes, dealer_ids=[dealer.id], period=compared.previous)
    previous = {code: previous_values[code][dealer.id] for code in codes}
    trends = {cell.figure.code: trend_of(cell.figure, cell.value, previous[cell.figure.code]) for cell in cells}
    ranks = {}
    for figure in figures:
        rank = rank_best_first(figure, {d: region_values[figure.code][d] for d in region_ids}, dealer.id)
        if rank is not None:
            ranks[figure.code] = rank
    months: list[Period] = []
    trend_rows: list[TrendRow] = []
    if with_trend:
        months = trend_months(last_day=compared.current.last_day)
        per_month = [figure_values(codes=codes, dealer_ids=[dealer.id], period=month) for month in months]
        trend_rows = [
            TrendRow(f, [(values[f.code][dealer.id], rows_url(f, dealer.id, month)) for values, month in zip(per_month, months, strict=True)])
            for f in figures
        ]
    return DealerFigures(
        dealer=dealer,
        compared=compared,
        cells=cells,
        previous=previous,
        trends=trends,
        months=months,
        trend_rows=trend_rows,
        primary=primary,
        region_size=len(region_ids),
        ranks=ranks,
        previous_urls={f.code: rows_url(f, dealer.id, compared.previous) for f in figures},
    )


@dataclass(frozen=True)
class Salesperson:
    user_id: int
    name: str
    role_label: str


def dealer_salespeople(*, dealer: Dealer) -> list[Salesperson]:
    """The dealer's active sales staff (dealers/selectors/people.py splits the figures tagged per person
    between them; the page also links each person to the funnel's own per-salesperson figures)."""
    from crm.core.names import staff_name
    from crm.network.models import SALES_ROLES, RoleAssignment

    people: dict[int, Salesperson] = {}
    assignments = (
        RoleAssignment.objects.filter(dealer=dealer, is_active=True, role__in=sorted(SALES_ROLES))
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username", "role")
    )
    for assignment in assignments:
        if assignment.user_id not in people:
            people[assignment.user_id] = Salesperson(
                assignment.user_id, staff_name(assignment.user), assignment.get_role_display()
            )
    return list(people.values())
