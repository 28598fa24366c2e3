"""The dealers' key figures for `make bench` (after bench.leads has seeded its funnel): the daily facts' refresh of
one day for every dealer and of a month, then reading the response figures for one dealer, a region and the
network over that month from the facts — each beside a raw-SQL baseline computing the same figures straight
from the lead table in the same run — and every registered figure for every dealer (a scorecard draft's reads)."""

import statistics
import time
from datetime import timedelta

# The figures compared with the raw-SQL baseline (it computes exactly these from leads_lead).
COMPARED = (
    "leads.received",
    "leads.first_response_median",
    "leads.first_response_p90",
    "leads.first_response_within_sla",
    "leads.never_contacted",
)

BASELINE_SQL = """
    WITH cohort AS (
        SELECT l.dealer_id, l.sla_due_at, l.first_contact_at, l.first_response_minutes
        FROM leads_lead l JOIN network_dealer d ON d.id = l.dealer_id
        WHERE l.dealer_id = ANY(%(dealers)s)
          AND l.arrived_at >= %(start)s AND l.arrived_at < %(end)s
          AND (timezone(d.time_zone, l.arrived_at))::date BETWEEN %(first)s AND %(last)s
          AND NOT EXISTS (
              SELECT 1 FROM leads_lead e
              WHERE e.customer_id = l.customer_id AND e.dealer_id = l.dealer_id
                AND (e.arrived_at < l.arrived_at OR (e.arrived_at = l.arrived_at AND e.id < l.id))
                AND (e.closed_at IS NULL OR e.closed_at > l.arrived_at))
    )
    SELECT dealer_id,
           count(*),
           percentile_disc(0.5) WITHIN GROUP (ORDER BY first_response_minutes)
               FILTER (WHERE sla_due_at IS NOT NULL AND first_response_minutes IS NOT NULL),
           percentile_disc(0.9) WITHIN GROUP (ORDER BY first_response_minutes)
               FILTER (WHERE sla_due_at IS NOT NULL AND first_response_minutes IS NOT NULL),
           count(*) FILTER (WHERE sla_due_at IS NOT NULL AND first_contact_at <= sla_due_at),
           count(*) FILTER (WHERE sla_due_at IS NOT NULL AND first_contact_at IS NULL),
           count(*) FILTER (WHERE sla_due_at IS NOT NULL)
    FROM cohort GROUP BY dealer_id
"""


def _figures(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):10.2f}{p95:10.2f}{max(ordered):10.2f}"


def _timed(function, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def bench_dealers(*, runs: int, out) -> None:
    from datetime import UTC, datetime

    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from crm.core import key_figures
    from crm.core.scope import network_wide
    from crm.network.models import Dealer
    from dealers.models import DailyFact
    from dealers.selectors.figures import Period, figure_values, figure_values_together
    from dealers.services.facts import dealer_batches, facts_rederive
    from leads.models import Lead

    today = timezone.localdate()
    period = Period(today - timedelta(days=32), today - timedelta(days=3))
    with network_wide(reason="bench: the network"):
        dealers = list(Dealer.objects.filter(is_active=True).order_by("id").values_list("id", "region_id"))
        busiest = Lead.objects.order_by().values("dealer_id").annotate(n=Count("id"))
        dealer_id = max(busiest, key=lambda row: row["n"])["dealer_id"] if busiest else dealers[0][0]
        region_id = next(region for dealer, region in dealers if dealer == dealer_id)
        month_leads = Lead.objects.filter(arrived_at__date__gte=period.first_day, arrived_at__date__lte=period.last_day).count()
    region = [dealer for dealer, region in dealers if region == region_id]
    network = [dealer for dealer, _region in dealers]
    out(
        f"## dealers' key figures: {len(network):,} dealers, {month_leads:,} leads in the month "
        f"{period.first_day} … {period.last_day}; a region of {len(region)} dealers; "
        f"{len(key_figures.measures())} measures, {len(key_figures.figures())} figures"
    )

    # The facts: one day for every dealer (what the nightly pass does per day), then the month.
    with network_wide(reason="bench: facts of one day"):
        started = time.perf_counter()
        for batch in dealer_batches():
            facts_rederive(dealer_ids=batch, first_day=period.last_day, last_day=period.last_day)
        one_day = time.perf_counter() - started
        started = time.perf_counter()
        for batch in dealer_batches():
            facts_rederive(dealer_ids=batch, first_day=period.first_day, last_day=period.last_day)
        month = time.perf_counter() - started
        facts = DailyFact.objects.count()
    out(f"  facts refresh, one day × {len(network):,} dealers: {one_day:.1f} s; the month: {month:.1f} s ({facts:,} rows)")
    out(f"  {'what':<52}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'ratio p50':>11}")

    start = datetime.combine(period.first_day, datetime.min.time(), tzinfo=UTC) - timedelta(days=1)
    end = datetime.combine(period.last_day + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(days=1)

    def baseline(dealer_ids):
        def run():
            with network_wide(reason="bench: baseline"), connection.cursor() as cursor:
                cursor.execute(
                    BASELINE_SQL,
                    {"dealers": dealer_ids, "start": start, "end": end, "first": period.first_day, "last": period.last_day},
                )
                return cursor.fetchall()

        return run

    def from_facts(dealer_ids, together=False):
        def run():
            with network_wide(reason="bench: figures from facts"):
                if together:
                    return figure_values_together(codes=COMPARED, dealer_ids=dealer_ids, period=period)
                return figure_values(codes=COMPARED, dealer_ids=dealer_ids, period=period)

        return run

    # The two sources agree (received, within the SLA, never contacted) before anything is timed.
    values = from_facts([dealer_id])()
    row = next((r for r in baseline([dealer_id])() if r[0] == dealer_id), None)
    if row is not None:
        assert values["leads.received"][dealer_id].value == row[1], (values["leads.received"][dealer_id], row)
        assert values["leads.never_contacted"][dealer_id].numerator == row[5]

    for label, dealer_ids, together in (
        ("one dealer, 5 response figures, a month", [dealer_id], False),
        (f"a region ({len(region)} dealers), per dealer", region, False),
        (f"a region ({len(region)} dealers), together", region, True),
        (f"the network ({len(network)} dealers), per dealer", network, False),
    ):
        measured = _timed(from_facts(dealer_ids, together), runs)
        base = _timed(baseline(dealer_ids), runs)
        out(f"  {label:<52}{_figures(measured)}{statistics.median(measured) / statistics.median(base):10.1f}x")
        out(f"  {'  baseline: the same figures in raw SQL on leads':<52}{_figures(base)}")

    codes = [figure.code for figure in key_figures.figures()]
    every = _timed(lambda: _all(network, codes, period), max(1, runs // 10))
    out(f"  {'every figure × every dealer, a month (scorecard reads)':<52}{_figures(every)}")


def _all(dealer_ids, codes, period):
    from crm.core.scope import network_wide
    from dealers.selectors.figures import figure_values

    with network_wide(reason="bench: every figure"):
        return figure_values(codes=codes, dealer_ids=dealer_ids, period=period)
