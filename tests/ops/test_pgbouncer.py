"""The application behind PgBouncer in transaction mode: a slice of the suite (row-level security, the
customer record, the funnel's writes) runs with every connection going through the pooler, where one
server connection serves many clients' transactions in turn. Nothing may leak between them: the scope is
set per transaction (crm/core/scope.py), and server-side cursors are off (DATABASE_BEHIND_PGBOUNCER)."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.db import connection

from tests.messaging.peers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
SLICE = ["tests/core/test_rls.py", "tests/customers/test_services.py", "tests/leads/test_lifecycle.py"]
pytestmark = [pytest.mark.ops, pytest.mark.django_db(transaction=True)]


def test_a_slice_of_the_suite_passes_through_pgbouncer_in_transaction_mode():
    database = connection.settings_dict
    port = free_port()
    # PgBouncer refuses to run as root and drops to `nobody`, who must read its files: not under pytest's
    # private temporary directory.
    run_dir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    os.chmod(run_dir, 0o755)  # noqa: S103 - readable, not writable, by the unprivileged PgBouncer
    (run_dir / "users.txt").write_text('"crm_app" ""\n"crm_owner" ""\n"postgres" ""\n')
    (run_dir / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={database["HOST"] or "127.0.0.1"} port={database["PORT"] or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {run_dir / "users.txt"}
admin_users = postgres
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
"""
    )
    command = [PGBOUNCER, str(run_dir / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "nobody"]  # PgBouncer refuses to run as root
    log = run_dir / "pgbouncer.log"
    bouncer = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            wait_for_port("127.0.0.1", port, timeout=20, process=bouncer)
        except Exception as error:
            raise AssertionError(log.read_text()) from error
        through = f"127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://crm_app@{through}/crm",
            "DATABASE_OWNER_URL": f"postgres://crm_owner@{through}/crm",
            "DATABASE_BEHIND_PGBOUNCER": "1",
            # The slice uses this run's test database (already migrated) rather than making its own.
            "TEST_DATABASE_NAME": database["NAME"],
            "CRM_TEST_KEEPDB": "1",
        }
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *SLICE],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=900,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        stats = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "pgbouncer", "-AtX", "-c", "SHOW STATS"],
            capture_output=True, text=True, check=True,
        ).stdout
        served = sum(int(line.split("|")[1]) for line in stats.splitlines() if line.startswith(database["NAME"] + "|"))
        assert served > 100, f"the slice's transactions went through PgBouncer: {stats}"
    finally:
        bouncer.terminate()
        bouncer.wait(timeout=10)
        shutil.rmtree(run_dir, ignore_errors=True)
