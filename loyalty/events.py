"""The timeline kinds loyalty writes (its subscribers to other apps' kinds are in registrations.py)."""

from django.utils.translation import gettext_lazy as _

from crm.timeline.registry import kind_register

# --- Satisfaction surveys -------------------------------------------------------------------------------
# loyalty.survey_sent: invitation, survey (ssi/csi/nps), status, channel
# loyalty.survey_answered: invitation, response, survey, low_score (bool)
SURVEY_SENT = "loyalty.survey_sent"
SURVEY_ANSWERED = "loyalty.survey_answered"


def _survey(data: dict) -> dict:
    from loyalty.models import SurveyKind

    kind = data.get("survey", "")
    return {"survey": SurveyKind(kind).label if kind in SurveyKind.values else kind}


kind_register(
    SURVEY_SENT, label=_("Survey"), summary=_("Invited to the %(survey)s survey"), icon="envelope-paper", prepare=_survey
)
kind_register(
    SURVEY_ANSWERED,
    label=_("Survey answered"),
    summary=_("Answered the %(survey)s survey"),
    icon="emoji-smile",
    prepare=_survey,
)
