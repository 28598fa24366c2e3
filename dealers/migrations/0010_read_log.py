"""The OEM read log (dealers/models/read_log.py): row-level security like every dealer-owned table (a dealer's
staff see the rows about their dealer, OEM staff those of the dealers in their scope), and append-only for
the application role: no UPDATE or DELETE privilege, and a trigger that refuses both even to the owner."""

import django.db.models.deletion
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql

TABLE = "dealers_oemread"
OWN_DEALER = f"crm_scope_all() OR dealer_id = {SCOPE_DEALERS}"


def revoke_sql() -> str:
    return f'REVOKE UPDATE, DELETE, TRUNCATE ON {TABLE} FROM "{settings.CRM_APP_DB_ROLE}";'


def grant_back_sql() -> str:
    return f'GRANT UPDATE, DELETE ON {TABLE} TO "{settings.CRM_APP_DB_ROLE}";'


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('core', '0001_privileges_and_scope'),
        ('network', '0002_brand_models_and_dealer_aliases'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='OemRead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('read_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='read at')),
                ('kind', models.CharField(choices=[('page', 'Viewed a page'), ('export', 'Exported')], max_length=10, verbose_name='kind')),
                ('what', models.CharField(choices=[('dealer_page', "The dealer's figures page"), ('dealer_export', "The dealer's figures (download)"), ('ranking_export', "The region's ranking and heat table (download)")], max_length=40, verbose_name='what')),
                ('path', models.CharField(blank=True, max_length=500, verbose_name='address')),
                ('first_day', models.DateField(blank=True, null=True, verbose_name='from')),
                ('last_day', models.DateField(blank=True, null=True, verbose_name='to')),
                ('dealer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='oem_reads', to='network.dealer', verbose_name='dealer')),
                ('reader', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='read by')),
            ],
            options={
                'verbose_name': 'OEM read',
                'verbose_name_plural': 'OEM read log',
                'ordering': ['-read_at', '-id'],
                'indexes': [models.Index(fields=['dealer', '-read_at'], name='oem_read_dealer_time')],
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='oemread',
            trigger=pgtrigger.compiler.Trigger(name='oem_read_append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='3c8bd818872b2ee39cc1e38fc701274e808a59af', operation='UPDATE OR DELETE', pgid='pgtrigger_oem_read_append_only_9f7bf', table='dealers_oemread', when='BEFORE')),
        ),
        migrations.RunSQL(policy_sql(TABLE, OWN_DEALER), policy_reverse_sql(TABLE)),
        migrations.RunSQL(revoke_sql(), grant_back_sql()),
    ]
