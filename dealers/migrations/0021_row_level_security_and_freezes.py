"""Row-level security on every dealer-owned table of scorecards, audits, findings and mystery shops: a dealer
sees its own rows, OEM regional staff their regions' dealers', the OEM admin and scoped jobs everything
(crm/core/scope.py). Templates and checklists belong to the OEM and are not secret.

Also what the database itself guarantees beyond the models' constraints:
- the lines of a published template, a published scorecard, a published checklist or a completed audit
  cannot be added, changed or removed (the parents themselves are protected by their own triggers);
- a template's weights sum to 100, checked when its transaction commits (a deferred constraint trigger, so
  a service may replace the key figures one by one inside the transaction).
"""

from django.db import migrations

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql

ALL = "crm_scope_all()"
OWN_DEALER = f"{ALL} OR dealer_id = {SCOPE_DEALERS}"

POLICIES = [
    "dealers_scorecard",
    "dealers_scorecardline",
    "dealers_audit",
    "dealers_auditresult",
    "dealers_finding",
    "dealers_findingstep",
    "dealers_evidence",
    "dealers_mysteryshop",
]

# (child table, its parent's table, the column pointing at it, the parent's frozen status)
FROZEN_CHILDREN = [
    ("dealers_scorecardkpi", "dealers_scorecardtemplate", "template_id", "published"),
    ("dealers_scorecardline", "dealers_scorecard", "scorecard_id", "published"),
    ("dealers_auditchecklistitem", "dealers_auditchecklist", "checklist_id", "published"),
    ("dealers_auditresult", "dealers_audit", "audit_id", "completed"),
]

CHILD_FUNCTION = """
CREATE OR REPLACE FUNCTION dealers_refuse_frozen_child() RETURNS trigger AS $$
DECLARE
    parent_table text := TG_ARGV[0];
    parent_column text := TG_ARGV[1];
    frozen_status text := TG_ARGV[2];
    parent_id bigint;
    parent_status text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        parent_id := (to_jsonb(OLD) ->> parent_column)::bigint;
    ELSE
        parent_id := (to_jsonb(NEW) ->> parent_column)::bigint;
    END IF;
    EXECUTE format('SELECT status FROM %I WHERE id = $1', parent_table) INTO parent_status USING parent_id;
    IF parent_status = frozen_status THEN
        RAISE EXCEPTION 'dealers: % of a % % is frozen', TG_TABLE_NAME, frozen_status, parent_table
            USING ERRCODE = 'P0001';
    END IF;
    IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) ->> parent_column) IS DISTINCT FROM (to_jsonb(NEW) ->> parent_column) THEN
        EXECUTE format('SELECT status FROM %I WHERE id = $1', parent_table)
            INTO parent_status USING (to_jsonb(OLD) ->> parent_column)::bigint;
        IF parent_status = frozen_status THEN
            RAISE EXCEPTION 'dealers: % of a % % is frozen', TG_TABLE_NAME, frozen_status, parent_table
                USING ERRCODE = 'P0001';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def child_trigger(child: str, parent: str, column: str, status: str) -> str:
    return f"""
    DROP TRIGGER IF EXISTS dealers_frozen_child ON {child};
    CREATE TRIGGER dealers_frozen_child BEFORE INSERT OR UPDATE OR DELETE ON {child}
        FOR EACH ROW EXECUTE FUNCTION dealers_refuse_frozen_child('{parent}', '{column}', '{status}');
    """


WEIGHTS_SQL = """
CREATE OR REPLACE FUNCTION dealers_scorecard_weights_check() RETURNS trigger AS $$
DECLARE
    checked_template bigint;
    total bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN checked_template := OLD.template_id; ELSE checked_template := NEW.template_id; END IF;
    IF NOT EXISTS (SELECT 1 FROM dealers_scorecardtemplate WHERE id = checked_template) THEN
        RETURN NULL;  -- the template itself went (a draft deleted with its key figures)
    END IF;
    SELECT COALESCE(SUM(weight), 0) INTO total FROM dealers_scorecardkpi WHERE template_id = checked_template;
    IF total <> 100 THEN
        RAISE EXCEPTION 'dealers: the weights of scorecard template % sum to %, not 100', checked_template, total
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS dealers_scorecard_weights ON dealers_scorecardkpi;
CREATE CONSTRAINT TRIGGER dealers_scorecard_weights AFTER INSERT OR UPDATE OR DELETE ON dealers_scorecardkpi
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dealers_scorecard_weights_check();
"""

WEIGHTS_REVERSE = """
DROP TRIGGER IF EXISTS dealers_scorecard_weights ON dealers_scorecardkpi;
DROP FUNCTION IF EXISTS dealers_scorecard_weights_check();
"""


class Migration(migrations.Migration):
    dependencies = [("dealers", "0020_scorecards_audits_findings"), ("core", "0001_privileges_and_scope")]

    operations = [
        *[migrations.RunSQL(policy_sql(table, OWN_DEALER), policy_reverse_sql(table)) for table in POLICIES],
        migrations.RunSQL(CHILD_FUNCTION, "DROP FUNCTION IF EXISTS dealers_refuse_frozen_child() CASCADE;"),
        *[
            migrations.RunSQL(
                child_trigger(*frozen), f"DROP TRIGGER IF EXISTS dealers_frozen_child ON {frozen[0]};"
            )
            for frozen in FROZEN_CHILDREN
        ],
        migrations.RunSQL(WEIGHTS_SQL, WEIGHTS_REVERSE),
    ]
