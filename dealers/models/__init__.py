"""What `dealers` keeps of its own: the per-dealer, per-day facts its figures read (more to come: scorecards,
audits, findings)."""

from dealers.models.facts import DailyFact, FactDay

__all__ = ["DailyFact", "FactDay"]
