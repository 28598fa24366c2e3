"""Surveys: row-level security on the dealer's invitations, responses and answers (a dealer sees its own,
OEM regional staff their regions' dealers', network roles and explicitly scoped jobs everything); and the
trigger that freezes a published questionnaire version and its questions (an invitation keeps the exact
questions it was sent with). Questionnaires are the OEM's, the same for every dealer: no policy."""

from django.db import migrations

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql

ALL = "crm_scope_all()"
OWN_DEALER = f"{ALL} OR dealer_id = {SCOPE_DEALERS}"

POLICIES = {
    "loyalty_surveyinvitation": OWN_DEALER,
    "loyalty_surveyresponse": OWN_DEALER,
    "loyalty_surveyanswer": OWN_DEALER,
}

FROZEN = """
CREATE OR REPLACE FUNCTION loyalty_survey_version_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'loyalty_questionnaireversion' THEN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION 'questionnaire version % is published and cannot change', OLD.id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN COALESCE(NEW, OLD);
    END IF;
    IF EXISTS (
        SELECT 1 FROM loyalty_questionnaireversion AS version
        WHERE version.status = 'published'
          AND version.id IN (
              CASE WHEN TG_OP <> 'INSERT' THEN OLD.version_id END,
              CASE WHEN TG_OP <> 'DELETE' THEN NEW.version_id END
          )
    ) THEN
        RAISE EXCEPTION 'the questions of a published questionnaire version cannot change'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$;
CREATE TRIGGER survey_version_frozen BEFORE UPDATE OR DELETE ON loyalty_questionnaireversion
    FOR EACH ROW EXECUTE FUNCTION loyalty_survey_version_frozen();
CREATE TRIGGER survey_question_frozen BEFORE INSERT OR UPDATE OR DELETE ON loyalty_surveyquestion
    FOR EACH ROW EXECUTE FUNCTION loyalty_survey_version_frozen();
"""

UNFROZEN = """
DROP TRIGGER IF EXISTS survey_question_frozen ON loyalty_surveyquestion;
DROP TRIGGER IF EXISTS survey_version_frozen ON loyalty_questionnaireversion;
DROP FUNCTION IF EXISTS loyalty_survey_version_frozen();
"""


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0010_surveys"), ("core", "0001_privileges_and_scope")]

    operations = [
        *(
            migrations.RunSQL(policy_sql(table, expression), policy_reverse_sql(table))
            for table, expression in POLICIES.items()
        ),
        migrations.RunSQL(FROZEN, UNFROZEN),
    ]
