"""The funnel dashboard's figures, computed in a handful of GROUP BY queries over the user's scoped leads.

Every figure is about a *cohort*: the leads that arrived in the period (plus the optional filters). Each
count comes with the drill-down filters (`Figure.params`) that select exactly those leads from the lead
list, in the list's query-parameter contract (see `FunnelFilters.params` and docs in the module below), so
the dashboard and the list it drills into can never disagree.

Who sees what: `leads_for_user` decides the dealers (a dealer's staff their dealer, OEM regional managers
their regions' dealers, OEM admins everything, the call centre nothing). On top of that, a user who is
only a salesperson sees their own figures (owner = themselves); sales managers, dealer admins and OEM
roles see every salesperson's. Service advisors (alone) do not get a funnel dashboard.
"""

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import NotFound
from crm.network.access import access_for, dealers_visible
from crm.network.models import Role, RoleAssignment
from leads.models import Lead, LeadSource, LostVerdict, Stage, StageChange
from leads.selectors import leads_for_user, visits_for_user

FUNNEL = [
    Stage.NEW,
    Stage.CONTACTED,
    Stage.VISITED,
    Stage.TEST_DRIVE,
    Stage.NEGOTIATION,
    Stage.ORDERED,
    Stage.DELIVERED,
]
RANK = {stage: rank for rank, stage in enumerate(FUNNEL)}
ALL_STAGES = [*FUNNEL, Stage.LOST, Stage.FROZEN]
DASHBOARD_ROLES = (
    Role.SALESPERSON,
    Role.SALES_MANAGER,
    Role.DEALER_ADMIN,
    Role.REGIONAL_MANAGER,
    Role.OEM_ADMIN,
)
MANAGER_ROLES = (Role.SALES_MANAGER, Role.DEALER_ADMIN, Role.REGIONAL_MANAGER, Role.OEM_ADMIN)

# First-response buckets, in business minutes: (key, label, lower bound inclusive, upper bound exclusive).
FIRST_RESPONSE_BUCKETS = [
    ("lt15", _("< 15 min"), 0, 15),
    ("15_60", _("15–60 min"), 15, 60),
    ("1_2h", _("1–2 h"), 60, 120),
    ("2_8h", _("2–8 h"), 120, 480),
    ("8_24h", _("8–24 h"), 480, 1440),
    ("gt24h", _("> 24 h"), 1440, None),
]
NO_RESPONSE_YET = "none"
FIRST_RESPONSE_KEYS = [key for key, *_rest in FIRST_RESPONSE_BUCKETS] + [NO_RESPONSE_YET, "any"]
EXPORT_ROW_LIMIT = 50_000
UNASSIGNED = "none"  # owner=none: leads without an owner; source=none: leads without a source


@dataclass(frozen=True)
class FunnelFilters:
    """The cohort and its filters. `params()` renders them in the lead list's query-parameter contract:

    - arrived_from, arrived_to: ISO dates, inclusive, in the active time zone (settings.TIME_ZONE)
    - dealer: dealer id; owner: user id or "none"; source: lead source id or "none"; type: LeadType value
    - stage: current stage; grade: current grade; sla_breached: "1" / "0" (Lead.is_sla_breached)
    and, for the drill-downs the base contract cannot express:
    - model: a model name contained in models_of_interest (exact)
    - reached: a funnel stage the lead reached or passed (from StageChange rows; a jump passes the skipped)
    - first_response: among leads with a first-response clock (sla_due_at set), first_response_minutes in a
      bucket (lt15, 15_60, 1_2h, 2_8h, 8_24h, gt24h), "none" (no contact yet) or "any" (every clocked lead)
    - verified: among leads with a clock and a first contact, "1" verified / "0" only claimed
    - lost_reason: the reason of the lead's approved lost (or frozen) verdict
    """

    date_from: date
    date_to: date
    dealer_id: int | None = None
    owner: int | str | None = None
    source: int | str | None = None
    model: str = ""
    type: str = ""
    stage: str = ""
    grade: str = ""
    sla_breached: bool | None = None
    reached: str = ""
    first_response: str = ""
    verified: bool | None = None
    lost_reason: str = ""

    def params(self, **overrides) -> dict[str, str]:
        values = {
            "arrived_from": self.date_from.isoformat(),
            "arrived_to": self.date_to.isoformat(),
            "dealer": self.dealer_id,
            "owner": self.owner,
            "source": self.source,
            "type": self.type,
            "model": self.model,
            "stage": self.stage,
            "grade": self.grade,
            "sla_breached": _flag(self.sla_breached),
            "reached": self.reached,
            "first_response": self.first_response,
            "verified": _flag(self.verified),
            "lost_reason": self.lost_reason,
        }
        values.update(overrides)
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


def _flag(value: bool | None) -> str:
    return "" if value is None else ("1" if value else "0")


@dataclass(frozen=True)
class Viewer:
    """How the dashboard is scoped for a user, on top of leads_for_user."""

    user_id: int
    own_figures_only: bool
    sees_dealers: bool  # more than one dealer in scope: the by-dealer breakdown is shown


def funnel_viewer(*, user) -> Viewer:
    access = access_for(user)
    if not access.is_authenticated or not access.has_role(*DASHBOARD_ROLES):
        raise NotFound()
    own_only = not access.has_role(*MANAGER_ROLES)
    sees_dealers = access.scope.network_wide or len(access.scope.dealer_ids) > 1
    return Viewer(user_id=user.pk, own_figures_only=own_only, sees_dealers=sees_dealers and not own_only)


def funnel_filters_enforce(*, viewer: Viewer, filters: FunnelFilters) -> FunnelFilters:
    """A salesperson's dashboard is their own: the owner filter is always themselves."""
    if viewer.own_figures_only and filters.owner != viewer.user_id:
        return replace(filters, owner=viewer.user_id)
    return filters


def period_bounds(filters: FunnelFilters) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(filters.date_from, time.min, tzinfo=zone)
    end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def _rank_of(field_name: str) -> Case:
    return Case(
        *[When(**{field_name: stage}, then=Value(rank)) for stage, rank in RANK.items()],
        default=Value(None),
        output_field=IntegerField(),
    )


def _with_reached_rank(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """reached_rank: the furthest funnel stage the lead ever reached (StageChange rows, or its stage)."""
    furthest = (
        StageChange.objects.filter(lead_id=OuterRef("pk"))
        .order_by()
        .values("lead_id")
        .annotate(furthest=Max(_rank_of("to_stage")))
        .values("furthest")
    )
    return leads.annotate(
        reached_rank=Greatest(Coalesce(Subquery(furthest), Value(0)), Coalesce(_rank_of("stage"), Value(0)))
    )


def funnel_leads(*, user, filters: FunnelFilters) -> QuerySet[Lead]:
    """The leads the filters select, in the user's scope: the lead list's contract, applied."""
    viewer = funnel_viewer(user=user)
    filters = funnel_filters_enforce(viewer=viewer, filters=filters)
    start, end = period_bounds(filters)
    leads = leads_for_user(user=user).filter(arrived_at__gte=start, arrived_at__lt=end)
    if filters.dealer_id:
        leads = leads.filter(dealer_id=filters.dealer_id)
    if filters.owner == UNASSIGNED:
        leads = leads.filter(owner__isnull=True)
    elif filters.owner:
        leads = leads.filter(owner_id=filters.owner)
    if filters.source == UNASSIGNED:
        leads = leads.filter(source__isnull=True)
    elif filters.source:
        leads = leads.filter(source_id=filters.source)
    if filters.model:
        leads = leads.filter(models_of_interest__contains=[filters.model])
    if filters.type:
        leads = leads.filter(type=filters.type)
    if filters.stage:
        leads = leads.filter(stage=filters.stage)
    if filters.grade:
        leads = leads.filter(grade=filters.grade)
    if filters.sla_breached is not None:
        leads = leads.filter(is_sla_breached=filters.sla_breached)
    if filters.reached:
        leads = _with_reached_rank(leads).filter(reached_rank__gte=RANK[filters.reached])
    if filters.first_response:
        leads = leads.filter(sla_due_at__isnull=False)
        if filters.first_response == NO_RESPONSE_YET:
            leads = leads.filter(first_response_minutes__isnull=True)
        elif filters.first_response != "any":
            _key, _label, low, high = next(
                b for b in FIRST_RESPONSE_BUCKETS if b[0] == filters.first_response
            )
            leads = leads.filter(first_response_minutes__gte=low)
            if high is not None:
                leads = leads.filter(first_response_minutes__lt=high)
    if filters.verified is not None:
        leads = leads.filter(
            sla_due_at__isnull=False,
            first_contact_at__isnull=False,
            is_first_contact_verified=filters.verified,
        )
    if filters.lost_reason:
        leads = leads.filter(
            id__in=LostVerdict.objects.filter(
                status=LostVerdict.Status.APPROVED, reason=filters.lost_reason
            ).values("lead_id")
        )
    return leads


# ---------------------------------------------------------------------------------------------------------
# Figures


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


def _cohort_sql(leads: QuerySet[Lead]) -> tuple[str, tuple]:
    """The cohort as SQL with plain column names, for the GROUP BY queries that wrap it."""
    inner = (
        _with_reached_rank(leads.order_by())
        .annotate(
            source_name=F("source__name"),
            source_dealer_code=F("source__dealer__code"),
            owner_first=F("owner__first_name"),
            owner_last=F("owner__last_name"),
            owner_username=F("owner__username"),
            dealer_code=F("dealer__code"),
            dealer_name=F("dealer__name"),
        )
        .values(
            "id",
            "stage",
            "reached_rank",
            "is_sla_breached",
            "sla_due_at",
            "first_response_minutes",
            "first_contact_at",
            "is_first_contact_verified",
            "arrived_at",
            "source_id",
            "source_name",
            "source_dealer_code",
            "owner_id",
            "owner_first",
            "owner_last",
            "owner_username",
            "dealer_id",
            "dealer_code",
            "dealer_name",
            "models_of_interest",
        )
    )
    return inner.query.sql_with_params()


def _cohort_materialise(cohort: tuple[str, tuple]) -> tuple[str, tuple]:
    """Compute the cohort once (its reached stage is a subquery over stage changes per lead) into a
    temporary table that every aggregate then reads: at a region's hundreds of thousands of leads this
    turns a dozen recomputations into one. The table lives until the request's transaction ends, and holds
    only rows row-level security already let through."""
    sql, params = cohort
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.funnel_cohort")
        cursor.execute(f"CREATE TEMPORARY TABLE funnel_cohort ON COMMIT DROP AS {sql}", params)
        cursor.execute("ANALYZE funnel_cohort")
    return "SELECT * FROM funnel_cohort", ()


def _literal(value: str) -> str:
    assert value.replace("_", "").isalnum(), value  # our own enum values only
    return f"'{value}'"


BREAKDOWN_MEASURES = f"""
    count(*) AS leads,
    count(*) FILTER (WHERE l.reached_rank >= {RANK[Stage.VISITED]}) AS visited,
    count(*) FILTER (WHERE l.reached_rank >= {RANK[Stage.TEST_DRIVE]}) AS test_drive,
    count(*) FILTER (WHERE l.reached_rank >= {RANK[Stage.ORDERED]}) AS ordered,
    count(*) FILTER (WHERE l.stage = {_literal(Stage.DELIVERED)}) AS delivered,
    count(*) FILTER (WHERE l.stage = {_literal(Stage.LOST)}) AS lost,
    count(*) FILTER (WHERE l.is_sla_breached) AS breached
"""


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _breakdown(
    filters: FunnelFilters,
    cohort: tuple[str, tuple],
    *,
    key_sql: str,
    label_sql: str,
    param: str,
    join: str = "",
    order: str = "leads DESC, key",
    key_params: tuple = (),
    labeller=None,
    drill=None,
) -> list[BreakdownRow]:
    cohort_sql, cohort_params = cohort
    rows = _fetch(
        f"SELECT {key_sql} AS key, {label_sql} AS label, {BREAKDOWN_MEASURES} "
        f"FROM ({cohort_sql}) AS l {join} GROUP BY 1, 2 ORDER BY {order}",
        (*key_params, *key_params, *cohort_params),
    )
    result = []
    for key, label, leads, visited, test_drive, ordered, delivered, lost, breached in rows:
        base = {param: UNASSIGNED if key is None else key} if param else {}
        if labeller is not None:
            base, label = labeller(key, label)
        result.append(
            BreakdownRow(
                key=key,
                label=label,
                leads=Figure(leads, filters.params(**base)),
                visited=Figure(visited, filters.params(**base, reached=Stage.VISITED)),
                test_drive=Figure(test_drive, filters.params(**base, reached=Stage.TEST_DRIVE)),
                ordered=Figure(ordered, filters.params(**base, reached=Stage.ORDERED)),
                delivered=Figure(delivered, filters.params(**base, stage=Stage.DELIVERED)),
                lost=Figure(lost, filters.params(**base, stage=Stage.LOST)),
                breached=Figure(breached, filters.params(**base, sla_breached="1")),
                drill=drill(key) if drill else None,
            )
        )
    return result


def funnel_figures(*, user, filters: FunnelFilters) -> FunnelFigures:
    """Every figure of the dashboard for the user and filters (about ten aggregate queries, whatever the
    number of leads)."""
    viewer = funnel_viewer(user=user)
    filters = funnel_filters_enforce(viewer=viewer, filters=filters)
    leads = funnel_leads(user=user, filters=filters)
    cohort = _cohort_materialise(_cohort_sql(leads))
    cohort_sql, cohort_params = cohort

    # 1. The summary: stages, reached stages, first response, SLA — one row.
    bucket_sql = []
    for _key, _label, low, high in FIRST_RESPONSE_BUCKETS:
        upper = f" AND l.first_response_minutes < {high}" if high is not None else ""
        bucket_sql.append(
            f"count(*) FILTER (WHERE l.sla_due_at IS NOT NULL AND l.first_response_minutes >= {low}{upper})"
        )
    summary = _fetch(
        "SELECT count(*), "
        + ", ".join(f"count(*) FILTER (WHERE l.stage = {_literal(s)})" for s in ALL_STAGES)
        + ", "
        + ", ".join(f"count(*) FILTER (WHERE l.reached_rank >= {RANK[s]})" for s in FUNNEL)
        + ", count(*) FILTER (WHERE l.sla_due_at IS NOT NULL)"
        + ", count(*) FILTER (WHERE l.is_sla_breached)"
        + ", "
        + ", ".join(bucket_sql)
        + ", count(*) FILTER (WHERE l.sla_due_at IS NOT NULL AND l.first_response_minutes IS NULL)"
        + ", count(*) FILTER (WHERE l.sla_due_at IS NOT NULL AND l.first_contact_at IS NOT NULL"
        " AND l.is_first_contact_verified)"
        + ", count(*) FILTER (WHERE l.sla_due_at IS NOT NULL AND l.first_contact_at IS NOT NULL"
        " AND l.is_first_contact_verified = false)"
        + ", percentile_cont(0.5) WITHIN GROUP (ORDER BY l.first_response_minutes)"
        " FILTER (WHERE l.sla_due_at IS NOT NULL)" + f" FROM ({cohort_sql}) AS l",
        cohort_params,
    )[0]
    values = iter(summary)
    total = next(values)
    current = {stage: next(values) for stage in ALL_STAGES}
    reached = {stage: next(values) for stage in FUNNEL}
    clocked, breached = next(values), next(values)
    buckets = [next(values) for _bucket in FIRST_RESPONSE_BUCKETS]
    not_yet, verified, claimed, median_first_response = next(values), next(values), next(values), next(values)

    stages = []
    previous = None
    for stage in ALL_STAGES:
        in_funnel = stage in RANK
        count_reached = reached.get(stage)
        stages.append(
            StageRow(
                stage=stage,
                label=str(Stage(stage).label),
                current=Figure(current[stage], filters.params(stage=stage)),
                reached=Figure(count_reached, filters.params(reached=stage)) if in_funnel else None,
                share_of_cohort=(count_reached / total if total else None) if in_funnel else None,
                step_conversion=(
                    (count_reached / previous if previous else None)
                    if in_funnel and stage != Stage.NEW
                    else None
                ),
            )
        )
        if in_funnel:
            previous = count_reached

    first_response = [
        (key, str(label), Figure(count, filters.params(first_response=key)))
        for (key, label, _low, _high), count in zip(FIRST_RESPONSE_BUCKETS, buckets, strict=True)
    ]
    first_response.append(
        (
            NO_RESPONSE_YET,
            str(_("No contact yet")),
            Figure(not_yet, filters.params(first_response=NO_RESPONSE_YET)),
        )
    )

    # 2. Time in stage: median hours between consecutive stage changes, per stage left.
    changes_sql, changes_params = (
        StageChange.objects.filter(lead_id__in=leads.order_by().values("id"))
        .order_by()
        .values("lead_id", "to_stage", "at", "id")
        .query.sql_with_params()
    )
    time_rows = _fetch(
        "SELECT to_stage, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours), count(*) FROM ("
        "  SELECT c.to_stage, EXTRACT(EPOCH FROM (lead(c.at) OVER (PARTITION BY c.lead_id ORDER BY c.at, c.id)"
        "  - c.at)) / 3600.0 AS hours"
        f"  FROM ({changes_sql}) AS c"
        ") AS t WHERE hours IS NOT NULL GROUP BY to_stage",
        changes_params,
    )
    medians = {stage: (float(median), moves) for stage, median, moves in time_rows}
    time_in_stage = [
        (stage, str(Stage(stage).label), *medians[stage]) for stage in ALL_STAGES if stage in medians
    ]

    # 3. Lost reasons (approved verdicts) and the competitor brands customers bought instead.
    verdicts = LostVerdict.objects.filter(
        status=LostVerdict.Status.APPROVED, lead_id__in=leads.order_by().values("id")
    ).order_by()
    reason_counts: dict[str, dict[bool, int]] = {}
    for reason, freeze_only, count in verdicts.values_list("reason", "freeze_only").annotate(
        n=_count_distinct_leads()
    ):
        reason_counts.setdefault(reason, {})[freeze_only] = count
    lost_reasons = sorted(
        (
            (
                reason,
                str(LostVerdict.Reason(reason).label),
                Figure(counts.get(False, 0), filters.params(lost_reason=reason, stage=Stage.LOST)),
                Figure(counts.get(True, 0), filters.params(lost_reason=reason, stage=Stage.FROZEN)),
            )
            for reason, counts in reason_counts.items()
        ),
        key=lambda row: (-(row[2].value + row[3].value), row[0]),
    )
    competitors = list(
        verdicts.filter(reason=LostVerdict.Reason.COMPETITOR_BRAND)
        .values_list("competitor_brand")
        .annotate(n=_count_distinct_leads())
        .order_by("-n", "competitor_brand")[:10]
    )

    # 4. Breakdowns.
    by_source = _breakdown(
        filters,
        cohort,
        key_sql="l.source_id",
        # Dealers' own sources often share a name ("Dealer website"): across dealers, say whose it is.
        label_sql="concat_ws(' · ', l.source_name, l.source_dealer_code)"
        if viewer.sees_dealers
        else "l.source_name",
        param="source",
        labeller=lambda key, label: (
            {"source": UNASSIGNED if key is None else key},
            label or str(_("No source")),
        ),
    )
    by_model = _breakdown(
        filters,
        cohort,
        key_sql="m.model",
        label_sql="m.model",
        param="model",
        join="CROSS JOIN LATERAL unnest(l.models_of_interest) AS m(model)",
    )
    by_owner = _breakdown(
        filters,
        cohort,
        key_sql="l.owner_id",
        label_sql="coalesce(nullif(trim(concat_ws(' ', l.owner_first, l.owner_last)), ''), l.owner_username)",
        param="owner",
        labeller=lambda key, label: (
            {"owner": UNASSIGNED if key is None else key},
            label or str(_("Unassigned")),
        ),
        drill=lambda key: {"owner": UNASSIGNED if key is None else str(key)},
    )
    by_dealer = (
        _breakdown(
            filters,
            cohort,
            key_sql="l.dealer_id",
            label_sql="concat_ws(' · ', l.dealer_code, l.dealer_name)",
            param="dealer",
            drill=lambda key: {"dealer": str(key)},
        )
        if viewer.sees_dealers
        else []
    )
    span_days = (filters.date_to - filters.date_from).days + 1
    trend_unit = "day" if span_days <= 62 else "week"
    zone_name = timezone.get_current_timezone_name()
    trend_rows = {
        row.key: row
        for row in _breakdown(
            filters,
            cohort,
            key_sql="date_trunc(%s, l.arrived_at AT TIME ZONE %s)::date",
            label_sql="date_trunc(%s, l.arrived_at AT TIME ZONE %s)::date",
            key_params=(trend_unit, zone_name),
            param="",
            order="key",
            labeller=lambda key, label: (_bucket_dates(key, trend_unit, filters), key.isoformat()),
        )
    }
    trend = []
    for bucket in _buckets(filters, trend_unit):
        row = trend_rows.get(bucket)
        if row is None:
            base = _bucket_dates(bucket, trend_unit, filters)
            empty = Figure(0, filters.params(**base))
            row = BreakdownRow(bucket, bucket.isoformat(), empty, empty, empty, empty, empty, empty, empty)
        trend.append(row)

    # 5. Showroom traffic: every logged visit in the period, anonymous walk-ins included.
    traffic = _traffic(user=user, filters=filters)

    return FunnelFigures(
        filters=filters,
        viewer=viewer,
        total=Figure(total, filters.params()),
        stages=stages,
        lost=Figure(current[Stage.LOST], filters.params(stage=Stage.LOST)),
        frozen=Figure(current[Stage.FROZEN], filters.params(stage=Stage.FROZEN)),
        open=sum(current[stage] for stage in FUNNEL[:-1]),
        clocked=Figure(clocked, filters.params(first_response="any")),
        breached=Figure(breached, filters.params(sla_breached="1")),
        first_response=first_response,
        verified=Figure(verified, filters.params(verified="1")),
        claimed=Figure(claimed, filters.params(verified="0")),
        median_first_response=float(median_first_response) if median_first_response is not None else None,
        time_in_stage=time_in_stage,
        lost_reasons=lost_reasons,
        competitors=competitors,
        by_source=by_source,
        by_model=by_model,
        by_owner=by_owner,
        by_dealer=by_dealer,
        trend=trend,
        trend_unit=trend_unit,
        traffic=traffic,
    )


def _count_distinct_leads() -> Count:
    return Count("lead_id", distinct=True)


def _buckets(filters: FunnelFilters, unit: str) -> Iterator[date]:
    day = (
        filters.date_from
        if unit == "day"
        else filters.date_from - timedelta(days=filters.date_from.weekday())
    )
    step = timedelta(days=1 if unit == "day" else 7)
    while day <= filters.date_to:
        yield day
        day += step


def _bucket_dates(bucket: date, unit: str, filters: FunnelFilters) -> dict[str, str]:
    """The bucket's days, clipped to the period (a week bucket may start before it)."""
    end = bucket if unit == "day" else bucket + timedelta(days=6)
    return {
        "arrived_from": max(bucket, filters.date_from).isoformat(),
        "arrived_to": min(end, filters.date_to).isoformat(),
    }


def _traffic(*, user, filters: FunnelFilters) -> dict[str, int]:
    start, end = period_bounds(filters)
    visits = visits_for_user(user=user).order_by().filter(arrived_at__gte=start, arrived_at__lt=end)
    if filters.dealer_id:
        visits = visits.filter(dealer_id=filters.dealer_id)
    if filters.owner and filters.owner != UNASSIGNED:
        visits = visits.filter(salesperson_id=filters.owner)
    if filters.model:
        visits = visits.filter(models_of_interest__contains=[filters.model])
    figures = visits.aggregate(
        visits=Count("id"),
        anonymous=Count("id", filter=Q(lead__isnull=True)),
        first=Count("id", filter=Q(lead__isnull=False, is_first_visit=True)),
        returning=Count("id", filter=Q(lead__isnull=False, is_first_visit=False)),
        people=Sum("party_size"),
    )
    figures["people"] = figures["people"] or 0
    return figures


# ---------------------------------------------------------------------------------------------------------
# Filter choices and the lead rows export


def funnel_dealer_choices(*, user):
    return dealers_visible(user).filter(is_active=True).order_by("code")


def funnel_owner_choices(*, user, dealer_ids) -> QuerySet:
    """Sales staff (current and former) of the given dealers in the user's scope, for the owner filter."""
    scope = access_for(user).scope
    assignments = RoleAssignment.objects.filter(
        dealer_id__in=dealer_ids, role__in=(Role.SALESPERSON, Role.SALES_MANAGER)
    )
    if not scope.network_wide:
        assignments = assignments.filter(dealer_id__in=scope.dealer_ids)
    return (
        get_user_model()
        .objects.filter(id__in=assignments.values("user_id"))
        .order_by("first_name", "last_name", "username")
    )


def funnel_source_choices(*, user) -> QuerySet[LeadSource]:
    scope = access_for(user).scope
    sources = LeadSource.objects.order_by("name")
    return (
        sources
        if scope.network_wide
        else sources.filter(Q(dealer__isnull=True) | Q(dealer_id__in=scope.dealer_ids))
    )


def funnel_lead_rows(*, user, filters: FunnelFilters, limit: int = EXPORT_ROW_LIMIT) -> list[tuple]:
    """The leads the filters select, as export rows (at most `limit` + 1, so the caller can say it cut)."""
    leads = funnel_leads(user=user, filters=filters).select_related("campaign").order_by("-arrived_at", "-id")
    zone = zoneinfo.ZoneInfo(timezone.get_current_timezone_name())
    return [
        (
            lead.id,
            lead.arrived_at.astimezone(zone).replace(tzinfo=None),
            lead.dealer.code,
            lead.dealer.name,
            lead.customer.name,
            str(lead.get_type_display()),
            lead.source.name if lead.source else "",
            lead.campaign.name if lead.campaign else "",
            ", ".join(lead.models_of_interest),
            str(lead.get_stage_display()),
            lead.grade,
            (lead.owner.get_full_name() or lead.owner.username) if lead.owner else "",
            lead.sla_due_at.astimezone(zone).replace(tzinfo=None) if lead.sla_due_at else None,
            lead.first_contact_at.astimezone(zone).replace(tzinfo=None) if lead.first_contact_at else None,
            lead.first_response_minutes,
            lead.is_sla_breached,
            lead.is_first_contact_verified,
            lead.closed_at.astimezone(zone).replace(tzinfo=None) if lead.closed_at else None,
        )
        for lead in leads[: limit + 1]
    ]
