"""The dealers app's own rows: scorecard templates and monthly scorecards, audit checklists and field audits,
findings and their evidence, mystery shops. Everything else it shows, it reads from the apps below.

What `dealers` keeps of its own: the per-dealer, per-day facts its figures read (more to come: scorecards,
audits, findings).
"""

from dealers.models.audits import Audit, AuditChecklist, AuditChecklistItem, AuditResult
from dealers.models.collisions import CollisionDecision
from dealers.models.facts import DailyFact, FactDay
from dealers.models.findings import Evidence, Finding, FindingStep
from dealers.models.mystery import MysteryShop
from dealers.models.read_log import OemRead
from dealers.models.scorecards import Scorecard, ScorecardKpi, ScorecardLine, ScorecardTemplate, Tier

__all__ = [
    "Audit",
    "AuditChecklist",
    "AuditChecklistItem",
    "AuditResult",
    "CollisionDecision",
    "DailyFact",
    "Evidence",
    "FactDay",
    "Finding",
    "FindingStep",
    "MysteryShop",
    "OemRead",
    "Scorecard",
    "ScorecardKpi",
    "ScorecardLine",
    "ScorecardTemplate",
    "Tier",
]
