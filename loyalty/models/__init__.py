"""Loyalty's data, one module per feature area (the club and points, satisfaction surveys)."""

from loyalty.models.surveys import (
    Questionnaire,
    QuestionnaireVersion,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    SurveyQuestion,
    SurveyResponse,
)

__all__ = [
    "Questionnaire",
    "QuestionnaireVersion",
    "SurveyAnswer",
    "SurveyInvitation",
    "SurveyKind",
    "SurveyQuestion",
    "SurveyResponse",
]
