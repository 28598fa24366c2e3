"""`python -m bench.run [--customers N]` (what `make bench` runs): search and seeding figures at scale.

Uses its own database (default `crm_bench`, never the one `make run` uses): creates and migrates it if
needed, seeds it with `seed_scale` up to the target size (an existing bench database of that size is
reused), then measures customer search through `crm.customers.selectors.customer_search` exactly as a
request runs it (one transaction with the user's row-level security scope), for an OEM admin (network-wide)
and for a salesperson of one dealer (app scope + row-level security). A primary-key SELECT and a bare
`SELECT 1` measured in the same run are the baseline every figure is compared with. One query of each
kind is run again under EXPLAIN (ANALYZE, BUFFERS); a sequential scan of the customer or contact-point
table fails the run (exit status 1). Everything printed is also written to bench/results/latest.txt.
"""

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.txt"
FORBIDDEN_SEQ_SCANS = ("customers_customer", "customers_contactpoint")
_lines: list[str] = []
_plans: list[str] = []


def out(line: str = "") -> None:
    print(line, flush=True)
    _lines.append(line)


def _with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path="/" + name))


def _prepare_environment(database: str) -> None:
    """Point both roles at the bench database before Django reads its settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    app = os.environ.get("DATABASE_URL", "postgres://crm_app@127.0.0.1:5432/crm")
    owner = os.environ.get("DATABASE_OWNER_URL", "postgres://crm_owner@127.0.0.1:5432/crm")
    os.environ["DATABASE_URL"] = _with_database(app, database)
    os.environ["DATABASE_OWNER_URL"] = _with_database(owner, database)
    os.environ.pop("CRM_DB_AS_OWNER", None)


def _migrate() -> None:
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "db_bootstrap"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    subprocess.run(  # noqa: S603 (our own manage.py)
        [*manage, "migrate", "--noinput", "-v", "0"],
        check=True,
        cwd=ROOT,
        env={**os.environ, "CRM_DB_AS_OWNER": "1"},
    )


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="data size (default 1,000,000)")
    parser.add_argument("--dealers", type=int, default=60)
    parser.add_argument("--queries", type=int, default=200, help="queries per kind and user (default 200)")
    parser.add_argument("--database", default="crm_bench")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=20240601, help="random seed for the inputs")
    parser.add_argument(
        "--leads", type=int, default=1_000_000, help="funnel size (default 1,000,000; 0 skips)"
    )
    parser.add_argument("--lead-dealers", type=int, default=200)
    parser.add_argument(
        "--campaign",
        type=int,
        default=100_000,
        help="recipients of the messaging campaign (default 100,000; 0 skips)",
    )
    parser.add_argument(
        "--only",
        choices=["reminders", "load", "lead-pages"],
        help="one section alone, on whatever the bench database holds (reminders: the reminder delay "
        "while a campaign of --campaign recipients sends; load: the load test; lead-pages: the lead list, "
        "lead search and My day at 5,000 and 50,000 open leads, and the writes' statements)",
    )
    parser.add_argument("--load-seconds", type=int, default=300, help="load test duration (default 300; 0 skips)")
    parser.add_argument(
        "--members", type=int, default=int(os.environ.get("BENCH_MEMBERS", 1_000_000)),
        help="club members (default 1,000,000 or $BENCH_MEMBERS; 0 skips the owner club)",
    )  # fmt: skip
    parser.add_argument(
        "--entries", type=int, default=int(os.environ.get("BENCH_ENTRIES", 20_000_000)),
        help="points ledger entries (default 20,000,000 or $BENCH_ENTRIES)",
    )  # fmt: skip
    parser.add_argument(
        "--responses", type=int, default=int(os.environ.get("BENCH_RESPONSES", 1_000_000)),
        help="survey responses (default 1,000,000 or $BENCH_RESPONSES)",
    )  # fmt: skip
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients for the redemption (default 8)")
    parser.add_argument(
        "--vehicles", type=int, default=int(os.environ.get("BENCH_VEHICLES", 1_000_000)),
        help="vehicles (default 1,000,000 or $BENCH_VEHICLES; 0 skips the workshop)",
    )  # fmt: skip
    parser.add_argument(
        "--repair-orders", type=int, default=int(os.environ.get("BENCH_REPAIR_ORDERS", 5_000_000)),
        help="repair orders (default 5,000,000 or $BENCH_REPAIR_ORDERS)",
    )  # fmt: skip
    parser.add_argument("--import-orders", type=int, default=500, help="orders in the DMS import file (default 500)")
    parser.add_argument("--load-leads", type=int, default=20_000, help="leads (and customers) of its 10 dealers")
    args = parser.parse_args(argv)

    _prepare_environment(args.database)
    sys.path.insert(0, str(ROOT))
    _migrate()
    import django

    django.setup()
    if args.only:
        return _only(args)
    status = _bench(args)
    if args.leads:
        from bench.leads import bench_leads

        out("")
        bench_leads(leads=args.leads, dealers=args.lead_dealers, runs=min(args.queries, 100), out=out)
        from bench.dealers import bench_dealers  # dl-figures: the dealers' key figures from daily facts

        out("")
        bench_dealers(runs=min(args.queries, 50), out=out)
    if args.campaign:
        from bench.messaging import bench_messaging

        out("")
        bench_messaging(recipients=args.campaign, out=out)
        from bench.messaging import bench_reminder_delay

        out("")
        bench_reminder_delay(recipients=args.campaign, out=out)
    if args.load_seconds:
        from bench.load import bench_load

        out("")
        status |= bench_load(
            seconds=args.load_seconds, out=out, customers=args.load_leads, leads=args.load_leads
        )
    if args.members:
        from bench.loyalty import bench_loyalty  # issue 11: the owner club and its surveys

        out("")
        bench_loyalty(
            members=args.members, entries=args.entries, responses=args.responses, runs=min(args.queries, 200),
            clients=args.clients, out=out,
        )  # fmt: skip
    if args.vehicles:
        from bench.service import bench_service  # issue 10: the workshop

        out("")
        bench_service(
            vehicles=args.vehicles, repair_orders=args.repair_orders, runs=min(args.queries, 200),
            import_orders=args.import_orders, out=out,
        )  # fmt: skip
    from bench.scorecards import bench_scorecards  # dl-audit: a month's scorecard drafts for every dealer

    out("")
    bench_scorecards(out=out)
    from bench.maintenance import bench_maintenance  # maintenance due: the nightly recomputation

    out("")
    bench_maintenance(out=out)
    from bench.lead_pages import bench_lead_pages

    out("")  # leadperf: the salesperson's lead pages flat in a dealer's open leads, the writes' statements
    status = max(status, bench_lead_pages(runs=min(args.queries, 100), out=out))
    _write_results()
    return status


def _write_results() -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "\n".join(_lines) + "\n\n# EXPLAIN (ANALYZE, BUFFERS), full plans\n\n" + "\n".join(_plans)
    )
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


def _only(args) -> int:
    out(f"# Dealer CRM bench ({args.only} only), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, database {args.database}")
    if args.only == "reminders":
        from bench.messaging import bench_reminder_delay

        bench_reminder_delay(recipients=args.campaign, out=out)
    status = 0
    if args.only == "lead-pages":
        from bench.lead_pages import bench_lead_pages

        status = bench_lead_pages(runs=min(args.queries, 100), out=out)
    if args.only == "load":
        from bench.load import bench_load

        status = bench_load(
            seconds=args.load_seconds, out=out, customers=args.load_leads, leads=args.load_leads
        )
    results = RESULTS.with_name(f"{args.only}.txt")
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(_lines) + "\n")
    print(f"\nwritten to {results.relative_to(ROOT)}")
    return status


def _bench(args) -> int:
    from django.db import connection

    from crm.core.scope import network_wide
    from crm.customers.management.commands.seed_scale import scale_analyze, scale_seed
    from crm.customers.models import Customer

    out(f"# Dealer CRM bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, database {args.database}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    out(f"PostgreSQL {server}; {os.cpu_count()} CPUs; app role {connection.settings_dict['USER']}")

    with network_wide(reason="bench: size"):
        existing = Customer.objects.count()
    out(f"customers in the database: {existing:,} (target {args.customers:,})")
    out("")
    if existing < args.customers:
        out(f"## seed_scale: adding {args.customers - existing:,} customers ({args.workers} workers)")
        stats = scale_seed(
            customers=args.customers - existing, dealers=args.dealers, workers=args.workers, log=out
        )
    else:
        out("## seed_scale: the database is big enough; measuring one extra batch of 100,000 customers")
        stats = scale_seed(customers=100_000, dealers=args.dealers, workers=args.workers, log=out)
    for line in stats.lines():
        out(line)
    out(f"  ANALYZE (as the owner role) in {scale_analyze(log=out):.1f} s")
    out("")

    return _measure(args)


def _measure(args) -> int:
    from django.db import connection

    from crm.core.scope import network_wide, scoped
    from crm.customers.management.commands.seed_scale import scale_dealers
    from crm.customers.models import Customer
    from crm.customers.selectors import customer_search, search_query_parse
    from crm.network.access import access_for

    rng = random.Random(args.seed)
    with network_wide(reason="bench: size"), connection.cursor() as cursor:
        sizes = {}
        for table in (
            "customers_customer",
            "customers_contactpoint",
            "customers_customerdealer",
            "customers_vehicle",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed table names)
            sizes[table] = cursor.fetchone()[0]
    out("## data size")
    out("  " + ", ".join(f"{table.split('_', 1)[1]} {count:,}" for table, count in sizes.items()))

    dealer = scale_dealers(args.dealers)[0]
    oem, sales = _bench_users(dealer)
    with network_wide(reason="bench: size"):
        dealer_customers = dealer.customer_links.count()
    out(f"  salesperson's dealer {dealer.code}: {dealer_customers:,} customers")
    out("")

    users = [("OEM admin (network-wide)", oem), (f"salesperson @{dealer.code} (RLS)", sales)]
    samples = {label: _sample_inputs(user, rng, args.queries) for label, user in users}

    # Baseline, in the same run: a bare round trip, and a primary-key SELECT in a request's transaction.
    customer_ids = list(samples[users[0][0]]["ids"])
    select_one, pk_select = [], []
    for i in range(args.queries):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        select_one.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with scoped(access_for(oem).scope):
            Customer.objects.filter(pk=customer_ids[i % len(customer_ids)]).first()
        pk_select.append((time.perf_counter() - started) * 1000)
    baseline = statistics.median(pk_select)
    out("## baseline (same run)")
    out(f"  {'what':<44}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}")
    out(f"  {'SELECT 1 (round trip)':<44}{_figures(select_one)}")
    out(f"  {'primary-key SELECT of a customer (scoped txn)':<44}{_figures(pk_select)}")
    out("")

    out(f"## customer_search, {args.queries} queries per line, each in its own scoped transaction")
    out(
        f"  {'user':<30}{'search':<22}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'x pk p50':>9}"
        f"{'found':>8}  parsed as"
    )
    failures: list[str] = []
    for label, user in users:
        scope = access_for(user).scope
        for kind, inputs in samples[label]["inputs"].items():
            for text, _expected in inputs[:10]:  # warm-up
                with scoped(scope):
                    customer_search(user=user, text=text)
            timings, found, parsed = [], 0, {}
            for text, expected in inputs:
                started = time.perf_counter()
                with scoped(scope):
                    _query, results = customer_search(user=user, text=text)
                timings.append((time.perf_counter() - started) * 1000)
                parsed[_query.kind] = parsed.get(_query.kind, 0) + 1
                if expected is None or any(c.id == expected for c in results):
                    found += 1
            parsed_as = ", ".join(f"{k} {v}" for k, v in sorted(parsed.items(), key=lambda kv: -kv[1]))
            out(
                f"  {label:<30}{kind:<22}{_figures(timings)}{statistics.median(timings) / baseline:>8.1f}x"
                f"{found / len(inputs):>8.0%}  {parsed_as}"
            )
        out("")
    out("  found = share of searches whose intended customer is among the results (name and phone-tail")
    out("  searches count as found: they list many people by design)")
    out("")

    out("## EXPLAIN (ANALYZE, BUFFERS): one query of each kind (main query, then prefetches)")
    for label, user in users:
        scope = access_for(user).scope
        for kind, inputs in samples[label]["inputs"].items():
            text = inputs[0][0]
            statements = []

            def capture(execute, sql, params, many, context, statements=statements):
                statements.append((sql, params))
                return execute(sql, params, many, context)

            with scoped(scope), connection.execute_wrapper(capture):
                customer_search(user=user, text=text)
            parsed = search_query_parse(text).kind
            out(f"  {label} / {kind} ({text!r} -> {parsed}):")
            with scoped(scope), connection.cursor() as cursor:
                for number, (sql, params) in enumerate(statements):
                    if not sql.lstrip().upper().startswith("SELECT") or "crm_scope" in sql:
                        continue
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    plan = [row[0] for row in cursor.fetchall()]
                    _plans.append(
                        f"-- {label} / {kind} / query {number}: {text!r}\n" + "\n".join(plan) + "\n"
                    )
                    summary, bad = _plan_summary(plan)
                    out(f"    q{number}: {summary}")
                    failures += [f"{label} / {kind}: {b}" for b in bad]
    out("")
    if failures:
        out("FAIL: sequential scans on large tables:")
        for failure in failures:
            out(f"  {failure}")
        return 1
    out("OK: no sequential scan of customers_customer or customers_contactpoint")
    return 0


def _figures(values: list[float]) -> str:
    return f"{statistics.median(values):>8.2f}{percentile(values, 95):>8.2f}{max(values):>8.2f}"


_NODE = re.compile(
    r"((?:Parallel )?(?:Seq Scan|Index Scan|Index Only Scan|Bitmap Index Scan|Bitmap Heap Scan)"
    r"(?: Backward)?(?: using \S+)? on \S+|Bitmap Index Scan on \S+)"
)


def _plan_summary(plan: list[str]) -> tuple[str, list[str]]:
    nodes: list[str] = []
    for line in plan:
        match = _NODE.search(line)
        if match and match.group(1) not in nodes:
            nodes.append(match.group(1))
    execution = next((line.strip() for line in plan if line.startswith("Execution Time")), "")
    hits = sum(int(m) for line in plan for m in re.findall(r"shared hit=(\d+)", line)[:1])
    bad = [
        n
        for n in nodes
        if n.startswith(("Seq Scan", "Parallel Seq Scan")) and n.split()[-1] in FORBIDDEN_SEQ_SCANS
    ]
    first = plan[0].split("  (")[0].strip() if plan else ""
    text = f"{execution}; top: {first}; scans: {'; '.join(nodes) or 'none'}"
    if hits:
        text += f"; buffers hit (top node) {hits}"
    return text, bad


def _bench_users(dealer):
    from django.contrib.auth import get_user_model

    from crm.core.scope import network_wide
    from crm.network.models import Role, RoleAssignment

    user_model = get_user_model()
    users = []
    with network_wide(reason="bench: users"):
        for username, role, place in (
            ("bench.oem", Role.OEM_ADMIN, None),
            ("bench.sales", Role.SALESPERSON, dealer),
        ):
            user, _ = user_model.objects.get_or_create(username=username)
            RoleAssignment.objects.get_or_create(user=user, role=role, dealer=place)
            users.append(user_model.objects.get(pk=user.pk))
    return users


def _sample_inputs(user, rng: random.Random, count: int) -> dict:
    """Realistic inputs: taken from customers the user can see (what a salesperson looks up is theirs)."""
    from django.db import connection

    from crm.core.scope import network_wide
    from crm.network.access import access_for

    scope = access_for(user).scope
    with network_wide(reason="bench: sample inputs"), connection.cursor() as cursor:
        if scope.network_wide:
            cursor.execute("SELECT min(id), max(id) FROM customers_customer")
            low, high = cursor.fetchone()
            ids = rng.sample(range(low, high + 1), min(count * 6, high - low + 1))
            cursor.execute("SELECT id FROM customers_customer WHERE id = ANY(%s)", [ids])
        else:
            cursor.execute(
                "SELECT customer_id FROM customers_customerdealer WHERE dealer_id = ANY(%s) "
                "ORDER BY hashint8extended(customer_id, %s) LIMIT %s",
                [sorted(scope.dealer_ids), rng.randint(0, 10**6), count * 6],
            )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT c.id, c.name, cp.value, v.plate, v.vin FROM customers_customer c "
            "JOIN customers_contactpoint cp ON cp.customer_id = c.id AND cp.kind = 'phone' AND cp.is_primary "
            "LEFT JOIN customers_vehicle v ON v.owner_id = c.id WHERE c.id = ANY(%s)",
            [ids],
        )
        rows = cursor.fetchall()
    rng.shuffle(rows)
    chinese = [r for r in rows if re.match(r"^[\u4e00-\u9fff]{2,}", r[1])]
    latin = [r for r in rows if re.match(r"^[A-Za-z]{3,}", r[1])]
    cars = [r for r in rows if r[4]]

    def cycle(items, n):
        return [items[i % len(items)] for i in range(n)] if items else []

    def national(e164: str) -> str:  # how people type it: 138 1234 5678
        digits = e164.removeprefix("+86")
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"

    inputs = {
        "phone (full)": [(national(r[2]), r[0]) for r in cycle(rows, count)],
        "phone (last 4)": [(r[2][-4:], None) for r in cycle(rows, count)],
        "name (1 Chinese char)": [(r[1][:1], None) for r in cycle(chinese, count)],
        "name (2 Chinese chars)": [(r[1][:2], None) for r in cycle(chinese, count)],
        "name (English prefix)": [(r[1][:3].lower(), None) for r in cycle(latin, count)],
        "plate": [(r[3], r[0]) for r in cycle(cars, count)],
        "VIN (last 8)": [(r[4][-8:], r[0]) for r in cycle(cars, count)],
        "VIN (last 11)": [(r[4][-11:], r[0]) for r in cycle(cars, count)],
    }
    return {"ids": [r[0] for r in rows], "inputs": inputs}


if __name__ == "__main__":
    sys.exit(main())
