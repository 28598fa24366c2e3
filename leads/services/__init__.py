"""Every write the funnel offers. Each function is one transaction; each move is a timeline event."""

from leads.services.assignment import (
    dealer_for_issue,
    lead_accept,
    lead_assign,
    lead_assign_round_robin,
    lead_claim,
    lead_issue,
    lead_reject,
    leads_reassign_all,
    round_robin_pick,
)
from leads.services.capture import Capture, lead_capture
from leads.services.common import cadence_days, cadence_set
from leads.services.contact import VisitResult, contact_log, visit_log
from leads.services.funnel import (
    MANUAL_MOVES,
    lead_move,
    lost_decide,
    lost_propose,
    order_deliver,
    order_place,
    order_quote,
    test_drive_book,
    test_drive_outcome,
)
from leads.services.grading import grade_from_answers, lead_answers_record, lead_grade

__all__ = [
    "MANUAL_MOVES",
    "Capture",
    "VisitResult",
    "cadence_days",
    "cadence_set",
    "contact_log",
    "dealer_for_issue",
    "grade_from_answers",
    "lead_accept",
    "lead_answers_record",
    "lead_assign",
    "lead_assign_round_robin",
    "lead_capture",
    "lead_claim",
    "lead_grade",
    "lead_issue",
    "lead_move",
    "lead_reject",
    "leads_reassign_all",
    "lost_decide",
    "lost_propose",
    "order_deliver",
    "order_place",
    "order_quote",
    "round_robin_pick",
    "test_drive_book",
    "test_drive_outcome",
    "visit_log",
]
