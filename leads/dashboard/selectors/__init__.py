"""The funnel dashboard's figures, computed in a handful of GROUP BY queries over the user's scoped leads.

Every figure is about a *cohort*: the leads that arrived in the period (plus the optional filters). Each
count comes with the drill-down filters (`Figure.params`) that select exactly those leads from the lead
list, in the list's query-parameter contract (`FunnelFilters`, applied by `funnel_leads`), so the dashboard
and the list it drills into can never disagree.

Who sees what: `leads_for_user` decides the dealers (a dealer's staff their dealer, OEM regional managers
their regions' dealers, OEM admins everything, the call centre nothing). On top of that, a user who is
only a salesperson sees their own figures (owner = themselves); sales managers, dealer admins and OEM
roles see every salesperson's. Service advisors (alone) do not get a funnel dashboard.

Modules: `filters` (who sees what, the filters and `funnel_leads`), `figures` (what is shown), `cohort`
(the SQL aggregates over the cohort), `funnel` (`funnel_figures`), `choices` (pick-lists, export rows).
"""

from leads.dashboard.selectors.choices import (
    funnel_dealer_choices,
    funnel_lead_rows,
    funnel_owner_choices,
    funnel_source_choices,
)
from leads.dashboard.selectors.figures import (
    BreakdownRow,
    Figure,
    FunnelFigures,
    StageRow,
    lead_list_url,
)
from leads.dashboard.selectors.filters import (
    ALL_STAGES,
    EXPORT_ROW_LIMIT,
    FIRST_RESPONSE_BUCKETS,
    FIRST_RESPONSE_KEYS,
    FUNNEL,
    NO_RESPONSE_YET,
    RANK,
    UNASSIGNED,
    FunnelFilters,
    Viewer,
    funnel_filters_enforce,
    funnel_leads,
    funnel_viewer,
    period_bounds,
)
from leads.dashboard.selectors.funnel import funnel_figures

__all__ = [
    "ALL_STAGES",
    "EXPORT_ROW_LIMIT",
    "FIRST_RESPONSE_BUCKETS",
    "FIRST_RESPONSE_KEYS",
    "FUNNEL",
    "NO_RESPONSE_YET",
    "RANK",
    "UNASSIGNED",
    "BreakdownRow",
    "Figure",
    "FunnelFigures",
    "FunnelFilters",
    "StageRow",
    "Viewer",
    "funnel_dealer_choices",
    "funnel_figures",
    "funnel_filters_enforce",
    "funnel_lead_rows",
    "funnel_leads",
    "funnel_owner_choices",
    "funnel_source_choices",
    "funnel_viewer",
    "lead_list_url",
    "period_bounds",
]
