"""Maintenance due: the OEM's schedules per model (versioned by effective day), dealers' reminder lead times,
each vehicle's next service (derived; service.maintenance.recompute); the two SQL functions the recompute
statement uses; row-level security (a vehicle's row is visible wherever the vehicle is, a dealer's setting is
its own; schedules carry no dealer's data and every role reads them)."""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql, visible_through

ALL = "crm_scope_all()"
OWN_DEALER = f"{ALL} OR dealer_id = {SCOPE_DEALERS}"
WITH_THE_VEHICLE = f"{ALL} OR {visible_through('customers_vehicle', 'vehicle_id')}"

# A model's name compared as people write it: full width folded, case-folded, no spaces or joining marks
# (the SQL twin of crm.network.selectors._model_key).
NAME_KEY_SQL = r"""
CREATE OR REPLACE FUNCTION service_name_key(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT regexp_replace(lower(normalize(coalesce(name, ''), NFKC)), '[\s_.·・-]+', '', 'g')
$$;
"""
# China's periodic inspection of a private small passenger car, counted from registration (delivery): an
# inspection in years 6 and 10, then every year, then every six months after 15 years. The next one on or
# after `today`.
INSPECTION_SQL = """
CREATE OR REPLACE FUNCTION service_next_inspection(delivered date, today date) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    months integer;
    due date;
BEGIN
    IF delivered IS NULL OR today IS NULL THEN
        RETURN NULL;
    END IF;
    due := (delivered + interval '6 years')::date;
    IF due >= today THEN RETURN due; END IF;
    months := 120;
    LOOP
        due := (delivered + make_interval(months => months))::date;
        IF due >= today THEN RETURN due; END IF;
        months := months + CASE WHEN months < 180 THEN 12 ELSE 6 END;
        EXIT WHEN months > 1200;
    END LOOP;
    RETURN NULL;
END
$$;
"""
FUNCTIONS_REVERSE = """
DROP FUNCTION IF EXISTS service_name_key(text);
DROP FUNCTION IF EXISTS service_next_inspection(date, date);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0007_vehicle_insurance_expiry'),
        ('network', '0002_brand_models_and_dealer_aliases'),
        ('service', '0022_merge_workshop_and_care'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='MaintenanceSchedule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('effective_from', models.DateField(verbose_name='effective from')),
                ('first_km', models.PositiveIntegerField(verbose_name='first service at (km)')),
                ('first_months', models.PositiveSmallIntegerField(verbose_name='first service after (months)')),
                ('interval_km', models.PositiveIntegerField(verbose_name='then every (km)')),
                ('interval_months', models.PositiveSmallIntegerField(verbose_name='then every (months)')),
                ('operation_codes', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=40), default=list, verbose_name='maintenance operation codes')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='why this version')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('brand_model', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='maintenance_schedules', to='network.brandmodel', verbose_name='model')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'maintenance schedule',
                'verbose_name_plural': 'maintenance schedules',
                'ordering': ['brand_model', '-effective_from'],
            },
        ),
        migrations.CreateModel(
            name='MaintenanceSetting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reminder_days', models.PositiveSmallIntegerField(default=14, verbose_name='maintenance reminder (days before)')),
                ('inspection_days', models.PositiveSmallIntegerField(default=30, verbose_name='inspection reminder (days before)')),
                ('warranty_days', models.PositiveSmallIntegerField(default=30, verbose_name='warranty expiry reminder (days before)')),
                ('insurance_days', models.PositiveSmallIntegerField(default=30, verbose_name='insurance renewal reminder (days before)')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('dealer', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='maintenance_setting', to='network.dealer', verbose_name='dealer')),
            ],
            options={
                'verbose_name': 'maintenance reminder setting',
                'verbose_name_plural': 'maintenance reminder settings',
            },
        ),
        migrations.CreateModel(
            name='VehicleMaintenance',
            fields=[
                ('vehicle', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='maintenance', serialize=False, to='customers.vehicle')),
                ('rule', models.CharField(choices=[('first', 'First service'), ('interval', 'Regular service'), ('none', 'No schedule for this model'), ('no_delivery', 'Delivery date unknown')], max_length=12, verbose_name='rule')),
                ('last_service_on', models.DateField(blank=True, null=True, verbose_name='last maintenance')),
                ('basis_on', models.DateField(blank=True, null=True, verbose_name='counted from')),
                ('basis_km', models.PositiveIntegerField(blank=True, null=True, verbose_name='counted from (km)')),
                ('current_km', models.PositiveIntegerField(blank=True, null=True, verbose_name='current mileage (km)')),
                ('km_per_day', models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True, verbose_name='average km per day')),
                ('pace', models.CharField(choices=[('readings', 'from odometer readings'), ('time_only', 'too few readings: time only')], default='time_only', max_length=12, verbose_name='pace')),
                ('due_km', models.PositiveIntegerField(blank=True, null=True, verbose_name='due at (km)')),
                ('due_by_time_on', models.DateField(blank=True, null=True, verbose_name='due by time')),
                ('due_by_km_on', models.DateField(blank=True, null=True, verbose_name='due by distance (projected)')),
                ('due_on', models.DateField(blank=True, null=True, verbose_name='next service due')),
                ('decided_by', models.CharField(blank=True, choices=[('km', 'distance'), ('time', 'time')], max_length=4, verbose_name='decided by')),
                ('inspection_due_on', models.DateField(blank=True, null=True, verbose_name='next inspection')),
                ('warranty_ends_on', models.DateField(blank=True, null=True, verbose_name='statutory warranty ends')),
                ('warranty_decided_by', models.CharField(blank=True, choices=[('km', 'distance'), ('time', 'time')], max_length=4)),
                ('insurance_expires_on', models.DateField(blank=True, null=True, verbose_name='insurance expires')),
                ('computed_at', models.DateTimeField(verbose_name='computed')),
                ('dealer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='network.dealer', verbose_name='dealer')),
                ('last_service', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='service.repairorder')),
                ('schedule', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='service.maintenanceschedule')),
            ],
            options={
                'verbose_name': 'vehicle maintenance',
                'verbose_name_plural': 'vehicle maintenance',
            },
        ),
        migrations.AddConstraint(
            model_name='maintenanceschedule',
            constraint=models.UniqueConstraint(fields=('brand_model', 'effective_from'), name='maintenance_schedule_one_version_a_day'),
        ),
        migrations.AddConstraint(
            model_name='maintenanceschedule',
            constraint=models.CheckConstraint(condition=models.Q(('first_km__gt', 0), ('first_months__gt', 0), ('interval_km__gt', 0), ('interval_months__gt', 0), ('first_km__lte', 200000), ('interval_km__lte', 200000), ('first_months__lte', 120), ('interval_months__lte', 120)), name='maintenance_schedule_positive'),
        ),
        migrations.AddConstraint(
            model_name='maintenanceschedule',
            constraint=models.CheckConstraint(condition=models.Q(('operation_codes', []), _negated=True), name='maintenance_schedule_has_codes'),
        ),
        migrations.AddConstraint(
            model_name='maintenancesetting',
            constraint=models.CheckConstraint(condition=models.Q(('inspection_days__lte', 90), ('reminder_days__lte', 90), ('insurance_days__lte', 90), ('warranty_days__lte', 90)), name='maintenance_setting_days_plausible'),
        ),
        migrations.AddIndex(
            model_name='vehiclemaintenance',
            index=models.Index(fields=['dealer', 'due_on'], name='maintenance_dealer_due'),
        ),
        migrations.AddIndex(
            model_name='vehiclemaintenance',
            index=models.Index(condition=models.Q(('due_on__isnull', False)), fields=['due_on'], name='maintenance_due'),
        ),
        migrations.AddIndex(
            model_name='vehiclemaintenance',
            index=models.Index(fields=['inspection_due_on'], name='maintenance_inspection'),
        ),
        migrations.AddIndex(
            model_name='vehiclemaintenance',
            index=models.Index(fields=['warranty_ends_on'], name='maintenance_warranty'),
        ),
        migrations.AddIndex(
            model_name='vehiclemaintenance',
            index=models.Index(fields=['insurance_expires_on'], name='maintenance_insurance'),
        ),
        migrations.RunSQL(NAME_KEY_SQL + INSPECTION_SQL, FUNCTIONS_REVERSE),
        migrations.RunSQL(
            policy_sql("service_vehiclemaintenance", WITH_THE_VEHICLE),
            policy_reverse_sql("service_vehiclemaintenance"),
        ),
        migrations.RunSQL(
            policy_sql("service_maintenancesetting", OWN_DEALER), policy_reverse_sql("service_maintenancesetting")
        ),
    ]
