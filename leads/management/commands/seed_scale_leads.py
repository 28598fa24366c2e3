"""`manage.py seed_scale_leads --leads N --dealers D`: a large funnel for benchmarks, built set-based.

Runs after `seed_scale` (customers). Creates D benchmark dealers (if missing) with five salespeople each,
then N leads spread over them in batches of `INSERT … SELECT … FROM generate_series`, with a realistic
mix of stages, grades, sources and first-response figures, the customer–dealer relationships those leads
imply, the stage changes every funnel figure is computed from (and on each lead what the funnel services
keep from them: the furthest stage reached, the time in stage), and one open follow-up per open lead
(some overdue). Additive: a second run adds more leads (pairs that would collide with an open lead are
skipped by the database). Everything runs network-wide, said explicitly.
"""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from crm.core.scope import network_wide
from crm.customers.management.commands.seed_scale import scale_dealers
from crm.network.models import Role, RoleAssignment
from leads.models import LeadSource

SALESPEOPLE_PER_DEALER = 5

# Stage mix by (lead number % 100): most leads are early in the funnel, some closed.
STAGE_SQL = """
CASE
  WHEN g %% 100 < 15 THEN 'new' WHEN g %% 100 < 35 THEN 'contacted' WHEN g %% 100 < 55 THEN 'visited'
  WHEN g %% 100 < 65 THEN 'test_drive' WHEN g %% 100 < 73 THEN 'negotiation' WHEN g %% 100 < 78 THEN 'ordered'
  WHEN g %% 100 < 85 THEN 'delivered' WHEN g %% 100 < 97 THEN 'lost' ELSE 'frozen' END
"""
GRADE_SQL = """
CASE stage WHEN 'ordered' THEN 'O' WHEN 'delivered' THEN 'D' WHEN 'lost' THEN 'F1' WHEN 'frozen' THEN 'F2'
  ELSE (ARRAY['H','A','A','B','B','C',''])[1 + g %% 7] END
"""
OPEN = "('new','contacted','visited','test_drive','negotiation','ordered')"


def scale_salespeople(dealers) -> dict[int, list[int]]:
    """Five active salespeople per benchmark dealer (created if missing): dealer id -> user ids."""
    User = get_user_model()
    with network_wide(reason="seed scale leads: staff"):
        existing: dict[int, list[int]] = {}
        for dealer_id, user_id in RoleAssignment.objects.filter(
            dealer__in=dealers, role=Role.SALESPERSON, user__username__startswith="bench."
        ).values_list("dealer_id", "user_id"):
            existing.setdefault(dealer_id, []).append(user_id)
        for dealer in dealers:
            have = existing.setdefault(dealer.id, [])
            for number in range(len(have), SALESPEOPLE_PER_DEALER):
                user = User.objects.create_user(
                    username=f"bench.{dealer.code.lower()}.{number}", password=None
                )
                RoleAssignment.objects.create(user=user, role=Role.SALESPERSON, dealer=dealer)
                have.append(user.id)
    return existing


def scale_leads(*, leads: int, dealers: int, batch_size: int = 100_000, log=print) -> dict[str, float]:
    dealer_rows = scale_dealers(dealers)
    owners = scale_salespeople(dealer_rows)
    with network_wide(reason="seed scale leads: sources"):
        web, _ = LeadSource.objects.get_or_create(
            code="bench-web", defaults={"name": "Bench web form", "channel": "web_form"}
        )
    timings: dict[str, float] = {}
    started_all = time.perf_counter()
    done = 0
    while done < leads:
        n = min(batch_size, leads - done)
        with (
            transaction.atomic(),
            network_wide(reason="seed scale leads: batch"),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL pgtrigger.ignore = '{}'")
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS bench_dealers (idx int PRIMARY KEY, dealer_id bigint, owners bigint[]) ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE bench_dealers")
            cursor.executemany(
                "INSERT INTO bench_dealers VALUES (%s, %s, %s)",
                [(index, dealer.id, owners[dealer.id]) for index, dealer in enumerate(dealer_rows)],
            )
            # The lead numbers g continue from how many leads exist (not from ids: the sequence moves on
            # with rolled-back work), so a second run reaches customers the first did not.
            cursor.execute(
                "SELECT count(*), coalesce(max(id), 0), (SELECT min(id) FROM customers_customer), "
                "(SELECT max(id) FROM customers_customer) FROM leads_lead"
            )
            offset, id_floor, low, high = cursor.fetchone()
            if low is None:
                raise RuntimeError("no customers: run seed_scale first")
            span = high - low + 1
            params = {
                "start": offset + 1,
                "id_floor": id_floor,
                "stop": offset + n,
                "dealers": len(dealer_rows),
                "low": low,
                "span": span,
                "web": web.id,
            }
            for table, sql in _statements():
                began = time.perf_counter()
                cursor.execute(sql, params)
                timings[table] = timings.get(table, 0.0) + time.perf_counter() - began
        done += n
        log(f"  batch of {n:,} leads; {done:,}/{leads:,}")
    timings["overall"] = time.perf_counter() - started_all
    return timings


def _statements() -> list[tuple[str, str]]:
    lead_select = """
        SELECT g, d.dealer_id, d.owners[1 + (g / %(dealers)s) %% array_length(d.owners, 1)] AS owner_id,
               %(low)s + ((g::bigint * 7919) %% %(span)s) AS customer_id,
               now() - make_interval(days => (g %% 180)::int, mins => (g %% 600)::int) AS arrived_at
        FROM generate_series(%(start)s, %(stop)s) AS g
        JOIN bench_dealers d ON d.idx = g %% %(dealers)s
    """
    return [
        (
            "leads",
            f"""
            INSERT INTO leads_lead (
                dealer_id, customer_id, owner_id, assigned_at, type, source_id, external_id, stage,
                furthest_stage, left_stages, left_stage_hours, grade,
                grade_is_override, grade_reason, answers, models_of_interest, arrived_at, sla_due_at,
                first_contact_at, first_response_minutes, is_sla_breached, is_first_contact_verified,
                next_follow_up_at, unreachable_attempts, acceptance, rejection_reason, closed_at, version,
                created_at, updated_at)
            SELECT dealer_id, customer_id, owner_id, arrived_at,
                   CASE WHEN g %% 3 = 0 THEN 'internet' WHEN g %% 3 = 1 THEN 'walk_in' ELSE 'phone' END,
                   CASE WHEN g %% 3 = 0 THEN %(web)s END, '', stage,
                   CASE WHEN stage IN ('lost', 'frozen') THEN 'new' ELSE stage END,
                   CASE WHEN stage <> 'new' THEN ARRAY['new'] ELSE '{{}}' END,
                   CASE WHEN stage <> 'new' THEN ARRAY[(EXTRACT(EPOCH FROM (
                       arrived_at + make_interval(mins => (g %% 300)::int) + interval '1 day' - arrived_at
                   )) / 3600.0)::float8] ELSE '{{}}' END,
                   {GRADE_SQL}, false, '', '{{}}',
                   ARRAY[(ARRAY['A3','A5','A6','X5','EV7'])[1 + g %% 5]], arrived_at,
                   CASE WHEN g %% 3 <> 1 THEN arrived_at + interval '120 minutes' END,
                   CASE WHEN stage <> 'new' THEN arrived_at + make_interval(mins => (g %% 300)::int) END,
                   CASE WHEN stage <> 'new' THEN g %% 300 END,
                   g %% 3 <> 1 AND (stage = 'new' OR g %% 300 > 120),
                   CASE WHEN stage <> 'new' THEN g %% 2 = 0 END,
                   CASE WHEN stage IN {OPEN} THEN now() + make_interval(days => (g %% 10)::int - 3) END,
                   0, 'not_issued', '',
                   CASE WHEN stage NOT IN {OPEN} THEN arrived_at + interval '20 days' END, 1, arrived_at, now()
            FROM (SELECT *, {STAGE_SQL} AS stage FROM ({lead_select}) AS base) AS staged
            ON CONFLICT DO NOTHING
            """,
        ),
        (
            "relationships",
            """
            INSERT INTO customers_customerdealer (customer_id, dealer_id, reason, first_seen_at, last_seen_at)
            SELECT DISTINCT customer_id, dealer_id, 'lead', now(), now() FROM leads_lead WHERE id > %(id_floor)s
            ON CONFLICT DO NOTHING
            """,
        ),
        (
            "stage changes",
            """
            INSERT INTO leads_stagechange (lead_id, dealer_id, from_stage, to_stage, at, by_id)
            SELECT id, dealer_id, '', 'new', arrived_at, owner_id FROM leads_lead WHERE id > %(id_floor)s
            UNION ALL
            SELECT id, dealer_id, 'new', stage, coalesce(first_contact_at, arrived_at) + interval '1 day', owner_id
            FROM leads_lead WHERE id > %(id_floor)s AND stage <> 'new'
            """,
        ),
        (
            "follow-ups",
            f"""
            INSERT INTO leads_followup (lead_id, dealer_id, assigned_to_id, reason, due_at, created_at)
            SELECT id, dealer_id, owner_id, 'cadence', next_follow_up_at, now()
            FROM leads_lead WHERE id > %(id_floor)s AND stage IN {OPEN}
            """,
        ),
    ]


class Command(BaseCommand):
    help = "Build a large funnel for benchmarks (after seed_scale)."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=100_000)
        parser.add_argument("--dealers", type=int, default=200)
        parser.add_argument("--batch-size", type=int, default=100_000)

    def handle(self, *args, leads, dealers, batch_size, **options):
        timings = scale_leads(leads=leads, dealers=dealers, batch_size=batch_size, log=self.stdout.write)
        overall = timings.pop("overall")
        for table, seconds in timings.items():
            self.stdout.write(f"  {table:<14} {seconds:7.1f} s")
        self.stdout.write(
            self.style.SUCCESS(f"{leads:,} leads in {overall:.1f} s = {leads / overall:,.0f} leads/s")
        )
