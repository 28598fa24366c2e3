"""Reports read from a real hot standby: a throwaway cluster (initdb on a free port), the suite's schema
restored into it, a standby made from it with `pg_basebackup -R` and started on another port. The
application then runs against the pair (DATABASE_URL: the primary, DATABASE_REPLICA_URL: the standby) in a
`manage.py shell` process (tests/ops/replica_check.py), which reports what it saw as one JSON line:
- reports' reads go to the standby (its connection is in recovery), writes inside a report go to the primary;
- the row-level-security scope applies on the standby (a dealer's scope sees only that dealer's rows, no
  scope sees nothing, `network_wide()` inside a report reaches the standby too);
- read-your-writes: with the standby's replay paused, the user who just wrote reads the primary (and sees
  the write) while a colleague who did not still reads the standby (which does not have it yet); once
  replay resumes, the writer is back on the standby;
- past the lag limit, and with the standby shut down, reports read the primary and a warning is logged."""

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from glob import glob
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from tests.messaging.peers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.ops, pytest.mark.django_db(transaction=True)]


def postgres_bin() -> Path:
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        pytest.fail("PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) are not installed")
    return Path(initdb).parent


class Cluster:
    """PostgreSQL servers of our own, as the user `postgres` when the suite runs as root (initdb refuses root)."""

    def __init__(self, base: Path):
        self.bin = postgres_bin()
        self.base = base
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.started: list[Path] = []

    def run(self, *command: str, timeout: float = 60) -> str:
        done = subprocess.run(
            [*self.as_user, str(self.bin / command[0]), *command[1:]],
            capture_output=True, text=True, check=False, timeout=timeout, cwd=self.base,
        )
        assert done.returncode == 0, f"{command[0]}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        return done.stdout

    def start(self, data: Path, port: int) -> None:
        options = (
            f"-p {port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "
            "-c shared_buffers=16MB -c max_connections=40 -c wal_level=replica -c max_wal_senders=4"
        )
        self.started.append(data)
        self.run("pg_ctl", "-D", str(data), "-o", options, "-l", str(data.parent / f"{data.name}.log"), "-w", "start")
        wait_for_port("127.0.0.1", port, timeout=30)

    def stop_all(self) -> None:
        for data in reversed(self.started):
            if (data / "postmaster.pid").exists():
                with suppress(AssertionError, subprocess.TimeoutExpired):
                    self.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop", timeout=30)


def psql(port: int, sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-AtX", "-c", sql],
        capture_output=True, text=True, check=True,
    ).stdout.strip()


def test_reports_read_the_hot_standby_in_scope_and_a_writer_reads_its_own_writes():
    started, timings = time.monotonic(), {}
    suite_database = connection.settings_dict
    # In memory where the machine offers it: two small clusters, written and removed in a moment.
    in_memory = "/dev/shm"  # noqa: S108 - mkdtemp makes a private directory with an unguessable name there
    base = Path(tempfile.mkdtemp(prefix="crm-replica-", dir=in_memory if os.access(in_memory, os.W_OK) else None))
    cluster = Cluster(base)
    if cluster.as_user:
        shutil.chown(base, "postgres", "postgres")
    primary_port, standby_port = free_port(), free_port()
    while standby_port == primary_port:
        standby_port = free_port()
    url = "postgres://{role}@127.0.0.1:{port}/crm"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": url.format(role="crm_app", port=primary_port),
        "DATABASE_OWNER_URL": url.format(role="crm_owner", port=primary_port),
        "DATABASE_ADMIN_URL": f"postgres://postgres@127.0.0.1:{primary_port}/postgres",
        "DATABASE_REPLICA_URL": url.format(role="crm_app", port=standby_port),
        "DATABASE_REPLICA_MAX_LAG_SECONDS": "60",
        "PRIMARY_PORT": str(primary_port),
        "STANDBY_PORT": str(standby_port),
        "STANDBY_PID_FILE": str(base / "standby" / "postmaster.pid"),
    }
    dump = base / "suite.dump"
    try:
        # The suite's migrated schema (and its few rows), dumped while the new primary is made.
        dumping = subprocess.Popen(
            ["pg_dump", "-Fc", "-f", str(dump), "-h", suite_database["HOST"] or "127.0.0.1",
             "-p", str(suite_database["PORT"] or 5432), "-U", "postgres", "-d", suite_database["NAME"]],
        )
        cluster.run("initdb", "-D", str(base / "primary"), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                    "--locale=C.UTF-8", "--no-sync", "--wal-segsize=1")
        cluster.start(base / "primary", primary_port)
        # The roles and the database as on any new server (README, "Backups"), then the schema restored.
        with override_settings(**{name: env[name] for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "DATABASE_ADMIN_URL")}):
            call_command("db_bootstrap", stdout=io.StringIO())
        timings["primary"] = time.monotonic() - started
        assert dumping.wait(timeout=60) == 0
        subprocess.run(
            ["pg_restore", "--exit-on-error", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
             "-d", "crm", str(dump)],
            capture_output=True, text=True, check=True,
        )
        timings["restored"] = time.monotonic() - started
        # The standby: a base backup of the running primary, told where to stream from (-R), then started.
        cluster.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
                    "-D", str(base / "standby"), "-R", "-X", "stream", "-c", "fast", "--no-sync")
        cluster.start(base / "standby", standby_port)
        assert psql(standby_port, "SELECT pg_is_in_recovery()") == "t"
        timings["standby"] = time.monotonic() - started

        check = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", (ROOT / "tests/ops/replica_check.py").read_text()],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120,
        )
        assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-5000:]
        seen = json.loads(check.stdout.strip().splitlines()[-1])
        timings["checked"] = time.monotonic() - started
    finally:
        cluster.stop_all()
        timings["stopped"] = time.monotonic() - started
        shutil.rmtree(base, ignore_errors=True)
    timings["cleaned"] = time.monotonic() - started
    print("replica test seconds:", {step: round(seconds, 1) for step, seconds in timings.items()})
    assert not base.exists(), "the clusters are gone"
    for port in (primary_port, standby_port):
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            pass

    # Reports read the standby; writes, even inside a report block, the primary.
    assert seen["report_alias"] == "replica" and seen["report_connection_in_recovery"] is True
    assert seen["outside_report_alias"] == "default"
    assert seen["written_inside_report"] == {"write_alias": "default", "updated": 1, "on_primary": 1}
    # Row-level security on the standby: the dealer's scope sees its own rows only; no scope, nothing.
    assert seen["standby_dealer_a_sees"] == {"dealers": [seen["dealer_a"]], "leads": 2}
    assert seen["standby_no_scope_sees"] == 0
    assert seen["standby_network_wide_inside_report_sees"] == 5
    # The funnel export over HTTP: served by the standby, the dealer's rows only.
    assert seen["export_before"]["replica_queries"] > 0
    assert seen["export_before"]["dealers"] == [seen["dealer_a_code"]]
    # Read-your-writes while the standby's replay is paused.
    writer, colleague = seen["writer_after_write"], seen["colleague_while_paused"]
    assert seen["visit_post_status"] in (200, 302)
    assert writer["replica_queries"] == 0 and writer["has_new_lead"] is True
    assert colleague["replica_queries"] > 0 and colleague["has_new_lead"] is False
    lagging = seen["colleague_past_lag_limit"]
    assert lagging["replica_queries"] == 0 and lagging["has_new_lead"] is True
    assert any("lags" in message for message in seen["warnings"])
    resumed = seen["writer_after_resume"]
    assert resumed["replica_queries"] > 0 and resumed["has_new_lead"] is True
    # The standby shut down: reports still answer, from the primary, and say so in the log.
    down = seen["with_standby_down"]
    assert down["status"] == 200 and down["has_new_lead"] is True and down["replica_queries"] == 0
    assert any("unreachable" in message for message in seen["warnings"])
