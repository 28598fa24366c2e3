"""Row-level security on appointments and the capacity they are booked against (crm/core/rls.py): a dealer's
bays, settings, advisors' hours and exceptions, and appointments are its own; regional staff see their
regions' dealers', network roles and explicitly scoped jobs everything. An appointment source with a dealer is
that dealer's; an OEM-wide source (no dealer) only the network scope sees (the public endpoint looks a key up
network-wide, and answers only "this is source N")."""

from django.db import migrations

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql

ALL = "crm_scope_all()"
OWN_DEALER = f"{ALL} OR dealer_id = {SCOPE_DEALERS}"

POLICIES = {
    "service_appointment": OWN_DEALER,
    "service_servicebay": OWN_DEALER,
    "service_appointmentsettings": OWN_DEALER,
    "service_advisorhours": OWN_DEALER,
    "service_advisorexception": OWN_DEALER,
    "service_appointmentsource": OWN_DEALER,
}


class Migration(migrations.Migration):
    dependencies = [("service", "0040_appointments"), ("core", "0001_privileges_and_scope")]

    operations = [
        migrations.RunSQL(policy_sql(table, expression), policy_reverse_sql(table))
        for table, expression in POLICIES.items()
    ]
