"""The funnel dashboard's two per-lead costs, kept as moves are written instead of recomputed per request:
Lead.furthest_stage (the furthest funnel stage reached, from the stage changes and the current stage) and
the lead's time in stage (Lead.left_stages, Lead.left_stage_hours: each stage it moved on from, in the order
of its stage changes by time then id, and the hours until the next change). All three are backfilled from
the stage changes here in one pass over the leads, while the lead history trigger is down (derived columns
are not history), and before the check that a lead's stage is never beyond its furthest."""

import django.contrib.postgres.fields
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models

# The funnel in order, as in leads.models.FUNNEL_STAGES when this migration was written.
FUNNEL = "ARRAY['new', 'contacted', 'visited', 'test_drive', 'negotiation', 'ordered', 'delivered']::text[]"

BACKFILL_SQL = f"""
SELECT set_config('crm.network_wide', 'on', true);
UPDATE leads_lead AS l
SET furthest_stage = f.stage, left_stages = f.stages, left_stage_hours = f.hours
FROM (
    SELECT lead.id,
           ({FUNNEL})[GREATEST(
               coalesce(max(array_position({FUNNEL}, c.to_stage::text)), 1),
               coalesce(array_position({FUNNEL}, lead.stage::text), 1)
           )] AS stage,
           coalesce(array_agg(c.to_stage ORDER BY c.at, c.id) FILTER (WHERE c.next_at IS NOT NULL), '{{}}')
               AS stages,
           coalesce(
               array_agg((EXTRACT(EPOCH FROM (c.next_at - c.at)) / 3600.0)::float8 ORDER BY c.at, c.id)
                   FILTER (WHERE c.next_at IS NOT NULL),
               '{{}}'
           ) AS hours
    FROM leads_lead AS lead
    LEFT JOIN (
        SELECT id, lead_id, to_stage, at, lead(at) OVER (PARTITION BY lead_id ORDER BY at, id) AS next_at
        FROM leads_stagechange
    ) AS c ON c.lead_id = lead.id
    GROUP BY lead.id
) AS f
WHERE f.id = l.id
  AND (l.furthest_stage, l.left_stages, l.left_stage_hours) IS DISTINCT FROM (f.stage, f.stages, f.hours);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0005_duplicate_reason_codes'),
        ('leads', '0004_lead_cohort_index'),
        ('network', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='lead',
            name='update_update',
        ),
        migrations.AddField(
            model_name='lead',
            name='furthest_stage',
            field=models.CharField(choices=[('new', 'New'), ('contacted', 'Contacted'), ('visited', 'Visited'), ('test_drive', 'Test drive'), ('negotiation', 'Negotiation'), ('ordered', 'Ordered'), ('delivered', 'Delivered')], default='new', editable=False, max_length=20, verbose_name='furthest stage reached'),
        ),
        migrations.AddField(
            model_name='lead',
            name='left_stage_hours',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.FloatField(), blank=True, default=list, editable=False),
        ),
        migrations.AddField(
            model_name='lead',
            name='left_stages',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('new', 'New'), ('contacted', 'Contacted'), ('visited', 'Visited'), ('test_drive', 'Test drive'), ('negotiation', 'Negotiation'), ('ordered', 'Ordered'), ('delivered', 'Delivered'), ('lost', 'Lost'), ('frozen', 'Frozen')], max_length=20), blank=True, default=list, editable=False),
        ),
        migrations.RunSQL(BACKFILL_SQL, migrations.RunSQL.noop, elidable=True),
        pgtrigger.migrations.AddTrigger(
            model_name='lead',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."acceptance" IS DISTINCT FROM (NEW."acceptance") OR OLD."answers" IS DISTINCT FROM (NEW."answers") OR OLD."arrived_at" IS DISTINCT FROM (NEW."arrived_at") OR OLD."assigned_at" IS DISTINCT FROM (NEW."assigned_at") OR OLD."campaign_id" IS DISTINCT FROM (NEW."campaign_id") OR OLD."closed_at" IS DISTINCT FROM (NEW."closed_at") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."customer_id" IS DISTINCT FROM (NEW."customer_id") OR OLD."dealer_id" IS DISTINCT FROM (NEW."dealer_id") OR OLD."external_id" IS DISTINCT FROM (NEW."external_id") OR OLD."first_contact_at" IS DISTINCT FROM (NEW."first_contact_at") OR OLD."first_response_minutes" IS DISTINCT FROM (NEW."first_response_minutes") OR OLD."grade" IS DISTINCT FROM (NEW."grade") OR OLD."grade_is_override" IS DISTINCT FROM (NEW."grade_is_override") OR OLD."grade_reason" IS DISTINCT FROM (NEW."grade_reason") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."is_first_contact_verified" IS DISTINCT FROM (NEW."is_first_contact_verified") OR OLD."is_sla_breached" IS DISTINCT FROM (NEW."is_sla_breached") OR OLD."models_of_interest" IS DISTINCT FROM (NEW."models_of_interest") OR OLD."next_follow_up_at" IS DISTINCT FROM (NEW."next_follow_up_at") OR OLD."owner_id" IS DISTINCT FROM (NEW."owner_id") OR OLD."questionnaire_id" IS DISTINCT FROM (NEW."questionnaire_id") OR OLD."rejection_reason" IS DISTINCT FROM (NEW."rejection_reason") OR OLD."sla_due_at" IS DISTINCT FROM (NEW."sla_due_at") OR OLD."source_id" IS DISTINCT FROM (NEW."source_id") OR OLD."stage" IS DISTINCT FROM (NEW."stage") OR OLD."type" IS DISTINCT FROM (NEW."type") OR OLD."unreachable_attempts" IS DISTINCT FROM (NEW."unreachable_attempts") OR OLD."updated_at" IS DISTINCT FROM (NEW."updated_at") OR OLD."version" IS DISTINCT FROM (NEW."version"))', func='INSERT INTO "leads_leadevent" ("acceptance", "answers", "arrived_at", "assigned_at", "campaign_id", "closed_at", "created_at", "customer_id", "dealer_id", "external_id", "first_contact_at", "first_response_minutes", "grade", "grade_is_override", "grade_reason", "id", "is_first_contact_verified", "is_sla_breached", "models_of_interest", "next_follow_up_at", "owner_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "questionnaire_id", "rejection_reason", "sla_due_at", "source_id", "stage", "type", "unreachable_attempts", "updated_at", "version") VALUES (NEW."acceptance", NEW."answers", NEW."arrived_at", NEW."assigned_at", NEW."campaign_id", NEW."closed_at", NEW."created_at", NEW."customer_id", NEW."dealer_id", NEW."external_id", NEW."first_contact_at", NEW."first_response_minutes", NEW."grade", NEW."grade_is_override", NEW."grade_reason", NEW."id", NEW."is_first_contact_verified", NEW."is_sla_breached", NEW."models_of_interest", NEW."next_follow_up_at", NEW."owner_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."questionnaire_id", NEW."rejection_reason", NEW."sla_due_at", NEW."source_id", NEW."stage", NEW."type", NEW."unreachable_attempts", NEW."updated_at", NEW."version"); RETURN NULL;', hash='dc0350f938c0301f7f32f5c48b92d70951212278', operation='UPDATE', pgid='pgtrigger_update_update_17f2d', table='leads_lead', when='AFTER')),
        ),
        migrations.AddConstraint(
            model_name='lead',
            constraint=models.CheckConstraint(condition=models.Q(('stage__in', ('lost', 'frozen')), models.Q(('furthest_stage__in', ('new', 'contacted', 'visited', 'test_drive', 'negotiation', 'ordered', 'delivered')), ('stage', 'new')), models.Q(('furthest_stage__in', ('contacted', 'visited', 'test_drive', 'negotiation', 'ordered', 'delivered')), ('stage', 'contacted')), models.Q(('furthest_stage__in', ('visited', 'test_drive', 'negotiation', 'ordered', 'delivered')), ('stage', 'visited')), models.Q(('furthest_stage__in', ('test_drive', 'negotiation', 'ordered', 'delivered')), ('stage', 'test_drive')), models.Q(('furthest_stage__in', ('negotiation', 'ordered', 'delivered')), ('stage', 'negotiation')), models.Q(('furthest_stage__in', ('ordered', 'delivered')), ('stage', 'ordered')), models.Q(('furthest_stage__in', ('delivered',)), ('stage', 'delivered')), _connector='OR'), name='lead_furthest_stage_not_behind_stage'),
        ),
    ]
