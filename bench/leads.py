"""The funnel's figures for `make bench`: at N leads over D dealers, the showroom-visit save, "my day",
the funnel dashboard for one dealer and for a whole region, and ADF intake — each beside a raw-SQL
baseline doing the same database work in the same run, so the ratio shows the framework's overhead."""

import statistics
import time
from datetime import timedelta

PHONE_BASE = 19_900_000_000  # numbers nobody in seed_scale has (it uses 13x-18x)


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


def bench_leads(*, leads: int, dealers: int, runs: int, out) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from crm.core.scope import Scope, network_wide, scoped
    from crm.network.access import access_for, access_forget
    from crm.network.models import Dealer, Role, RoleAssignment
    from leads import selectors
    from leads.adf import parse_adf
    from leads.dashboard.selectors import FunnelFilters, funnel_figures
    from leads.management.commands.seed_scale_leads import scale_leads
    from leads.models import Lead, LeadSource
    from leads.services import adf_capture, visit_log

    with network_wide(reason="bench: lead count"):
        existing = Lead.objects.count()
    out(f"## leads: {existing:,} in the database (target {leads:,} over {dealers} dealers)")
    if existing < leads:
        timings = scale_leads(leads=leads - existing, dealers=dealers, log=lambda line: None)
        overall = timings.pop("overall")
        out(
            f"  seed_scale_leads: {leads - existing:,} leads in {overall:.1f} s = {(leads - existing) / overall:,.0f} leads/s"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        from crm.customers.management.commands.seed_scale import scale_analyze

        scale_analyze(log=lambda line: None)

    with network_wide(reason="bench: pick users"):
        busiest = (
            Lead.objects.filter(owner__username__startswith="bench.")
            .values("owner_id", "dealer_id")
            .order_by("owner_id")
            .first()
        )
        User = get_user_model()
        sales = User.objects.get(id=busiest["owner_id"])
        dealer_id = busiest["dealer_id"]
        manager, _ = User.objects.get_or_create(username=f"bench.manager.{dealer_id}")
        RoleAssignment.objects.get_or_create(user=manager, role=Role.SALES_MANAGER, dealer_id=dealer_id)
        region_id = (
            RoleAssignment.objects.filter(dealer_id=dealer_id)
            .values_list("dealer__region_id", flat=True)
            .first()
        )
        regional, _ = User.objects.get_or_create(username=f"bench.region.{region_id}")
        RoleAssignment.objects.get_or_create(user=regional, role=Role.REGIONAL_MANAGER, region_id=region_id)
        dealer_leads = Lead.objects.filter(dealer_id=dealer_id).count()
        region_leads = Lead.objects.filter(dealer__region_id=region_id).count()
        returning = list(
            Lead.objects.filter(dealer_id=dealer_id, customer__contact_points__kind="phone").values_list(
                "customer__contact_points__value", flat=True
            )[: runs * 2]
        )
        source, _ = LeadSource.objects.get_or_create(
            code="bench-adf", defaults={"name": "Bench ADF", "channel": "adf", "dealer_id": dealer_id}
        )
    for user in (sales, manager, regional):
        access_forget(user)
    dealer = Dealer.objects.get(id=dealer_id)
    out(
        f"  dealer {dealer.code}: {dealer_leads:,} leads; its region: {region_leads:,} leads; salesperson {sales.username}"
    )
    out(f"  {'what':<52}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'ratio p50':>11}")

    def report(label: str, measured: list[float], baseline: list[float], base_label: str) -> None:
        out(
            f"  {label:<52}{_figures(measured)}{statistics.median(measured) / statistics.median(baseline):10.1f}x"
        )
        out(f"  {'  baseline: ' + base_label:<52}{_figures(baseline)}")

    # "My day": the three lists of the salesperson's start page.
    sales_scope = access_for(sales).scope

    def my_day():
        with scoped(sales_scope):
            list(selectors.follow_ups_due(user=sales)[:50])
            list(selectors.leads_awaiting_first_response(user=sales)[:50])
            list(selectors.test_drives_today(user=sales))

    def my_day_sql():
        with scoped(sales_scope), connection.cursor() as cursor:
            cursor.execute(
                "SELECT f.id, l.id, c.name FROM leads_followup f JOIN leads_lead l ON l.id = f.lead_id "
                "JOIN customers_customer c ON c.id = l.customer_id WHERE f.assigned_to_id = %s AND f.done_at IS NULL "
                "AND f.due_at <= now() + interval '1 day' ORDER BY f.due_at LIMIT 50",
                [sales.id],
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT l.id FROM leads_lead l WHERE l.dealer_id = %s AND l.first_contact_at IS NULL AND l.sla_due_at IS NOT NULL "
                "AND (l.owner_id = %s OR l.owner_id IS NULL) ORDER BY l.sla_due_at LIMIT 50",
                [dealer_id, sales.id],
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT id FROM leads_testdrive WHERE dealer_id = %s AND starts_at >= now()::date AND starts_at < now()::date + 1",
                [dealer_id],
            )
            cursor.fetchall()

    my_day(), my_day_sql()
    report(
        '"my day" (3 lists, scoped)',
        _timed(my_day, runs),
        _timed(my_day_sql, runs),
        "the same 3 queries in raw SQL",
    )

    # Showroom visit save for returning customers (identity match, joins their lead, follow-up…).
    phones = iter(returning)

    def visit():
        with scoped(sales_scope):
            visit_log(
                by=sales,
                dealer=dealer,
                phone=next(phones),
                party_size=2,
                models_of_interest=["A6"],
                grade="A",
            )

    def visit_sql():
        with scoped(sales_scope), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO leads_showroomvisit (dealer_id, salesperson_id, arrived_at, party_size, models_of_interest, grade, "
                "next_step, note, is_first_visit, created_at) VALUES (%s, %s, now(), 2, ARRAY['A6'], 'A', '', '', false, now())",
                [dealer_id, sales.id],
            )
            cursor.execute(
                "UPDATE leads_lead SET updated_at = now() WHERE id = (SELECT id FROM leads_lead WHERE dealer_id = %s LIMIT 1)",
                [dealer_id],
            )

    report(
        "showroom visit save (returning customer)",
        _timed(visit, runs),
        _timed(visit_sql, runs),
        "INSERT visit + UPDATE lead",
    )

    # Funnel dashboard, last 30 days: one dealer (its manager), a whole region (the regional manager).
    today = timezone.localdate()
    filters = FunnelFilters(date_from=today - timedelta(days=30), date_to=today)
    for label, user, where in (
        ("funnel dashboard, one dealer", manager, ("l.dealer_id = %s", [dealer_id])),
        ("funnel dashboard, whole region", regional, ("d.region_id = %s", [region_id])),
    ):
        scope = access_for(user).scope

        def dashboard(user=user, scope=scope):
            with scoped(scope):
                funnel_figures(user=user, filters=filters)

        def dashboard_sql(scope=scope, where=where):
            with scoped(scope), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT l.stage, count(*) FROM leads_lead l JOIN network_dealer d ON d.id = l.dealer_id "
                    f"WHERE {where[0]} AND l.arrived_at >= %s GROUP BY l.stage",  # noqa: S608 (fixed fragments)
                    [*where[1], today - timedelta(days=30)],
                )
                cursor.fetchall()

        dashboard(), dashboard_sql()
        report(
            label,
            _timed(dashboard, max(10, runs // 5)),
            _timed(dashboard_sql, max(10, runs // 5)),
            "one GROUP BY stage",
        )

    # ADF intake: documents of 50 new prospects each, with ids no earlier run used (a reused bench database
    # would otherwise measure resends).
    counter = iter(range(time.time_ns() // 1000 % 10**12, 10**13))

    def adf_document() -> bytes:
        prospects = "".join(
            f"<prospect><id source='bench'>B{next(counter)}</id><requestdate>2026-11-20T10:00:00+08:00</requestdate>"
            f"<vehicle interest='buy'><make>Aurora</make><model>A6</model></vehicle>"
            f"<customer><contact><name part='full'>测试客户{n}</name><phone>+86{PHONE_BASE + next(counter) % 99_999_999}</phone>"
            f"</contact></customer></prospect>"
            for n in range(50)
        )
        return f"<?xml version='1.0'?><?adf version='1.0'?><adf>{prospects}</adf>".encode()

    documents = [adf_document() for _ in range(4)]
    started = time.perf_counter()
    captured = 0
    for document in documents:
        results = adf_capture(source=source, prospects=parse_adf(document).prospects)
        captured += sum(1 for r in results if getattr(r, "lead_id", None))
    adf_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with scoped(Scope.dealers([dealer_id])), connection.cursor() as cursor:
        for _ in range(len(documents) * 50):
            cursor.execute(
                "INSERT INTO leads_showroomvisit (dealer_id, salesperson_id, arrived_at, party_size, models_of_interest, grade, "
                "next_step, note, is_first_visit, created_at) VALUES (%s, %s, now(), 1, '{}', '', '', '', true, now())",
                [dealer_id, sales.id],
            )
    baseline_seconds = time.perf_counter() - started
    out(
        f"  ADF intake: {captured} leads in {adf_seconds:.2f} s = {captured / adf_seconds:,.0f} leads/s "
        f"(baseline {len(documents) * 50 / baseline_seconds:,.0f} single-row INSERTs/s; ratio {(len(documents) * 50 / baseline_seconds) / (captured / adf_seconds):.0f}x)"
    )
