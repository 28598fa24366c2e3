"""Runs before every other migration, as the owner role.

- The application role gets data privileges (never ownership) on every table and sequence the owner creates.
- Two SQL functions read the transaction's row-level security scope (see crm/core/scope.py).
"""

from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def grants_sql() -> str:
    app = settings.CRM_APP_DB_ROLE
    return f"""
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{app}";
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "{app}";
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{app}";
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{app}";
    """


SCOPE_FUNCTIONS = """
CREATE OR REPLACE FUNCTION crm_scope_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('crm.network_wide', true), '') = 'on' $$;

CREATE OR REPLACE FUNCTION crm_scope_dealers() RETURNS bigint[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(nullif(current_setting('crm.dealer_ids', true), ''), '{}')::bigint[] $$;
"""


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    run_before = [("contenttypes", "0001_initial"), ("auth", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(grants_sql(), migrations.RunSQL.noop),
        migrations.RunSQL(
            SCOPE_FUNCTIONS,
            "DROP FUNCTION IF EXISTS crm_scope_all(); DROP FUNCTION IF EXISTS crm_scope_dealers();",
        ),
    ]
