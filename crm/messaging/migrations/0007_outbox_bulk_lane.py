"""The outbox's two lanes: rows sent in bulk (campaigns, care programmes, recall notices) are claimed only when
no one-off message of their channel is due. Messages already waiting keep their kind's lane."""

from django.conf import settings
from django.db import migrations, models


BACKFILL_SQL = """
SELECT set_config('crm.network_wide', 'on', true);
UPDATE messaging_outboxmessage SET is_bulk = true
 WHERE status IN ('queued', 'sending')
   AND (campaign_id IS NOT NULL OR kind LIKE 'care.%' OR kind = 'recall');
"""


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_birthday_plausible'),
        ('messaging', '0006_phone_call'),
        ('network', '0002_brand_models_and_dealer_aliases'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='outboxmessage',
            name='outbox_due',
        ),
        migrations.AddField(
            model_name='outboxmessage',
            name='is_bulk',
            field=models.BooleanField(default=False, verbose_name='bulk'),
        ),
        migrations.RunSQL(BACKFILL_SQL, migrations.RunSQL.noop, elidable=True),
        migrations.AddIndex(
            model_name='outboxmessage',
            index=models.Index(condition=models.Q(('status', 'queued')), fields=['channel', 'is_bulk', 'scheduled_at', 'id'], name='outbox_due_by_lane'),
        ),
    ]
