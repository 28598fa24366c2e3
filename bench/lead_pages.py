"""The salesperson's lead pages at two dealer sizes, for `make bench`: the lead list, the lead search (the
list's filters) and My day at a dealer with 5,000 and one with 50,000 open leads (each with as many closed
ones), p50/p95 of the page's reads as the view runs them (one scoped transaction) and of the whole page
through Django's test client, each read beside its raw-SQL floor (the least SQL that returns the same page
rows, checked to return them); then the statements per request of a lead create and a stage move.

Data: two dealers of their own (FLAT5K, FLAT50K) with ten salespeople each, built once per bench database
by set-based SQL (`INSERT … SELECT … FROM generate_series`: COPY does not work on tables with row-level
security): customers, their relationships to the dealer, leads (a tenth unowned), stage changes, one open
follow-up per open lead (half of them overdue). A second run finds them and measures again.
"""

import statistics
import time

SIZES = (5_000, 50_000)
SALESPEOPLE = 10
BATCH = 5_000
FLOOR_RATIO_LIMIT = 3.0
OPEN = ("new", "contacted", "visited", "test_drive", "negotiation", "ordered")


def _p(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _timed(function, runs: int) -> list[float]:
    function()  # warm-up: plans, caches
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


# --- Data ------------------------------------------------------------------------------------------------

_LEADS_SQL = f"""
WITH new_customers AS (
    INSERT INTO customers_customer (kind, name, contact_person, preferred_language, preferred_channel,
        province, city, district, street, postal_code, version, created_at, updated_at, origin_dealer_id)
    SELECT 'person', '客户' || %(code)s || '-' || g, '', %(language)s, 'phone', '', '', '', '', '', 1,
           now(), now(), %(dealer)s
    FROM generate_series(%(first)s, %(last)s) AS g
    RETURNING id
),
numbered AS (
    SELECT id AS customer_id, %(first)s - 1 + row_number() OVER (ORDER BY id) AS g FROM new_customers
),
shaped AS (
    SELECT customer_id, g,
           (%(people)s::bigint[])[1 + (g / 2) %% (cardinality(%(people)s::bigint[]) + 1)] AS owner_id,
           now() - make_interval(secs => (g * 31536000.0 / %(total)s)::float8) AS spread_at,
           CASE WHEN g %% 2 = 0 THEN
                CASE WHEN g %% 100 < 15 THEN 'new' WHEN g %% 100 < 40 THEN 'contacted'
                     WHEN g %% 100 < 65 THEN 'visited' WHEN g %% 100 < 80 THEN 'test_drive'
                     WHEN g %% 100 < 92 THEN 'negotiation' ELSE 'ordered' END
           ELSE CASE WHEN g %% 10 < 4 THEN 'delivered' WHEN g %% 10 < 9 THEN 'lost' ELSE 'frozen' END
           END AS stage
    FROM numbered
),
-- Leads still new arrived in the last three days (the older ones were contacted or closed long ago): My
-- day's first-response clocks count business minutes since then, as they do on a real floor.
dated AS (
    SELECT *, CASE WHEN stage = 'new' THEN now() - make_interval(mins => (g %% 4320)::int) ELSE spread_at END
              AS arrived_at
    FROM shaped
)
INSERT INTO leads_lead (dealer_id, customer_id, owner_id, assigned_at, type, source_id, external_id, stage,
    furthest_stage, left_stages, left_stage_hours, grade, grade_is_override, grade_reason, answers,
    models_of_interest, arrived_at, sla_due_at, first_contact_at, first_response_minutes, is_sla_breached,
    is_first_contact_verified, next_follow_up_at, unreachable_attempts, acceptance, rejection_reason,
    closed_at, version, created_at, updated_at)
SELECT %(dealer)s, customer_id, owner_id, CASE WHEN owner_id IS NOT NULL THEN arrived_at END,
       CASE WHEN g %% 3 = 0 THEN 'internet' WHEN g %% 3 = 1 THEN 'walk_in' ELSE 'phone' END, NULL, '',
       stage, CASE WHEN stage IN ('lost', 'frozen') THEN 'new' ELSE stage END, '{{}}', '{{}}',
       CASE stage WHEN 'ordered' THEN 'O' WHEN 'delivered' THEN 'D' WHEN 'lost' THEN 'F1' WHEN 'frozen' THEN 'F2'
            ELSE (ARRAY['H','A','A','B','B','C',''])[1 + g %% 7] END,
       false, '', '{{}}', ARRAY[(ARRAY['A3','A5','A6','X5','EV7'])[1 + g %% 5]], arrived_at,
       CASE WHEN g %% 3 <> 1 THEN arrived_at + interval '2 hours' END,
       CASE WHEN stage <> 'new' THEN arrived_at + make_interval(mins => (g %% 300)::int) END,
       CASE WHEN stage <> 'new' THEN (g %% 300)::int END,
       g %% 3 <> 1 AND (stage = 'new' OR g %% 300 > 120),
       CASE WHEN stage <> 'new' THEN g %% 4 = 0 END,
       CASE WHEN stage IN {OPEN} THEN now() + make_interval(days => (g %% 20)::int - 10) END,
       0, 'not_issued', '', CASE WHEN stage NOT IN {OPEN} THEN arrived_at + interval '20 days' END, 1,
       arrived_at, arrived_at
FROM dated
"""
_AFTER_SQL = [
    """
    INSERT INTO customers_customerdealer (customer_id, dealer_id, reason, first_seen_at, last_seen_at)
    SELECT customer_id, dealer_id, 'lead', arrived_at, arrived_at FROM leads_lead WHERE dealer_id = %(dealer)s
    ON CONFLICT DO NOTHING
    """,
    """
    INSERT INTO leads_stagechange (lead_id, dealer_id, from_stage, to_stage, at, by_id)
    SELECT id, dealer_id, '', 'new', arrived_at, owner_id FROM leads_lead WHERE dealer_id = %(dealer)s AND id > %(floor)s
    UNION ALL
    SELECT id, dealer_id, 'new', stage, coalesce(first_contact_at, arrived_at) + interval '1 day', owner_id
    FROM leads_lead WHERE dealer_id = %(dealer)s AND id > %(floor)s AND stage <> 'new'
    """,
    f"""
    INSERT INTO leads_followup (lead_id, dealer_id, assigned_to_id, reason, due_at, created_at)
    SELECT id, dealer_id, owner_id, 'cadence', next_follow_up_at, arrived_at
    FROM leads_lead WHERE dealer_id = %(dealer)s AND id > %(floor)s AND stage IN {OPEN}
    """,
]


def flat_dealer(open_leads: int, *, log=print):
    """The bench dealer with `open_leads` open leads (and as many closed), its salespeople; built if missing."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from crm.core.scope import network_wide
    from crm.customers.models import Customer
    from crm.network.models import Dealer, Region, Role, RoleAssignment
    from leads.models import Lead

    code = f"FLAT{open_leads // 1000}K"
    user_model = get_user_model()
    with network_wide(reason="bench: flat lead pages, dealer"):
        region, _ = Region.objects.get_or_create(code="bench-flat", defaults={"name": "Bench (flat pages)"})
        dealer, _ = Dealer.objects.get_or_create(
            code=code,
            defaults={"name": f"Bench {code} 4S", "region": region, "city": "上海", "time_zone": "Asia/Shanghai"},
        )
        people = []
        for number in range(SALESPEOPLE):
            user, _ = user_model.objects.get_or_create(username=f"bench.{code.lower()}.{number}")
            RoleAssignment.objects.get_or_create(user=user, role=Role.SALESPERSON, dealer=dealer)
            people.append(user)
        have = Lead.objects.filter(dealer=dealer).count()
        floor = Lead.objects.filter(dealer=dealer).order_by("-id").values_list("id", flat=True).first() or 0
    total = open_leads * 2
    if have < total:
        started = time.perf_counter()
        params = {
            "dealer": dealer.id,
            "code": code,
            "total": total,
            "people": [person.id for person in people],
            "language": Customer._meta.get_field("preferred_language").default,
            "floor": floor,
        }
        # Batches of BATCH customers and leads, each its own transaction: every row passes through the
        # history triggers, whose PL/pgSQL exception blocks open a subtransaction each, and a transaction
        # with hundreds of thousands of them slows down more than linearly (subtransaction cache overflow).
        for first in range(have + 1, total + 1, BATCH):
            with (
                transaction.atomic(),
                network_wide(reason="bench: flat lead pages, data"),
                connection.cursor() as cursor,
            ):
                cursor.execute(_LEADS_SQL, {**params, "first": first, "last": min(total, first + BATCH - 1)})
        with transaction.atomic(), network_wide(reason="bench: flat lead pages, data"), connection.cursor() as cursor:
            for sql in _AFTER_SQL:
                cursor.execute(sql, params)
        seconds = time.perf_counter() - started
        analyze = _analyze()
        added = total - have
        log(
            f"  {code}: {added:,} customers and leads ({open_leads:,} open), their stage changes and "
            f"follow-ups in {seconds:.1f} s ({added / seconds:,.0f} leads/s); ANALYZE {analyze:.1f} s"
        )
    return dealer, people


def _analyze() -> float:
    """Planner statistics for the tables just filled (only the owner may ANALYZE; autovacuum would get there
    later, and until then the planner takes a dealer of 50,000 open leads for one of a handful)."""
    from crm.customers.management.scale.seeding import _owner_connection

    started = time.perf_counter()
    owner = _owner_connection()
    owner.autocommit = True
    with owner.cursor() as cursor:
        for table in ("leads_lead", "leads_followup", "leads_stagechange", "customers_customer",
                      "customers_customerdealer", "leads_leadevent", "customers_customerevent"):  # fmt: skip
            cursor.execute(f"ANALYZE {table}")
    owner.close()
    return time.perf_counter() - started


# --- Floors: the least SQL returning the same rows -----------------------------------------------------------

_PAGE_FLOOR = f"""
SELECT l.id, l.grade, l.stage, l.type, l.models_of_interest, l.next_follow_up_at, l.arrived_at, l.owner_id,
       c.name, u.username, s.name
FROM ((SELECT id, 0 AS part, arrived_at FROM leads_lead
       WHERE dealer_id = %(dealer)s AND owner_id = %(user)s AND stage IN {OPEN} {{where}}
       ORDER BY arrived_at DESC, id DESC LIMIT %(reach)s)
      UNION ALL
      (SELECT id, 1, arrived_at FROM leads_lead
       WHERE dealer_id = %(dealer)s AND (owner_id <> %(user)s OR owner_id IS NULL) AND stage IN {OPEN} {{where}}
       ORDER BY arrived_at DESC, id DESC LIMIT %(reach)s)
      ORDER BY part, arrived_at DESC, id DESC LIMIT %(size)s OFFSET %(start)s) AS page
JOIN leads_lead l ON l.id = page.id
JOIN customers_customer c ON c.id = l.customer_id
LEFT JOIN auth_user u ON u.id = l.owner_id
LEFT JOIN leads_leadsource s ON s.id = l.source_id
ORDER BY page.part, page.arrived_at DESC, page.id DESC
"""
_SEARCHES = {
    "": "",
    "grade=H": "AND grade = 'H'",
    "overdue": "AND (next_follow_up_at < now() OR (first_contact_at IS NULL AND sla_due_at < now()))",
}
_MY_DAY_FLOOR = [
    f"""
    SELECT l.id, l.sla_due_at, l.arrived_at, c.name FROM (
        (SELECT id, sla_due_at FROM leads_lead WHERE dealer_id = %(dealer)s AND owner_id = %(user)s
           AND stage IN {OPEN} AND first_contact_at IS NULL AND sla_due_at IS NOT NULL
         ORDER BY sla_due_at, id LIMIT 50)
        UNION ALL
        (SELECT id, sla_due_at FROM leads_lead WHERE dealer_id = %(dealer)s AND owner_id IS NULL
           AND stage IN {OPEN} AND first_contact_at IS NULL AND sla_due_at IS NOT NULL
         ORDER BY sla_due_at, id LIMIT 50)
        ORDER BY sla_due_at, id LIMIT 50) AS page
    JOIN leads_lead l ON l.id = page.id JOIN customers_customer c ON c.id = l.customer_id
    ORDER BY page.sla_due_at, page.id
    """,
    f"""
    SELECT f.id, f.due_at, l.id, l.grade, c.name FROM leads_followup f
    JOIN leads_lead l ON l.id = f.lead_id JOIN customers_customer c ON c.id = l.customer_id
    WHERE f.assigned_to_id = %(user)s AND f.dealer_id = %(dealer)s AND f.done_at IS NULL
      AND f.due_at <= %(until)s AND (l.stage IN {OPEN} OR f.reason IN ('delivery_day_3', 'delivery_day_7',
      'delivery_month_1'))
    ORDER BY array_position(ARRAY['O','H','A','B','C'], l.grade::text) NULLS LAST, f.due_at LIMIT 50
    """,
    """
    SELECT t.id FROM leads_testdrive t JOIN leads_lead l ON l.id = t.lead_id
    WHERE t.dealer_id = %(dealer)s AND t.starts_at >= %(day)s AND t.starts_at < %(day)s + interval '1 day'
      AND t.status = 'booked' AND (l.owner_id = %(user)s OR t.booked_by_id = %(user)s) ORDER BY t.starts_at LIMIT 50
    """,
]


# --- The measures --------------------------------------------------------------------------------------------


def bench_lead_pages(*, runs: int, out, sizes=SIZES) -> int:
    """Print the figures; returns 1 when a page's reads are not flat or not within 3x of their floor."""
    from leads.models import CALLBACK_REASONS

    out("## lead pages at 5,000 and 50,000 open leads per dealer (salesperson; reads in one scoped transaction)")
    dealers = [(size, *flat_dealer(size, log=out)) for size in sizes]
    out(f"  ANALYZE of the lead and customer tables (as the owner): {_analyze():.1f} s")
    failures: list[str] = []
    results: dict[str, dict[int, float]] = {}
    header = f"  {'what':<44}{'open':>8}{'p50 ms':>9}{'p95 ms':>9}{'floor p50':>10}{'floor p95':>10}{'x floor':>8}"
    out(header)
    assert set(CALLBACK_REASONS) == {"delivery_day_3", "delivery_day_7", "delivery_month_1"}
    for size, dealer, people in dealers:
        _measure_dealer(size, dealer, people, runs=runs, out=out, failures=failures, results=results)
    out("  flat: p95 at the largest size over p95 at the smallest (1.0 = flat)")
    small, large = sizes[0], sizes[-1]
    for label, by_size in results.items():
        growth = by_size[large] / by_size[small]
        out(f"    {label:<52}{growth:>6.2f}")
        if growth > 1.5 and by_size[large] > 2.0:
            failures.append(f"{label}: p95 grows {growth:.1f}x from {small:,} to {large:,} open leads")
    out("")
    _statements(dealers[-1][1], dealers[-1][2][1], runs=max(10, runs // 2), out=out)
    if failures:
        out("FAIL: " + "; ".join(failures))
        return 1
    out(f"OK: every page flat from {small:,} to {large:,} open leads and within {FLOOR_RATIO_LIMIT:.0f}x of its floor")
    return 0


def _measure_dealer(size, dealer, people, *, runs, out, failures, results) -> None:
    """One dealer's lines: every page's reads beside their floor, the old read, the whole pages."""
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from crm.core.scope import scoped
    from crm.network.access import access_for, access_forget
    from leads import selectors

    user = people[0]
    access_forget(user)
    scope = access_for(user).scope
    client = Client()
    client.force_login(user)

    def floor_rows(sql: str, params: dict) -> list:
        with scoped(scope), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def line(label: str, page_reads, floor, *, check=None) -> None:
        measured, floor_timings = _timed(page_reads, runs), _timed(floor, runs)
        ratio = statistics.median(measured) / statistics.median(floor_timings)
        results.setdefault(label, {})[size] = _p(measured, 95)
        out(
            f"  {label:<44}{size:>8,}{statistics.median(measured):>9.2f}{_p(measured, 95):>9.2f}"
            f"{statistics.median(floor_timings):>10.2f}{_p(floor_timings, 95):>10.2f}{ratio:>7.1f}x"
        )
        if ratio > FLOOR_RATIO_LIMIT:
            failures.append(f"{label} at {size:,}: {ratio:.1f}x its floor")
        if check is not None:
            check()

    for search, where in _SEARCHES.items():
        filters = {"grade": "H"} if search == "grade=H" else {"overdue": True} if search == "overdue" else {}
        for page in (1, 4):
            label = f"lead {'list' if not search else 'search ' + search}, page {page}"
            params = {"dealer": dealer.id, "user": user.id, "reach": page * 25 + 1, "size": 26,
                      "start": (page - 1) * 25}  # fmt: skip
            sql = _PAGE_FLOOR.format(where=where)

            def page_reads(filters=filters, page=page):
                with scoped(scope):
                    return selectors.leads_list(user=user, filters=filters, page=page)

            def same_rows(sql=sql, params=params, page_reads=page_reads, label=label):
                rows, _has_next = page_reads()
                floor_ids = [row[0] for row in floor_rows(sql, params)][:25]
                if [lead.id for lead in rows] != floor_ids or len(rows) != 25:
                    failures.append(f"{label} at {size:,}: the floor returns other rows")

            line(label, page_reads, lambda sql=sql, params=params: floor_rows(sql, params), check=same_rows)

    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    day_params = {"dealer": dealer.id, "user": user.id, "day": today,
                  "until": today.replace(hour=23, minute=59, second=59)}  # fmt: skip

    def my_day_reads():
        with scoped(scope):
            return selectors.my_day(user=user)

    def my_day_floor():
        return [floor_rows(sql, day_params) for sql in _MY_DAY_FLOOR]

    def my_day_same():
        day, floor = my_day_reads(), my_day_floor()
        if [lead.id for lead in day["new_leads"]] != [row[0] for row in floor[0]] or not floor[0]:
            failures.append(f"My day at {size:,}: new leads differ from the floor's")
        if len(day["follow_ups"]) != len(floor[1]) or not floor[1]:
            failures.append(f"My day at {size:,}: follow-ups differ from the floor's")

    line("My day (new leads, follow-ups, test drives)", my_day_reads, my_day_floor, check=my_day_same)

    _plans(user, scope, size, out)

    # The same reads the way the list did them before: all open leads joined and sorted per page.
    def list_before():
        with scoped(scope):
            list(selectors.leads_for_user(user=user).filter(stage__in=OPEN)[:26])

    before = _timed(list_before, max(10, runs // 5))
    out(f"  {'  (before: one join sorting all open leads)':<44}{size:>8,}{statistics.median(before):>9.2f}"
        f"{_p(before, 95):>9.2f}")  # fmt: skip

    for label, url in (("whole page: lead list", reverse("leads:list")), ("whole page: My day", reverse("leads:my_day"))):
        timings = _timed(lambda url=url: client.get(url), max(10, runs // 2))
        results.setdefault(label, {})[size] = _p(timings, 95)
        out(f"  {label:<44}{size:>8,}{statistics.median(timings):>9.2f}{_p(timings, 95):>9.2f}")
    out("")


def _plans(user, scope, size: int, out) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every read of the list's page 1 and of My day: which index each walks
    and how many buffers it touches (the same at both sizes when the read is flat)."""
    from django.db import connection

    from bench.run import _plan_summary
    from crm.core.scope import scoped
    from leads import selectors

    for label, read in (
        ("lead list page 1", lambda: selectors.leads_list(user=user, filters={}, page=1)),
        ("My day", lambda: selectors.my_day(user=user)),
    ):
        statements = []

        def capture(execute, sql, params, many, context, statements=statements):
            statements.append((sql, params))
            return execute(sql, params, many, context)

        with scoped(scope), connection.execute_wrapper(capture):
            read()
        with scoped(scope), connection.cursor() as cursor:
            for number, (sql, params) in enumerate(statements):
                if not sql.lstrip("( ").upper().startswith("SELECT") or "crm_scope" in sql or "set_config" in sql:
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                summary, _bad = _plan_summary([row[0] for row in cursor.fetchall()])
                out(f"    plan, {label} q{number} at {size:,}: {summary}")


def _statements(dealer, user, *, runs: int, out) -> None:
    """Statements per request (and time) of the writes a salesperson makes most: create and stage move."""
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from rest_framework.test import APIClient

    from crm.core.scope import network_wide
    from leads.models import Lead

    api = APIClient()
    api.force_authenticate(user)
    page = Client()
    page.force_login(user)
    with network_wide(reason="bench: leads to move"):
        movable = list(
            Lead.objects.filter(dealer=dealer, owner=user, stage="new").order_by("-id").values_list("id", flat=True)[
                : runs * 3 + 3
            ]
        )
    phones = iter(range(10**6))
    stamp = time.time_ns() % 10**6

    def create():
        number = next(phones)
        return api.post(
            "/api/v1/leads/",
            {"dealer": dealer.id, "name": f"Bench {number}", "type": "phone",
             "phones": [f"+86199{stamp:06d}{number:02d}"[:14]]},
            format="json",
        )  # fmt: skip

    leads = iter(movable)

    def move_api():
        return api.post(f"/api/v1/leads/{next(leads)}/move/", {"to_stage": "contacted"}, format="json")

    def move_page():
        return page.post(reverse("leads:move", args=[next(leads)]), {"to_stage": "contacted"})

    out("## writes: statements per request (as production runs them: BEGIN … COMMIT included) and time")
    out(f"  {'request':<44}{'statements':>11}{'p50 ms':>9}{'p95 ms':>9}")
    for label, request, ok in (
        ("lead create (API, new customer)", create, 201),
        ("stage move (API)", move_api, 200),
        ("stage move (page)", move_page, 302),
    ):
        reset_queries()  # the debug log holds at most 9,000 statements: the pages above filled it
        with CaptureQueriesContext(connection) as context:
            response = request()
        if response.status_code != ok:
            out(f"  {label}: answered {response.status_code}: {response.content[:200]!r}")
            continue
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            request()
            timings.append((time.perf_counter() - started) * 1000)
        out(f"  {label:<44}{len(context.captured_queries):>11}{statistics.median(timings):>9.2f}{_p(timings, 95):>9.2f}")
    out("")


def main(argv=None) -> int:
    """`python -m bench.lead_pages [--database NAME] [--runs N]`: only this section, on its own database."""
    import argparse
    import sys

    from bench import run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="crm_bench")
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args(argv)
    run._prepare_environment(args.database)
    sys.path.insert(0, str(run.ROOT))
    run._migrate()
    import django

    django.setup()
    return bench_lead_pages(runs=args.runs, out=run.out)


if __name__ == "__main__":
    raise SystemExit(main())
