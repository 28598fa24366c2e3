"""Row-level security on the history summaries and the DMS imports.

A summary is read wherever its vehicle is visible (that is what lets a dealer see where else a car it services
was serviced, without prices), but written only by its own dealer's transactions. Imports and their rows are
the importing dealer's alone."""

from django.db import migrations

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql, visible_through

ALL = "crm_scope_all()"
OWN_DEALER = f"{ALL} OR dealer_id = {SCOPE_DEALERS}"
WITH_THE_VEHICLE = f"{ALL} OR {visible_through('customers_vehicle', 'vehicle_id')}"

SUMMARY_SQL = f"""
    ALTER TABLE service_repairordersummary ENABLE ROW LEVEL SECURITY;
    ALTER TABLE service_repairordersummary FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS crm_scope ON service_repairordersummary;
    CREATE POLICY crm_scope ON service_repairordersummary
        USING ({WITH_THE_VEHICLE}) WITH CHECK ({OWN_DEALER});
"""


class Migration(migrations.Migration):
    dependencies = [("service", "0003_history_summaries_and_dms_imports"), ("service", "0002_row_level_security")]

    operations = [
        migrations.RunSQL(SUMMARY_SQL, policy_reverse_sql("service_repairordersummary")),
        migrations.RunSQL(policy_sql("service_dmsimport", OWN_DEALER), policy_reverse_sql("service_dmsimport")),
        migrations.RunSQL(
            policy_sql("service_dmsimportrow", OWN_DEALER), policy_reverse_sql("service_dmsimportrow")
        ),
    ]
