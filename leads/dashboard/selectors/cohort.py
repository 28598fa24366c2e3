"""The cohort's aggregates in SQL: each aggregate reads the cohort as a subquery (one index range over the
leads, no temporary table, so nothing is written per request and a read-only replica can serve it). Each
lead row already carries what the figures need (its furthest stage
reached, its time in each stage, its first-response clock), so the cohort is one index range over the
leads of the user's dealers, with no look-up of their stage changes."""

from django.db import connections, router
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from leads.dashboard.selectors.figures import BreakdownRow, Figure
from leads.dashboard.selectors.filters import (
    ALL_STAGES,
    FIRST_RESPONSE_BUCKETS,
    FUNNEL,
    RANK,
    UNASSIGNED,
    FunnelFilters,
)
from leads.models import Lead, LostVerdict, Stage


def _rank_of(field_name: str) -> Case:
    return Case(
        *[When(**{field_name: stage}, then=Value(rank)) for stage, rank in RANK.items()],
        default=Value(None),
        output_field=IntegerField(),
    )


def cohort_query(leads: QuerySet[Lead]) -> str:
    """The cohort as one SELECT that every aggregate wraps as its subquery `l`, its parameters bound as
    literals by the driver (so the aggregates can add their own parameters; a literal `%` is doubled).
    There is no temporary table: creating one per request wrote to the system catalogs every time and
    could not run on a read-only replica.

    Only the lead's own columns go in: the names the breakdowns show are joined to their few groups after
    aggregating."""
    cohort = (
        leads.order_by()
        .annotate(reached_rank=_rank_of("furthest_stage"))
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
            "owner_id",
            "dealer_id",
            "models_of_interest",
            "left_stages",
            "left_stage_hours",
        )
    )
    sql, params = cohort.query.sql_with_params()
    with _connection().cursor() as cursor:
        bound = cursor.mogrify(sql, params)
    return (bound.decode() if isinstance(bound, bytes) else bound).replace("%", "%%")


def _connection():
    """Where the leads are read from now: the primary, or the replica inside a report block
    (crm/core/replica.py); raw SQL does not pass the router by itself."""
    return connections[router.db_for_read(Lead)]


def fetch(sql: str, params=()) -> list[tuple]:
    with _connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _literal(value: str) -> str:
    assert value.replace("_", "").isalnum(), value  # our own enum values only
    return f"'{value}'"


def summary_values(cohort_sql: str) -> tuple:
    """One row: total; current stages; reached stages; clocked, breached; first-response buckets; no
    response yet, verified, claimed; the median first response."""
    bucket_sql = []
    for _key, _label, low, high in FIRST_RESPONSE_BUCKETS:
        upper = f" AND l.first_response_minutes < {high}" if high is not None else ""
        bucket_sql.append(
            f"count(*) FILTER (WHERE l.sla_due_at IS NOT NULL AND l.first_response_minutes >= {low}{upper})"
        )
    return fetch(
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
        " FILTER (WHERE l.sla_due_at IS NOT NULL)" + f" FROM ({cohort_sql}) AS l"
    )[0]


def time_in_stage_rows(cohort_sql: str) -> list[tuple[str, float, int]]:
    """(stage, median hours, moves): the median time between a lead's entering a stage and its next move,
    per stage left, over the cohort's stage changes. Each lead carries its own (Lead.left_stages and
    left_stage_hours, kept from its stage changes by every move), so no stage change is read here."""
    return fetch(
        "SELECT t.stage, percentile_cont(0.5) WITHIN GROUP (ORDER BY t.hours), count(*)"
        f" FROM ({cohort_sql}) AS l"
        " CROSS JOIN LATERAL unnest(l.left_stages, l.left_stage_hours) AS t(stage, hours)"
        " GROUP BY t.stage"
    )


def approved_verdicts(cohort_sql: str) -> QuerySet[LostVerdict]:
    """The cohort's approved lost (and frozen) verdicts."""
    cohort_ids = RawSQL(f"SELECT id FROM ({cohort_sql}) AS l", ())  # noqa: S611 (our own fixed SQL)
    return LostVerdict.objects.filter(status=LostVerdict.Status.APPROVED, lead_id__in=cohort_ids)


BREAKDOWN_MEASURES = f"""
    count(*) AS leads,
    count(*) FILTER (WHERE l.reached_rank >= {RANK[Stage.VISITED]}) AS visited,
    count(*) FILTER (WHERE l.reached_rank >= {RANK[Stage.TEST_DRIVE]}) AS test_drive,
    count(*) FILTER (WHERE l.reached_rank >= {RANK[Stage.ORDERED]}) AS ordered,
    count(*) FILTER (WHERE l.stage = {_literal(Stage.DELIVERED)}) AS delivered,
    count(*) FILTER (WHERE l.stage = {_literal(Stage.LOST)}) AS lost,
    count(*) FILTER (WHERE l.is_sla_breached) AS breached
"""
MEASURES = ("leads", "visited", "test_drive", "ordered", "delivered", "lost", "breached")


def breakdown(
    filters: FunnelFilters,
    cohort_sql: str,
    *,
    key_sql: str = "",
    each_of: str = "",
    label_sql: str = "k.key",
    label_join: str = "",
    param: str,
    order: str = "k.leads DESC, k.key",
    key_params: tuple = (),
    labeller=None,
    drill=None,
) -> list[BreakdownRow]:
    """The cohort's measures grouped by `key_sql` (over the cohort `l`), or by each element of the array
    column `each_of` (a lead counts once under each element it holds, as if the array were unnested), each
    group then labelled by `label_sql` over the group `k` and the tables of `label_join` (names, codes: a
    function of the key, looked up once per group)."""
    if each_of:
        # Few leads hold an array no other lead holds: group by the array first, then split its groups.
        summed = ", ".join(f"sum(g.{measure})::bigint AS {measure}" for measure in MEASURES)
        grouped = f"SELECT l.{each_of} AS elements, {BREAKDOWN_MEASURES} FROM ({cohort_sql}) AS l GROUP BY 1"
        keyed = (
            f"SELECT e.element AS key, {summed} FROM ({grouped}) AS g"
            " CROSS JOIN LATERAL unnest(g.elements) AS e(element) GROUP BY 1"
        )
    else:
        keyed = f"SELECT {key_sql} AS key, {BREAKDOWN_MEASURES} FROM ({cohort_sql}) AS l GROUP BY 1"
    measures = ", ".join(f"k.{measure}" for measure in MEASURES)
    rows = fetch(
        f"SELECT k.key, {label_sql} AS label, {measures} FROM ({keyed}) AS k {label_join} ORDER BY {order}",
        key_params,
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
