"""Row-level security on every loyalty table, and the ledger made append-only for the application role.

A member is visible to its home dealer and wherever its customer is visible (a dealer that serves the owner
redeems the owner's network-wide points); everything hanging off a member is visible exactly when the member
is. The programme and its tiers are read by everyone and written only network-wide (the OEM admin).
Entries and allocations are never edited nor deleted: the application role holds no UPDATE or DELETE on them.
"""

from django.conf import settings
from django.db import migrations

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql, visible_through

ALL = "crm_scope_all()"
MEMBER = f"{ALL} OR home_dealer_id = {SCOPE_DEALERS} OR {visible_through('customers_customer', 'customer_id')}"
THROUGH_MEMBER = f"{ALL} OR {visible_through('loyalty_member', 'member_id')}"

POLICIES = {
    "loyalty_member": MEMBER,
    "loyalty_pointsentry": THROUGH_MEMBER,
    "loyalty_pointslot": THROUGH_MEMBER,
    "loyalty_pointsallocation": THROUGH_MEMBER,
    "loyalty_pendingpoints": THROUGH_MEMBER,
    "loyalty_redemption": THROUGH_MEMBER,
}
READ_ALL_WRITE_OEM = ["loyalty_programme", "loyalty_tier"]
APPEND_ONLY = ["loyalty_pointsentry", "loyalty_pointsallocation"]


def read_all_sql(table: str) -> str:
    return f"""
    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS crm_read ON {table};
    DROP POLICY IF EXISTS crm_write ON {table};
    CREATE POLICY crm_read ON {table} FOR SELECT USING (true);
    CREATE POLICY crm_write ON {table} FOR ALL USING ({ALL}) WITH CHECK ({ALL});
    """


def read_all_reverse_sql(table: str) -> str:
    return f"""
    DROP POLICY IF EXISTS crm_read ON {table};
    DROP POLICY IF EXISTS crm_write ON {table};
    ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
    """


def append_only_sql() -> str:
    app = settings.CRM_APP_DB_ROLE
    return "".join(f'REVOKE UPDATE, DELETE ON {table} FROM "{app}";' for table in APPEND_ONLY)


def append_only_reverse_sql() -> str:
    app = settings.CRM_APP_DB_ROLE
    return "".join(f'GRANT UPDATE, DELETE ON {table} TO "{app}";' for table in APPEND_ONLY)


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_club_and_ledger"), ("core", "0001_privileges_and_scope")]

    operations = [
        *(
            migrations.RunSQL(policy_sql(table, expression), policy_reverse_sql(table))
            for table, expression in POLICIES.items()
        ),
        *(migrations.RunSQL(read_all_sql(table), read_all_reverse_sql(table)) for table in READ_ALL_WRITE_OEM),
        migrations.RunSQL(append_only_sql(), append_only_reverse_sql()),
    ]
