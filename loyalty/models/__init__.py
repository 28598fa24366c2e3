"""The loyalty app's data: the owner club and its tiers (club), the points ledger (ledger); satisfaction
surveys live in modules of their own.

Loyalty's data, one module per feature area (the club and points, satisfaction surveys).
"""

from loyalty.models.club import EarnCampaign, Member, Programme, Tier
from loyalty.models.ledger import (
    EntryKind,
    PendingPoints,
    PointsAllocation,
    PointsEntry,
    PointsLot,
    Redemption,
    TierDiscount,
)
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
    "EarnCampaign",
    "EntryKind",
    "Member",
    "PendingPoints",
    "PointsAllocation",
    "PointsEntry",
    "PointsLot",
    "Programme",
    "Questionnaire",
    "QuestionnaireVersion",
    "Redemption",
    "SurveyAnswer",
    "SurveyInvitation",
    "SurveyKind",
    "SurveyQuestion",
    "SurveyResponse",
    "Tier",
    "TierDiscount",
]
