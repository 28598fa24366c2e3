"""Loyalty's typed errors (stable codes; the API renders them, pages show their message)."""

from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError

# --- Satisfaction surveys -------------------------------------------------------------------------------


class SurveyAlreadyAnswered(ApplicationError):
    code = "survey_already_answered"
    status = 409
    default_message = _("This survey has already been answered. Thank you!")


class SurveyExpired(ApplicationError):
    code = "survey_expired"
    status = 410
    default_message = _("This survey link has expired.")


class SurveyAnswersInvalid(ApplicationError):
    """`extra["errors"]`: {question id: message} for the fields to show beside."""

    code = "survey_answers_invalid"
    status = 400
    default_message = _("Some answers need your attention.")


class QuestionnaireFrozen(ApplicationError):
    code = "questionnaire_frozen"
    status = 409
    default_message = _("A published version cannot change. Start a new draft from it.")


class QuestionnaireInvalid(ApplicationError):
    code = "questionnaire_invalid"
    status = 400
    default_message = _("The questionnaire could not be saved.")
