"""Row-level security on every leads table: a dealer sees its own rows, OEM regional staff their regions'
dealers' rows, network roles and explicitly scoped jobs everything (crm/core/scope.py)."""

from django.db import migrations

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql

ALL = "crm_scope_all()"
OWN_DEALER = f"{ALL} OR dealer_id = {SCOPE_DEALERS}"
# OEM-wide sources and campaigns (no dealer) are visible to every dealer.
OWN_OR_OEM = f"{ALL} OR dealer_id IS NULL OR dealer_id = {SCOPE_DEALERS}"

POLICIES = {
    "leads_lead": OWN_DEALER,
    "leads_leadevent": OWN_DEALER,
    "leads_contactattempt": OWN_DEALER,
    "leads_followup": OWN_DEALER,
    "leads_showroomvisit": OWN_DEALER,
    "leads_stagechange": OWN_DEALER,
    "leads_lostverdict": OWN_DEALER,
    "leads_democar": OWN_DEALER,
    "leads_testdrive": OWN_DEALER,
    "leads_order": OWN_DEALER,
    "leads_dealercadence": OWN_DEALER,
    "leads_leadsource": OWN_OR_OEM,
    "leads_campaign": OWN_OR_OEM,
}


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial"), ("core", "0001_privileges_and_scope")]

    operations = [
        migrations.RunSQL(policy_sql(table, expression), policy_reverse_sql(table))
        for table, expression in POLICIES.items()
    ]
