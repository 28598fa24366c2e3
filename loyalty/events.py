"""The timeline kinds the owner club writes on a customer's timeline.

- loyalty.member_joined: member (id), number, via (delivery | dealer)
- loyalty.tier_changed: member, from, to (tier codes, empty for none)

The timeline kinds loyalty writes (its subscribers to other apps' kinds are in registrations.py).
"""

from django.utils.translation import gettext_lazy as _

from crm.timeline.registry import kind_register

MEMBER_JOINED = "loyalty.member_joined"
TIER_CHANGED = "loyalty.tier_changed"

kind_register(MEMBER_JOINED, label=_("Joined the owner club"), summary=_("Club member %(number)s"), icon="award")
kind_register(TIER_CHANGED, label=_("Club tier"), summary=_("Club tier: %(to_name)s"), icon="award-fill")


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
