"""The loyalty app's data: the owner club and its tiers (club), the points ledger (ledger); satisfaction
surveys live in modules of their own."""

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

__all__ = [
    "EarnCampaign",
    "EntryKind",
    "Member",
    "PendingPoints",
    "PointsAllocation",
    "PointsEntry",
    "PointsLot",
    "Programme",
    "Redemption",
    "Tier",
    "TierDiscount",
]
