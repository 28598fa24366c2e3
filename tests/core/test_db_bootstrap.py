"""`manage.py db_bootstrap` leaves the application role with the session settings it needs."""

from io import StringIO

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from psycopg2 import sql

from crm.core.management.commands.db_bootstrap import _parts


def _connect(**parts):
    database = connection.settings_dict
    return psycopg2.connect(host=database["HOST"] or "127.0.0.1", port=database["PORT"] or 5432, **parts)


def _app_session_setting(name: str) -> str:
    """`SHOW name` on a brand-new connection as the application role (role settings apply at login)."""
    fresh = _connect(
        user=settings.CRM_APP_DB_ROLE,
        password=connection.settings_dict.get("PASSWORD") or None,
        dbname=connection.settings_dict["NAME"],
    )
    try:
        with fresh.cursor() as cursor:
            cursor.execute(sql.SQL("SHOW {}").format(sql.Identifier(name)))
            return cursor.fetchone()[0]
    finally:
        fresh.close()


def _reset_app_role_setting(name: str) -> None:
    admin = _parts(settings.DATABASE_ADMIN_URL)
    superuser = _connect(user=admin["user"], password=admin["password"], dbname=admin["dbname"])
    superuser.autocommit = True
    try:
        with superuser.cursor() as cursor:
            cursor.execute(
                sql.SQL("ALTER ROLE {} RESET {}").format(
                    sql.Identifier(settings.CRM_APP_DB_ROLE), sql.Identifier(name)
                )
            )
    finally:
        superuser.close()


@pytest.mark.django_db
def test_bootstrap_turns_jit_off_for_the_application_role_and_is_safe_to_run_again():
    _reset_app_role_setting("jit")  # so the test proves the command sets it, not an earlier run
    call_command("db_bootstrap", stdout=StringIO())
    call_command("db_bootstrap", stdout=StringIO())
    assert _app_session_setting("jit") == "off"
