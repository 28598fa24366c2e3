"""The backup drill (README, "Backups"): pg_dump of the live database, pg_restore into a fresh one, and the
application works on the copy with its roles' grants and every row-level-security policy intact."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import CustomerFactory, DealerFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.ops, pytest.mark.django_db(transaction=True)]

SECURITY = """
    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
           coalesce((SELECT array_agg(p.polname ORDER BY p.polname) FROM pg_policy p WHERE p.polrelid = c.oid), '{}'),
           pg_get_userbyid(c.relowner), coalesce(c.relacl::text, '')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'S')
    ORDER BY c.relname
"""
FUNCTIONS = """
    SELECT p.proname, pg_get_userbyid(p.proowner), p.prosecdef, coalesce(p.proacl::text, '')
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1, 2
"""


def admin(*args: str, **kwargs) -> subprocess.CompletedProcess:
    database = connection.settings_dict
    return subprocess.run(
        [*args, "-h", database["HOST"] or "127.0.0.1", "-p", str(database["PORT"] or 5432), "-U", "postgres"],
        capture_output=True, text=True, check=True, **kwargs,
    )


def rows(database: str, sql: str) -> list[str]:
    return admin("psql", "-d", database, "-AtX", "-c", sql).stdout.splitlines()


def test_a_dump_restored_into_a_fresh_database_keeps_roles_policies_and_works(tmp_path):
    dealer_a, dealer_b = DealerFactory(), DealerFactory()
    CustomerFactory.create_batch(3, dealer=dealer_a)
    CustomerFactory.create_batch(2, dealer=dealer_b)
    source = connection.settings_dict["NAME"]
    copy = f"restore_drill_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "crm.dump"
    # The drill as the README writes it.
    admin("pg_dump", "-Fc", "-f", str(dump), "-d", source)
    admin("createdb", "-O", "crm_owner", copy)
    try:
        admin("pg_restore", "--exit-on-error", "-d", copy, str(dump))
        assert rows(copy, SECURITY) == rows(source, SECURITY), "tables, policies, owners and grants as before"
        assert rows(copy, FUNCTIONS) == rows(source, FUNCTIONS), "the privileged functions as before"
        assert any("|t|t|" in row for row in rows(copy, SECURITY)), "row-level security is on and forced"

        database = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "crm.settings",
            "DATABASE_URL": f"postgres://crm_app@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{copy}",
            "DATABASE_OWNER_URL": f"postgres://crm_owner@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{copy}",
            "RESTORE_DEALERS": f"{dealer_a.id},{dealer_b.id}",
        }
        migrations = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--check"], cwd=ROOT, env={**env, "CRM_DB_AS_OWNER": "1"},
            capture_output=True, text=True, check=False,
        )
        assert migrations.returncode == 0, "every migration is recorded as applied: " + migrations.stdout
        check = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", (ROOT / "tests/ops/restore_check.py").read_text()],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )
        assert check.returncode == 0, check.stderr
        result = json.loads(check.stdout.strip().splitlines()[-1])
        assert result == {"unscoped": 0, "seen_dealers": [dealer_a.id], "created_visible": 1}
    finally:
        admin("dropdb", "--if-exists", "--force", copy)
