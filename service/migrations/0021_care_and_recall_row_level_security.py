"""Row-level security on complaints, call-backs and recalls (crm/core/rls.py). A complaint, its entries and a
call-back are their dealer's; a recall's affected vehicle is visible wherever the vehicle is (the advisor who
checks the car in must see its open recall); a remedy is its dealer's; uploads and unmatched VINs are the
OEM's alone (network-wide scope). Campaigns carry no dealer's data: every role reads them."""

from django.db import migrations

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql, visible_through

ALL = "crm_scope_all()"
OWN_DEALER = f"{ALL} OR dealer_id = {SCOPE_DEALERS}"
WITH_THE_VEHICLE = f"{ALL} OR {visible_through('customers_vehicle', 'vehicle_id')}"

POLICIES = {
    "service_complaint": OWN_DEALER,
    "service_complaintentry": OWN_DEALER,
    "service_callback": OWN_DEALER,
    "service_recallvehicle": WITH_THE_VEHICLE,
    "service_recallremedy": OWN_DEALER,
    "service_recallupload": ALL,
    "service_recallunmatchedvin": ALL,
}


class Migration(migrations.Migration):
    dependencies = [("service", "0020_complaints_call_backs_recalls"), ("core", "0001_privileges_and_scope")]

    operations = [
        migrations.RunSQL(policy_sql(table, expression), policy_reverse_sql(table))
        for table, expression in POLICIES.items()
    ]
