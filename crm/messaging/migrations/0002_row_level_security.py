"""Row-level security on messaging tables: a dealer sees its own templates, segments, campaigns, outbox
rows and replies, plus the OEM's shared templates; network rows (no dealer) are for network scopes."""

from django.db import migrations

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql

ALL = "crm_scope_all()"
OWN_DEALER = f"{ALL} OR dealer_id = {SCOPE_DEALERS}"
OWN_OR_OEM = f"{ALL} OR dealer_id IS NULL OR dealer_id = {SCOPE_DEALERS}"

POLICIES = {
    "messaging_messagetemplate": OWN_OR_OEM,
    "messaging_segment": OWN_DEALER,
    "messaging_campaign": OWN_DEALER,
    "messaging_careprogram": OWN_DEALER,
    "messaging_outboxmessage": OWN_DEALER,
    "messaging_inboundmessage": OWN_DEALER,
}


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial"), ("core", "0001_privileges_and_scope")]

    operations = [
        migrations.RunSQL(policy_sql(table, expression), policy_reverse_sql(table))
        for table, expression in POLICIES.items()
    ]
