"""The workshop's figures for `make bench` (issue 10): at V vehicles and O repair orders (seed_scale_service), the
check-in lookup by plate and the vehicle page with its service history, as a service advisor (scoped, row-level
security), and the DMS import's rows per second through service's own import path — each beside a raw-SQL (or
COPY) baseline doing the same database work in the same run."""

import io
import statistics
import time


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


HEADER = "工单号,行号,车架号,车牌号,进厂时间,结算时间,修改时间,工单状态,进厂里程,服务顾问,项目类型,代码,名称,数量,单价,金额,维修技师,付费方式"


def _dms_file(vehicles: list[tuple[str, str]], stamp: int) -> bytes:
    """Two lines (labour, part) per order, one order per vehicle, numbers no earlier run used."""
    lines = [HEADER]
    for n, (vin, plate) in enumerate(vehicles):
        number = f"B{stamp}-{n}"
        head = f"{number},{{line}},{vin},{plate},2026/11/3 9:05,2026-11-03 16:30,2026-11-03 16:31,已结算,{20_000 + n},张顾问"
        lines.append(head.format(line=1) + ",工时,MNT-20K,20000公里保养,1.5,180,270.00,李师傅,自费")
        lines.append(head.format(line=2) + ',配件,OIL-5W30,机油,4.5,68.80,"￥309.60",,自费')
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def bench_service(*, vehicles: int, repair_orders: int, runs: int, import_orders: int, out) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from crm.core.scope import network_wide, scoped
    from crm.core.spreadsheets import read_table
    from crm.customers.models import Vehicle
    from crm.network.access import access_for
    from crm.network.models import Dealer, Role, RoleAssignment
    from service.imports.services import dms_import_run
    from service.management.commands.seed_scale_service import scale_service, service_analyze
    from service.models import RepairOrder
    from service.selectors import vehicles_for_user
    from service.selectors.history import vehicle_history
    from service.selectors.workshop import check_in_lookup

    out(f"## workshop: target {vehicles:,} vehicles, {repair_orders:,} repair orders")
    timings = scale_service(vehicles=vehicles, repair_orders=repair_orders, log=lambda line: None)
    if timings.get("vehicles_added"):
        out(
            f"  seed_scale_service: {timings['vehicles_added']:,.0f} vehicles in {timings['vehicles']:.1f} s "
            f"({timings['vehicles_added'] / max(timings['vehicles'], 1e-9):,.0f}/s)"
        )
    if timings.get("repair_orders_added"):
        steps = ", ".join(
            f"{name} {timings[name]:.1f} s" for name in ("orders", "jobs", "labour lines", "parts lines", "summaries")
        )
        out(
            f"  seed_scale_service: {timings['repair_orders_added']:,.0f} repair orders in "
            f"{timings['repair_orders']:.1f} s ({timings['repair_orders_added'] / timings['repair_orders']:,.0f}/s; {steps})"
        )
    out(f"  ANALYZE in {service_analyze(log=out):.1f} s")

    User = get_user_model()
    with network_wide(reason="bench: workshop sizes"):
        sizes = (Vehicle.objects.count(), RepairOrder.objects.count())
        dealer_id = (
            RepairOrder.objects.filter(number__startswith="S").order_by("-id").values_list("dealer_id", flat=True).first()
        )
        if dealer_id is None:
            out("  no generated repair orders: nothing to measure")
            return
        dealer = Dealer.objects.get(id=dealer_id)
        advisor, _ = User.objects.get_or_create(username=f"bench.service.advisor.{dealer_id}")
        RoleAssignment.objects.get_or_create(user=advisor, role=Role.SERVICE_ADVISOR, dealer_id=dealer_id)
    out(f"  in the database: vehicles {sizes[0]:,}, repair orders {sizes[1]:,}; advisor at {dealer.code}")
    scope = access_for(advisor).scope
    with scoped(scope):
        # Vehicles the advisor may see that have a history (their dealer's generated orders).
        sample = list(
            vehicles_for_user(user=advisor)
            .filter(repair_orders__dealer_id=dealer_id, repair_orders__number__startswith="S")
            .exclude(plate="")
            .order_by("-id")
            .values_list("id", "plate", "vin")
            .distinct()[: max(runs, import_orders)]
        )
    if not sample:
        out("  the advisor sees no vehicle with a history: nothing to measure")
        return
    out(f"  {'what':<52}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'ratio p50':>11}")

    def report(label, measured, baseline, base_label):
        out(f"  {label:<52}{_figures(measured)}{statistics.median(measured) / statistics.median(baseline):10.1f}x")
        out(f"  {'  baseline: ' + base_label:<52}{_figures(baseline)}")

    plates = iter([plate for _id, plate, _vin in sample] * 20)

    def lookup():
        with scoped(scope):
            check_in_lookup(user=advisor, text=next(plates).lower())

    def lookup_sql():
        with scoped(scope), connection.cursor() as cursor:
            cursor.execute("SELECT id, vin, plate, owner_id FROM customers_vehicle WHERE plate = %s ORDER BY id LIMIT 20", [next(plates)])
            cursor.fetchall()

    lookup(), lookup_sql()
    report("check-in lookup by plate (typed in lower case)", _timed(lookup, runs), _timed(lookup_sql, runs), "SELECT by plate")

    # The vehicle page as the browser gets it (session, middleware, selectors, template), then its history
    # selector alone; the baseline reads the same rows in raw SQL: the orders with jobs and lines, and summaries.
    ids = iter([vehicle_id for vehicle_id, _plate, _vin in sample] * 20)
    client = Client()
    client.force_login(advisor)
    from django.urls import reverse

    first = client.get(reverse("service:vehicle", args=[sample[0][0]]), HTTP_HOST="localhost")
    page_ok = first.status_code == 200

    def page():
        response = client.get(reverse("service:vehicle", args=[next(ids)]), HTTP_HOST="localhost")
        assert response.status_code == 200, response.status_code

    def history():
        with scoped(scope):
            vehicle = Vehicle.objects.get(id=next(ids))
            vehicle_history(user=advisor, vehicle=vehicle)

    def history_sql():
        vehicle_id = next(ids)
        with scoped(scope), connection.cursor() as cursor:
            cursor.execute(
                "SELECT o.id, o.number, o.opened_at, o.mileage_in, o.total, j.concern, l.operation_code, l.technician_name, "
                "p.part_number, p.quantity FROM service_repairorder o JOIN service_job j ON j.repair_order_id = o.id "
                "LEFT JOIN service_labourline l ON l.job_id = j.id LEFT JOIN service_partline p ON p.job_id = j.id "
                "WHERE o.vehicle_id = %s AND o.status <> 'voided' ORDER BY o.opened_at DESC",
                [vehicle_id],
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT done_on, dealer_id, mileage, operations, parts FROM service_repairordersummary "
                "WHERE vehicle_id = %s ORDER BY done_on DESC",
                [vehicle_id],
            )
            cursor.fetchall()

    history(), history_sql()
    base = _timed(history_sql, runs)
    if page_ok:
        report("vehicle page with its history (HTTP, rendered)", _timed(page, runs), base, "the history's rows in raw SQL")
    else:
        out(f"  vehicle page answered {first.status_code} to the bench's client: measuring its selector only")
    report("vehicle history (the page's selector)", _timed(history, runs), base, "the history's rows in raw SQL")

    # The DMS import: `import_orders` orders of two lines each for vehicles the system knows, through
    # dms_import_run (parse, match the VIN, write the order, lines, summary, odometer reading, report rows);
    # the baseline COPYs the same file into a temporary table (the least work to get the rows in).
    vehicles_for_import = [(vin, plate) for _id, plate, vin in sample[:import_orders]]
    data = _dms_file(vehicles_for_import, time.time_ns() // 1000 % 10**10)
    rows = len(vehicles_for_import) * 2
    table = read_table(data, filename="bench.csv")
    started = time.perf_counter()
    with scoped(scope):
        result = dms_import_run(dealer=dealer, by=advisor, table=table, file_name="bench.csv")
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    with scoped(scope), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_dms (" + ", ".join(f"c{n} text" for n in range(len(HEADER.split(",")))) + ")"
        )
        cursor.copy_expert(
            "COPY bench_dms FROM STDIN WITH (FORMAT csv, HEADER true)", io.BytesIO(data.decode("gb18030").encode())
        )
        cursor.execute("DROP TABLE bench_dms")
    copy_seconds = time.perf_counter() - started
    out(
        f"  DMS import of {rows:,} rows ({len(vehicles_for_import):,} orders): {seconds:.2f} s = {rows / seconds:,.0f} rows/s "
        f"{ {str(key): value for key, value in result.counts.items()} }"
    )
    out(f"  {'  baseline: COPY of the same file':<52}{copy_seconds:10.3f} s = {rows / copy_seconds:,.0f} rows/s")
