"""Create the database roles and the database, once, with a superuser connection.

Roles (see docs/decisions.md, "Row-level security"):
- owner: owns the tables and runs migrations; subject to row-level security (FORCE) like everyone else.
- app: what web, worker, beat and commands connect as; owns nothing, cannot bypass row-level security.
- identity: cannot log in; bypasses row-level security; owns only the narrow identity-match functions.
Safe to run again: it creates what is missing and changes nothing else.
"""

from urllib.parse import unquote, urlparse

import psycopg2
from django.conf import settings
from django.core.management.base import BaseCommand
from psycopg2 import sql


def _parts(url: str) -> dict:
    parsed = urlparse(url)
    return {
        "user": unquote(parsed.username or ""),
        "password": unquote(parsed.password) if parsed.password else None,
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 5432,
        "dbname": parsed.path.lstrip("/"),
    }


class Command(BaseCommand):
    help = "Create the owner/app/identity roles and the database if they are missing (needs a superuser URL)."

    def handle(self, *args, **options):
        admin = _parts(settings.DATABASE_ADMIN_URL)
        owner = _parts(settings.DATABASE_OWNER_URL)
        app = _parts(settings.DATABASE_URL)
        identity_role = settings.CRM_IDENTITY_DB_ROLE
        connection = psycopg2.connect(**admin)
        connection.autocommit = True
        with connection.cursor() as cursor:
            self._role(
                cursor,
                owner["user"],
                "LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOBYPASSRLS",
                owner["password"],
            )
            self._role(
                cursor, app["user"], "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS", app["password"]
            )
            self._role(cursor, identity_role, "NOLOGIN NOSUPERUSER BYPASSRLS", None)
            cursor.execute(
                sql.SQL("GRANT {} TO {}").format(sql.Identifier(identity_role), sql.Identifier(owner["user"]))
            )
            # The history triggers look this setting up on every row; when it is missing each row pays for a
            # caught exception (several times slower on bulk writes).
            for role in (owner["user"], app["user"]):
                cursor.execute(
                    sql.SQL("ALTER ROLE {} SET pgtrigger.ignore = '{{}}'").format(sql.Identifier(role))
                )
            # The application's queries are short; JIT compiles a plan that crosses jit_above_cost (a cost
            # estimate, not a duration) and the compilation costs more than the query (docs/decisions.md).
            cursor.execute(sql.SQL("ALTER ROLE {} SET jit = off").format(sql.Identifier(app["user"])))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [owner["dbname"]])
            if cursor.fetchone() is None:
                cursor.execute(
                    sql.SQL(
                        "CREATE DATABASE {} OWNER {} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' "
                        "TEMPLATE template0"
                    ).format(sql.Identifier(owner["dbname"]), sql.Identifier(owner["user"]))
                )
                self.stdout.write(f"created database {owner['dbname']}")
        connection.close()
        self.stdout.write(self.style.SUCCESS("database roles and database are ready"))

    def _role(self, cursor, name: str, attributes: str, password: str | None) -> None:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        verb = "ALTER" if cursor.fetchone() else "CREATE"
        statement = sql.SQL(f"{verb} ROLE {{}} {attributes}").format(sql.Identifier(name))
        if password:
            statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
        cursor.execute(statement)
