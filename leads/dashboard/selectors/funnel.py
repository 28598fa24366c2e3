"""`funnel_figures`: every figure of the dashboard for a user and filters, in about ten aggregate queries
whatever the number of leads."""

from collections.abc import Iterator
from datetime import date, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.names import person_name
from leads.dashboard.selectors.cohort import (
    approved_verdicts,
    breakdown,
    cohort_query,
    summary_values,
    time_in_stage_rows,
)
from leads.dashboard.selectors.figures import BreakdownRow, Figure, FunnelFigures, StageRow
from leads.dashboard.selectors.filters import (
    ALL_STAGES,
    FIRST_RESPONSE_BUCKETS,
    FUNNEL,
    NO_RESPONSE_YET,
    RANK,
    UNASSIGNED,
    FunnelFilters,
    funnel_filters_enforce,
    funnel_leads,
    funnel_viewer,
    period_bounds,
)
from leads.models import LostVerdict, Stage
from leads.selectors import visits_for_user


def funnel_figures(*, user, filters: FunnelFilters) -> FunnelFigures:
    """Every figure of the dashboard for the user and filters (about ten aggregate queries, whatever the
    number of leads)."""
    viewer = funnel_viewer(user=user)
    filters = funnel_filters_enforce(viewer=viewer, filters=filters)
    cohort_sql = cohort_query(funnel_leads(user=user, filters=filters))

    # 1. The summary: stages, reached stages, first response, SLA — one row.
    values = iter(summary_values(cohort_sql))
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
    medians = {stage: (float(median), moves) for stage, median, moves in time_in_stage_rows(cohort_sql)}
    time_in_stage = [
        (stage, str(Stage(stage).label), *medians[stage]) for stage in ALL_STAGES if stage in medians
    ]

    # 3. Lost reasons (approved verdicts) and the competitor brands customers bought instead.
    verdicts = approved_verdicts(cohort_sql).order_by()
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
    by_source = breakdown(
        filters,
        cohort_sql,
        key_sql="l.source_id",
        # Dealers' own sources often share a name ("Dealer website"): across dealers, say whose it is.
        label_sql="concat_ws(' · ', s.name, sd.code)" if viewer.sees_dealers else "s.name",
        label_join="LEFT JOIN leads_leadsource AS s ON s.id = k.key"
        " LEFT JOIN network_dealer AS sd ON sd.id = s.dealer_id",
        param="source",
        labeller=lambda key, label: (
            {"source": UNASSIGNED if key is None else key},
            label or str(_("No source")),
        ),
    )
    by_model = breakdown(
        filters,
        cohort_sql,
        each_of="models_of_interest",
        param="model",
    )
    by_owner = breakdown(
        filters,
        cohort_sql,
        key_sql="l.owner_id",
        # The name's parts, put in reading order by the one rule in crm.core.names.
        label_sql="concat_ws(chr(31), u.first_name, u.last_name, u.username)",
        label_join="LEFT JOIN auth_user AS u ON u.id = k.key",
        param="owner",
        labeller=lambda key, label: (
            {"owner": UNASSIGNED if key is None else key},
            _owner_label(label) or str(_("Unassigned")),
        ),
        drill=lambda key: {"owner": UNASSIGNED if key is None else str(key)},
    )
    by_dealer = (
        breakdown(
            filters,
            cohort_sql,
            key_sql="l.dealer_id",
            label_sql="concat_ws(' · ', d.code, d.name)",
            label_join="LEFT JOIN network_dealer AS d ON d.id = k.key",
            param="dealer",
            drill=lambda key: {"dealer": str(key)},
        )
        if viewer.sees_dealers
        else []
    )
    trend_unit, trend = _trend(filters, cohort_sql)

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


def _owner_label(parts: str | None) -> str:
    """The breakdown query's "given, family, username" (joined by the unit separator) as a name to read:
    "张伟", "Grace Huang", or the username."""
    if not parts:
        return ""
    given, family, username = parts.split("\x1f")
    return person_name(given=given, family=family) or username


def _count_distinct_leads() -> Count:
    return Count("lead_id", distinct=True)


def _trend(filters: FunnelFilters, cohort_sql: str) -> tuple[str, list[BreakdownRow]]:
    """Leads per day (periods up to two months) or per week, every bucket of the period present."""
    span_days = (filters.date_to - filters.date_from).days + 1
    unit = "day" if span_days <= 62 else "week"
    zone_name = timezone.get_current_timezone_name()
    rows = {
        row.key: row
        for row in breakdown(
            filters,
            cohort_sql,
            key_sql="date_trunc(%s, l.arrived_at AT TIME ZONE %s)::date",
            key_params=(unit, zone_name),
            param="",
            order="k.key",
            labeller=lambda key, label: (_bucket_dates(key, unit, filters), key.isoformat()),
        )
    }
    trend = []
    for bucket in _buckets(filters, unit):
        row = rows.get(bucket)
        if row is None:
            base = _bucket_dates(bucket, unit, filters)
            empty = Figure(0, filters.params(**base))
            row = BreakdownRow(bucket, bucket.isoformat(), empty, empty, empty, empty, empty, empty, empty)
        trend.append(row)
    return unit, trend


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
