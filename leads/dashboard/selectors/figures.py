"""What the dashboard shows: counts that carry the lead-list filters selecting exactly their leads."""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.http import urlencode

from leads.dashboard.selectors.filters import FunnelFilters, Viewer


@dataclass
class Figure:
    """A count and the lead-list filters that select exactly those leads (None: not a lead count)."""

    value: int
    params: dict[str, str] | None = None

    @property
    def url(self) -> str | None:
        return lead_list_url(self.params) if self.params is not None else None


def lead_list_url(params: dict[str, str]) -> str:
    return f"{reverse('leads:list')}?{urlencode(params)}"


@dataclass
class BreakdownRow:
    key: object
    label: str
    leads: Figure
    visited: Figure
    test_drive: Figure
    ordered: Figure
    delivered: Figure
    lost: Figure
    breached: Figure
    drill: dict[str, str] | None = None  # dashboard filters for a drill-down (dealer, salesperson)
    drill_url: str | None = None

    @property
    def conversion(self) -> float | None:
        return self.ordered.value / self.leads.value if self.leads.value else None


@dataclass
class StageRow:
    stage: str
    label: str
    current: Figure
    reached: Figure | None
    share_of_cohort: float | None
    step_conversion: float | None

    @property
    def step_percent(self) -> int | None:
        return round(100 * self.step_conversion) if self.step_conversion is not None else None


@dataclass
class FunnelFigures:
    filters: FunnelFilters
    viewer: Viewer
    total: Figure
    stages: list[StageRow]
    lost: Figure
    frozen: Figure
    open: int
    clocked: Figure  # leads with a first-response clock
    breached: Figure
    first_response: list[tuple[str, str, Figure]]
    verified: Figure
    claimed: Figure
    median_first_response: float | None
    time_in_stage: list[tuple[str, str, float, int]]
    lost_reasons: list[tuple[str, str, Figure, Figure]]
    competitors: list[tuple[str, int]]
    by_source: list[BreakdownRow]
    by_model: list[BreakdownRow]
    by_owner: list[BreakdownRow]
    by_dealer: list[BreakdownRow]
    trend: list[BreakdownRow]
    trend_unit: str
    traffic: dict[str, int] = field(default_factory=dict)

    @property
    def breach_rate(self) -> float | None:
        return self.breached.value / self.clocked.value if self.clocked.value else None

    @property
    def verified_share(self) -> float | None:
        answered = self.verified.value + self.claimed.value
        return self.verified.value / answered if answered else None
