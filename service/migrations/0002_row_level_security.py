"""Row-level security on every service table: a dealer sees its own repair orders and their lines, OEM
regional staff their regions' dealers', network roles and explicitly scoped jobs everything
(crm/core/scope.py). Odometer readings are facts about the vehicle: visible wherever the vehicle is."""

from django.db import migrations

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql, visible_through

ALL = "crm_scope_all()"
OWN_DEALER = f"{ALL} OR dealer_id = {SCOPE_DEALERS}"
WITH_THE_VEHICLE = f"{ALL} OR {visible_through('customers_vehicle', 'vehicle_id')}"

POLICIES = {
    "service_repairorder": OWN_DEALER,
    "service_repairorderevent": OWN_DEALER,
    "service_job": OWN_DEALER,
    "service_labourline": OWN_DEALER,
    "service_partline": OWN_DEALER,
    "service_chargeline": OWN_DEALER,
    "service_odometerreading": WITH_THE_VEHICLE,
}


class Migration(migrations.Migration):
    dependencies = [("service", "0001_repair_orders_and_odometer"), ("core", "0001_privileges_and_scope")]

    operations = [
        migrations.RunSQL(policy_sql(table, expression), policy_reverse_sql(table))
        for table, expression in POLICIES.items()
    ]
