"""The maintenance-due figure for `make bench`: every vehicle's next service recomputed by the nightly pass
(service.maintenance.services.maintenance_recompute_all: the set-based statement in batches of vehicle ids),
first when every row is written, then again when nothing changed, in rows (vehicles) per second, beside two
raw-SQL baselines in the same run: one INSERT … SELECT of a date per vehicle (the least work a row per vehicle
needs) and the same with each vehicle's newest summary and reading aggregate (the joins the rule needs).

The bench database's vehicles (seed_scale) get, once, a schedule for each of their models, two odometer
readings each and, for about a third of them, a settled maintenance repair order with its summary, all with
set-based SQL, so the statement works on the shapes it meets in production."""

import time

SETUP_READINGS = """
INSERT INTO service_odometerreading (vehicle_id, dealer_id, km, read_at, source, is_suspect, recorded_at)
SELECT v.id, v.recorded_by_dealer_id, r.km, r.at, 'import', false, now()
  FROM customers_vehicle AS v
 CROSS JOIN LATERAL (VALUES
        (500 + mod(v.id * 7, 3000), (v.purchase_date + interval '20 days')::timestamptz),
        (8000 + mod(v.id * 13, 40000), now() - make_interval(days => mod(v.id, 200)::int))
       ) AS r(km, at)
 WHERE v.purchase_date IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM service_odometerreading AS x WHERE x.vehicle_id = v.id)
"""
SETUP_ORDERS = """
INSERT INTO service_repairorder (dealer_id, number, vehicle_id, customer_id, advisor_name, status, source, opened_at,
       mileage_in, settled_at, void_reason, external_modified_at, tax_rate, labour_total, parts_total,
       charges_total, discount_total, tax_total, total, customer_pay_total, version, created_at, updated_at)
SELECT coalesce(v.selling_dealer_id, v.recorded_by_dealer_id), 'BENCH-' || v.id, v.id, v.owner_id, '', 'settled',
       'dms', now() - make_interval(days => 30 + mod(v.id, 300)::int), 5000 + mod(v.id * 11, 30000),
       now() - make_interval(days => 30 + mod(v.id, 300)::int), '', NULL, 0.13, 0, 0, 0, 0, 0, 0, 0, 1, now(), now()
  FROM customers_vehicle AS v
 WHERE v.owner_id IS NOT NULL AND coalesce(v.selling_dealer_id, v.recorded_by_dealer_id) IS NOT NULL
   AND mod(v.id, 3) = 0
ON CONFLICT DO NOTHING
"""
SETUP_SUMMARIES = """
INSERT INTO service_repairordersummary (repair_order_id, dealer_id, vehicle_id, done_on, mileage, operations, parts,
       pay_types)
SELECT o.id, o.dealer_id, o.vehicle_id, (o.settled_at AT TIME ZONE 'Asia/Shanghai')::date, o.mileage_in,
       '[{"code": "MNT-10K", "description": "10,000 km service"}]'::jsonb, '[]'::jsonb, '["customer"]'::jsonb
  FROM service_repairorder AS o
 WHERE o.number LIKE 'BENCH-%%' AND NOT EXISTS (SELECT 1 FROM service_repairordersummary AS s WHERE s.repair_order_id = o.id)
"""
BASELINE_DATE = """
CREATE TEMP TABLE bench_due ON COMMIT DROP AS
SELECT v.id AS vehicle_id, (v.purchase_date + interval '6 months')::date AS due_on FROM customers_vehicle AS v
"""
BASELINE_JOINS = """
CREATE TEMP TABLE bench_due_joined ON COMMIT DROP AS
SELECT v.id AS vehicle_id, coalesce(s.done_on, v.purchase_date) AS basis_on, r.current_km, r.readings
  FROM customers_vehicle AS v
  LEFT JOIN LATERAL (SELECT done_on FROM service_repairordersummary AS x WHERE x.vehicle_id = v.id
                      ORDER BY done_on DESC LIMIT 1) AS s ON true
  LEFT JOIN LATERAL (SELECT max(km) AS current_km, count(*) AS readings FROM service_odometerreading AS y
                      WHERE y.vehicle_id = v.id AND NOT y.is_suspect) AS r ON true
"""


def _setup(out) -> None:
    from django.db import connection
    from django.utils.text import slugify

    from crm.core.scope import network_wide
    from crm.network.models import Brand, BrandModel
    from service.models import MaintenanceSchedule

    with network_wide(reason="bench: maintenance set-up"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT make, model FROM customers_vehicle LIMIT 200")
            pairs = cursor.fetchall()
        for make, model in pairs:
            brand = Brand.objects.filter(name__iexact=make).first() or Brand.objects.get_or_create(
                code=slugify(make)[:20] or "brand", defaults={"name": make}
            )[0]
            brand_model = BrandModel.objects.filter(brand=brand, code__iexact=model).first() or BrandModel.objects.create(
                brand=brand, code=model[:60], name=model[:100]
            )
            if not MaintenanceSchedule.objects.filter(brand_model=brand_model).exists():
                MaintenanceSchedule.objects.create(
                    brand_model=brand_model, effective_from="2015-01-01", first_km=5000, first_months=6,
                    interval_km=10000, interval_months=12, operation_codes=["MNT-*"],
                )  # fmt: skip
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(SETUP_READINGS)
            readings = cursor.rowcount
            cursor.execute(SETUP_ORDERS)
            orders = cursor.rowcount
            cursor.execute(SETUP_SUMMARIES)
        if readings or orders:
            out(f"  set-up: {readings:,} readings, {orders:,} maintenance orders in {time.perf_counter() - started:.1f} s")


def bench_maintenance(*, out) -> None:
    from django.db import connection, transaction

    from crm.core.scope import network_wide
    from crm.customers.models import Vehicle
    from service.maintenance.services import maintenance_recompute_all
    from service.models import RepairOrderSummary, VehicleMaintenance

    with network_wide(reason="bench: size"):
        vehicles = Vehicle.objects.count()
    out(f"## maintenance due: full recomputation over {vehicles:,} vehicles")
    _setup(out)
    with network_wide(reason="bench: size"):
        summaries = RepairOrderSummary.objects.count()
        VehicleMaintenance.objects.all().delete()
    out(f"  {summaries:,} repair order summaries; every vehicle's row deleted first")
    out(f"  {'what':44}{'seconds':>9}{'rows/s':>12}")
    for label in ("recompute all (every row written)", "again (nothing changed)"):
        started = time.perf_counter()
        written = maintenance_recompute_all()
        seconds = time.perf_counter() - started
        out(f"  {label:44}{seconds:9.2f}{vehicles / max(seconds, 1e-9):12,.0f}  ({written:,} rows written)")
    for label, statement in (
        ("baseline: INSERT … SELECT a date per vehicle", BASELINE_DATE),
        ("baseline: + newest summary and readings", BASELINE_JOINS),
    ):
        with network_wide(reason="bench: baseline"), transaction.atomic():
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(statement)
            seconds = time.perf_counter() - started
        out(f"  {label:44}{seconds:9.2f}{vehicles / max(seconds, 1e-9):12,.0f}")
