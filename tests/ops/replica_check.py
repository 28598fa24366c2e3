"""Run inside `manage.py shell` against a primary (DATABASE_URL) and its hot standby (DATABASE_REPLICA_URL),
as the application role: see tests/ops/test_replica.py. Prints one JSON line of what it saw."""

import csv
import io
import json
import logging
import os
import signal
import socket
import time
from datetime import timedelta

import psycopg2
from django.core.cache import cache
from django.db import connections, router
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.core import replica
from crm.core.scope import Scope, network_wide, scoped
from crm.network.models import Role
from leads.models import Lead
from tests.factories import DealerFactory, RegionFactory, staff, web_lead

PRIMARY, STANDBY = int(os.environ["PRIMARY_PORT"]), int(os.environ["STANDBY_PORT"])
NEW_LEAD = "Written-While-Paused"
warnings: list[str] = []


class Keep(logging.Handler):
    def emit(self, record):
        warnings.append(record.getMessage())


logging.getLogger("crm.replica").addHandler(Keep(level=logging.WARNING))


def superuser(port: int, sql: str):
    with psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="crm") as admin:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]


def standby_reaches(column: str) -> None:
    """Wait until the standby has received or replayed (`column`) everything the primary wrote so far."""
    target = superuser(PRIMARY, "SELECT pg_current_wal_insert_lsn()::text")
    deadline = time.monotonic() + 20
    while not superuser(STANDBY, f"SELECT {column}() >= '{target}'::pg_lsn"):
        assert time.monotonic() < deadline, f"the standby never reached {target}"
        time.sleep(0.05)


# --- Arrange on the primary: two dealers, two leads at A, three at B ------------------------------------------
region = RegionFactory(code="replica-east")
dealer_a, dealer_b = DealerFactory(region=region), DealerFactory(region=region)
seller = staff(Role.SALESPERSON, dealer=dealer_a, username="replica-seller")
manager = staff(Role.SALES_MANAGER, dealer=dealer_a, username="replica-manager")
for dealer, count in ((dealer_a, 2), (dealer_b, 3)):
    for n in range(count):
        web_lead(dealer, name=f"Lead {dealer.code}-{n}", hours_ago=1)
for user in (seller, manager):
    cache.delete(replica.write_key(user.id))
standby_reaches("pg_last_wal_replay_lsn")
seen: dict = {"dealer_a": dealer_a.id, "dealer_a_code": dealer_a.code}

# --- Where a report reads, where its writes go, and the scope on the standby ---------------------------------
with scoped(Scope.dealers([dealer_a.id])):
    with replica.reading_replica() as alias:
        seen["report_alias"] = Lead.objects.all().db
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            seen["report_connection_in_recovery"] = cursor.fetchone()[0]
        # Row-level security alone decides here: no filter in the query.
        seen["standby_dealer_a_sees"] = {
            "dealers": sorted(set(Lead.objects.values_list("dealer_id", flat=True))),
            "leads": Lead.objects.count(),
        }
        with network_wide(reason="replica check: the region's median"):
            seen["standby_network_wide_inside_report_sees"] = Lead.objects.count()
        with scoped(Scope.nothing()):
            seen["standby_no_scope_sees"] = Lead.objects.count()
        # A write inside a report block: the standby would refuse it (read-only); it lands on the primary.
        first = Lead.objects.order_by("id").first()
        updated = Lead.objects.filter(id=first.id).update(grade="H")
        seen["written_inside_report"] = {"write_alias": router.db_for_write(Lead), "updated": updated}
    seen["outside_report_alias"] = Lead.objects.all().db
    seen["written_inside_report"]["on_primary"] = Lead.objects.filter(id=first.id, grade="H").count()
standby_reaches("pg_last_wal_replay_lsn")


# --- The same over HTTP: the funnel's lead export ------------------------------------------------------------
today = timezone.localdate()
PERIOD = {"arrived_from": (today - timedelta(days=7)).isoformat(), "arrived_to": today.isoformat(), "format": "csv"}
clients = {}
for user in (seller, manager):
    clients[user.username] = Client()
    clients[user.username].force_login(user)


def export(user) -> dict:
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = clients[user.username].get(reverse("leads_dashboard:export_leads"), PERIOD)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:] if response.status_code == 200 else []
    return {
        "status": response.status_code,
        # The report's own queries; the routing's status probe (pg_is_in_recovery()) is asked either way.
        "replica_queries": sum("pg_is_in_recovery" not in query["sql"] for query in on_replica.captured_queries),
        "dealers": sorted({row[2] for row in rows}),
        "has_new_lead": any(row[4] == NEW_LEAD for row in rows),
    }


seen["export_before"] = export(manager)

# --- Read-your-writes: the standby stops replaying; the seller logs a visit (a new lead of theirs) -----------
superuser(STANDBY, "SELECT pg_wal_replay_pause()::text")
response = clients[seller.username].post(
    reverse("leads:visit_new"), {"phone": "13955550001", "name": NEW_LEAD, "party_size": "1"}
)
seen["visit_post_status"] = response.status_code
standby_reaches("pg_last_wal_receive_lsn")  # received, not replayed: the standby lags behind the write
seen["writer_after_write"] = export(seller)
seen["colleague_while_paused"] = export(manager)
with override_settings(DATABASE_REPLICA_MAX_LAG_SECONDS=0):
    seen["colleague_past_lag_limit"] = export(manager)
superuser(STANDBY, "SELECT pg_wal_replay_resume()::text")
standby_reaches("pg_last_wal_replay_lsn")
seen["writer_after_resume"] = export(seller)

# --- The standby goes away: fast shutdown of its postmaster ----------------------------------------------------
pid = int(open(os.environ["STANDBY_PID_FILE"]).readline())  # noqa: SIM115, PTH123 - one line, read once
os.kill(pid, signal.SIGINT)
deadline = time.monotonic() + 20
while True:
    try:
        socket.create_connection(("127.0.0.1", STANDBY), timeout=0.5).close()
    except OSError:
        break
    assert time.monotonic() < deadline, "the standby did not stop"
    time.sleep(0.05)
seen["with_standby_down"] = export(manager)
seen["warnings"] = warnings
print(json.dumps(seen))
