"""The one statement that computes vehicles' next service (and their other due dates) from the source rows
and writes service_vehiclemaintenance: for a list of vehicles (after a change to one of them) or for a range
of vehicle ids (the nightly pass, in batches). The same SQL serves both, so the nightly pass and the
per-vehicle recomputation cannot disagree.

The rules, in the order the statement applies them (docs/decisions.md, "Maintenance due"):
1. The vehicle's model is the catalogue model (with a schedule) whose code, name or other name equals the
   vehicle's model text, ignoring case, full width, spaces and hyphens (service_name_key); when several
   brands have such a model, the one whose brand the vehicle's make names wins, then the OEM's own brand.
2. The last qualifying service is the newest repair order summary of the vehicle (a summary exists exactly
   for a settled order that was not voided and not replaced by a settled correction, at any dealer) with a
   labour operation code among the model's schedules' maintenance codes ("MNT-*" is a prefix). Newest by the
   day it was done, so a back-dated import is placed where its date puts it.
3. The cycle counts from that service (its day and mileage: the regular interval) or, without one, from
   delivery (the purchase date, 0 km: the first service). The schedule version is the one in force on the
   cycle's first day (the oldest version when the day predates them all).
4. The odometer series counts from the last instrument cluster replacement; suspect readings are ignored.
   The pace is the average daily distance between the first and the last trusted reading when there are at
   least two readings at least 30 days apart; otherwise there is no pace and time alone projects.
5. Due by time: the cycle's first day + the rule's months. Due by distance: the first day a trusted
   reading reached the rule's km; else, with a pace, the last reading's day + the km left / pace. The due
   date is the earlier of the two.
6. Statutory warranty (三包): 2 years or 50,000 km from delivery, whichever first (projected as above).
   Periodic inspection: service_next_inspection (private cars: years 6 and 10, then yearly, then every six
   months after 15 years). Insurance: the vehicle's own expiry date.
"""

from datetime import date

from django.conf import settings
from django.db import connection

STATEMENT = """
WITH target AS MATERIALIZED (
    SELECT v.id, v.make, v.model, v.purchase_date, v.insurance_expires_on,
           v.selling_dealer_id, v.recorded_by_dealer_id
      FROM customers_vehicle AS v
     WHERE {condition}
),
catalogue AS MATERIALIZED (
    SELECT bm.id AS brand_model_id, b.is_oem_brand,
           ARRAY(SELECT service_name_key(n) FROM unnest(ARRAY[bm.code, bm.name] || bm.aliases) AS n) AS model_keys,
           ARRAY(SELECT service_name_key(n) FROM unnest(ARRAY[b.code, b.name] || b.aliases) AS n) AS brand_keys,
           ARRAY(SELECT DISTINCT c FROM service_maintenanceschedule AS s, unnest(s.operation_codes) AS c
                  WHERE s.brand_model_id = bm.id) AS codes
      FROM network_brandmodel AS bm
      JOIN network_brand AS b ON b.id = bm.brand_id
     WHERE EXISTS (SELECT 1 FROM service_maintenanceschedule AS s WHERE s.brand_model_id = bm.id)
),
matched AS MATERIALIZED (
    SELECT DISTINCT ON (t.make, t.model) t.make, t.model, c.brand_model_id, c.codes
      FROM (SELECT DISTINCT make, model FROM target) AS t
      JOIN catalogue AS c ON service_name_key(t.model) = ANY(c.model_keys)
     ORDER BY t.make, t.model, (service_name_key(t.make) = ANY(c.brand_keys)) DESC, c.is_oem_brand DESC,
              c.brand_model_id
),
facts AS (
    SELECT t.*, m.brand_model_id,
           last.repair_order_id AS last_service_id, last.dealer_id AS last_dealer_id,
           last.done_on AS last_done_on, last.mileage AS last_mileage,
           cluster.at AS cluster_at, cluster.km AS cluster_km,
           series.readings, series.current_km, series.first_km, series.first_at, series.last_at
      FROM target AS t
      LEFT JOIN matched AS m ON m.make = t.make AND m.model = t.model
      LEFT JOIN LATERAL (
            SELECT s.repair_order_id, s.dealer_id, s.done_on,
                   coalesce(s.mileage, (
                        SELECT max(r.km) FROM service_odometerreading AS r
                         WHERE r.vehicle_id = t.id AND NOT r.is_suspect
                           AND (r.read_at AT TIME ZONE %(zone)s)::date <= s.done_on)) AS mileage
              FROM service_repairordersummary AS s
             WHERE s.vehicle_id = t.id AND m.codes IS NOT NULL
               AND EXISTS (
                    SELECT 1 FROM jsonb_array_elements(s.operations) AS op, unnest(m.codes) AS code
                     WHERE op->>'code' = code
                        OR (right(code, 1) = '*' AND starts_with(op->>'code', left(code, -1))))
             ORDER BY s.done_on DESC, s.mileage DESC NULLS LAST, s.id DESC
             LIMIT 1
      ) AS last ON true
      LEFT JOIN LATERAL (
            SELECT r.read_at AS at, r.km FROM service_odometerreading AS r
             WHERE r.vehicle_id = t.id AND r.source = 'cluster_replaced'
             ORDER BY r.read_at DESC, r.id DESC
             LIMIT 1
      ) AS cluster ON true
      LEFT JOIN LATERAL (
            SELECT count(*) AS readings, max(r.km) AS current_km,
                   (array_agg(r.km ORDER BY r.read_at, r.id))[1] AS first_km,
                   min(r.read_at) AS first_at, max(r.read_at) AS last_at
              FROM service_odometerreading AS r
             WHERE r.vehicle_id = t.id AND NOT r.is_suspect
               AND (cluster.at IS NULL OR r.read_at >= cluster.at)
      ) AS series ON true
),
cycle AS (
    SELECT f.*,
           CASE WHEN f.brand_model_id IS NULL THEN 'none'
                WHEN f.last_service_id IS NOT NULL THEN 'interval'
                WHEN f.purchase_date IS NULL THEN 'no_delivery'
                ELSE 'first' END AS rule,
           coalesce(f.last_done_on, f.purchase_date) AS basis_on,
           CASE WHEN f.cluster_at IS NOT NULL
                     AND (f.cluster_at AT TIME ZONE %(zone)s)::date > coalesce(f.last_done_on, f.purchase_date)
                THEN f.cluster_km
                WHEN f.last_service_id IS NOT NULL THEN f.last_mileage
                ELSE 0 END AS basis_km,
           CASE WHEN f.readings >= 2 AND f.last_at - f.first_at >= interval '30 days'
                THEN round(greatest(f.current_km - f.first_km, 0)
                           / (extract(epoch FROM f.last_at - f.first_at) / 86400.0), 2) END AS km_per_day,
           (f.last_at AT TIME ZONE %(zone)s)::date AS last_read_on
      FROM facts AS f
),
ruled AS (
    SELECT c.*, sc.id AS schedule_id,
           CASE c.rule WHEN 'first' THEN sc.first_km WHEN 'interval' THEN sc.interval_km END AS step_km,
           CASE c.rule WHEN 'first' THEN sc.first_months WHEN 'interval' THEN sc.interval_months END
               AS step_months
      FROM cycle AS c
      LEFT JOIN LATERAL (
            SELECT s.* FROM service_maintenanceschedule AS s
             WHERE s.brand_model_id = c.brand_model_id AND c.rule IN ('first', 'interval')
             ORDER BY (s.effective_from <= c.basis_on) DESC,
                      CASE WHEN s.effective_from <= c.basis_on THEN s.effective_from END DESC NULLS LAST,
                      s.effective_from
             LIMIT 1
      ) AS sc ON true
),
due AS (
    SELECT r.*, r.basis_km + r.step_km AS due_km,
           (r.basis_on + make_interval(months => r.step_months))::date AS due_by_time_on
      FROM ruled AS r
),
projected AS MATERIALIZED (
    SELECT d.*,
           coalesce(
               (SELECT min((x.read_at AT TIME ZONE %(zone)s)::date) FROM service_odometerreading AS x
                 WHERE x.vehicle_id = d.id AND NOT x.is_suspect AND x.km >= d.due_km
                   AND (x.read_at AT TIME ZONE %(zone)s)::date >= d.basis_on
                   AND (d.cluster_at IS NULL OR x.read_at >= d.cluster_at)),
               CASE WHEN d.km_per_day > 0
                    THEN d.last_read_on + ceil((d.due_km - d.current_km) / d.km_per_day)::int END
           ) AS due_by_km_on,
           CASE WHEN d.purchase_date IS NOT NULL THEN least(
               (d.purchase_date + interval '2 years')::date,
               coalesce(
                   (SELECT min((x.read_at AT TIME ZONE %(zone)s)::date) FROM service_odometerreading AS x
                     WHERE x.vehicle_id = d.id AND NOT x.is_suspect AND x.km >= 50000
                       AND d.cluster_at IS NULL),
                   CASE WHEN d.km_per_day > 0 AND d.cluster_at IS NULL
                        THEN d.last_read_on + ceil((50000 - d.current_km) / d.km_per_day)::int END)
           ) END AS warranty_ends_on
      FROM due AS d
)
INSERT INTO service_vehiclemaintenance AS stored (
    vehicle_id, dealer_id, schedule_id, rule, last_service_id, last_service_on, basis_on, basis_km,
    current_km, km_per_day, pace, due_km, due_by_time_on, due_by_km_on, due_on, decided_by,
    inspection_due_on, warranty_ends_on, warranty_decided_by, insurance_expires_on, computed_at
)
SELECT p.id,
       coalesce(p.last_dealer_id, p.selling_dealer_id, p.recorded_by_dealer_id),
       p.schedule_id, p.rule, p.last_service_id, p.last_done_on,
       CASE WHEN p.schedule_id IS NOT NULL THEN p.basis_on END,
       CASE WHEN p.schedule_id IS NOT NULL THEN p.basis_km END,
       p.current_km, p.km_per_day,
       CASE WHEN p.km_per_day IS NULL THEN 'time_only' ELSE 'readings' END,
       p.due_km, p.due_by_time_on, p.due_by_km_on,
       least(p.due_by_time_on, p.due_by_km_on),
       CASE WHEN p.due_by_time_on IS NULL THEN ''
            WHEN p.due_by_km_on < p.due_by_time_on THEN 'km' ELSE 'time' END,
       service_next_inspection(p.purchase_date, %(today)s::date),
       p.warranty_ends_on,
       CASE WHEN p.warranty_ends_on IS NULL THEN ''
            WHEN p.warranty_ends_on < (p.purchase_date + interval '2 years')::date THEN 'km'
            ELSE 'time' END,
       p.insurance_expires_on,
       clock_timestamp()
  FROM projected AS p
ON CONFLICT (vehicle_id) DO UPDATE SET
    dealer_id = EXCLUDED.dealer_id, schedule_id = EXCLUDED.schedule_id, rule = EXCLUDED.rule,
    last_service_id = EXCLUDED.last_service_id, last_service_on = EXCLUDED.last_service_on,
    basis_on = EXCLUDED.basis_on, basis_km = EXCLUDED.basis_km, current_km = EXCLUDED.current_km,
    km_per_day = EXCLUDED.km_per_day, pace = EXCLUDED.pace, due_km = EXCLUDED.due_km,
    due_by_time_on = EXCLUDED.due_by_time_on, due_by_km_on = EXCLUDED.due_by_km_on, due_on = EXCLUDED.due_on,
    decided_by = EXCLUDED.decided_by, inspection_due_on = EXCLUDED.inspection_due_on,
    warranty_ends_on = EXCLUDED.warranty_ends_on, warranty_decided_by = EXCLUDED.warranty_decided_by,
    insurance_expires_on = EXCLUDED.insurance_expires_on, computed_at = EXCLUDED.computed_at
 WHERE {guard}
   AND (stored.dealer_id, stored.schedule_id, stored.rule, stored.last_service_id, stored.last_service_on, stored.basis_on,
        stored.basis_km, stored.current_km, stored.km_per_day, stored.pace, stored.due_km, stored.due_by_time_on,
        stored.due_by_km_on, stored.due_on, stored.decided_by, stored.inspection_due_on, stored.warranty_ends_on,
        stored.warranty_decided_by, stored.insurance_expires_on)
       IS DISTINCT FROM
       (EXCLUDED.dealer_id, EXCLUDED.schedule_id, EXCLUDED.rule, EXCLUDED.last_service_id,
        EXCLUDED.last_service_on, EXCLUDED.basis_on, EXCLUDED.basis_km, EXCLUDED.current_km,
        EXCLUDED.km_per_day, EXCLUDED.pace, EXCLUDED.due_km, EXCLUDED.due_by_time_on, EXCLUDED.due_by_km_on,
        EXCLUDED.due_on, EXCLUDED.decided_by, EXCLUDED.inspection_due_on, EXCLUDED.warranty_ends_on,
        EXCLUDED.warranty_decided_by, EXCLUDED.insurance_expires_on)
"""

# The statement lives in a PL/pgSQL function (migration 0031) with a generic plan, so that PostgreSQL plans it
# once per connection rather than on every call: planning it (with the row-level security policies of six tables) costs several
# times what running it for one vehicle does. The function's body is built from STATEMENT here; a test checks
# that the database holds exactly this text, so a change here needs a migration that re-creates it.
_PARAMETERS = {"%(zone)s": "p_zone", "%(today)s": "p_today", "%(ids)s": "p_ids", "%(low)s": "p_low", "%(high)s": "p_high"}


def _in_function(sql: str) -> str:
    for placeholder, name in _PARAMETERS.items():
        sql = sql.replace(placeholder, name)
    return sql.strip()


FUNCTION_BODY = f"""
DECLARE
    written integer;
BEGIN
    IF p_ids IS NOT NULL THEN
        {_in_function(STATEMENT.format(condition="v.id = ANY(p_ids)", guard="true"))};
    ELSE
        -- The nightly pass never overwrites a row a change recomputed after this batch began (that one is newer).
        {_in_function(STATEMENT.format(condition="v.id >= p_low AND v.id < p_high", guard="stored.computed_at < statement_timestamp()"))};
    END IF;
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
"""
FUNCTION_SQL = (
    "CREATE OR REPLACE FUNCTION service_maintenance_recompute("
    "p_ids bigint[], p_low bigint, p_high bigint, p_today date, p_zone text) "
    "RETURNS integer LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan "
    "AS $function$" + FUNCTION_BODY + "$function$;"
)
CALL = "SELECT service_maintenance_recompute(%s::bigint[], %s, %s, %s, %s)"


def run_for_vehicles(*, vehicle_ids: list[int], today: date) -> int:
    """Recompute these vehicles' rows in the caller's transaction and scope. Returns rows written."""
    with connection.cursor() as cursor:
        cursor.execute(CALL, [sorted(set(vehicle_ids)), None, None, today, settings.TIME_ZONE])
        return cursor.fetchone()[0]


def run_for_range(*, low: int, high: int, today: date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(CALL, [None, low, high, today, settings.TIME_ZONE])
        return cursor.fetchone()[0]
