"""The funnel's pages. Views only authenticate, validate a form, call one selector and/or one service, and
render; the reads they share live in leads/selectors/pages.py."""

from leads.views.approvals import approvals, reassign_all, verdict_decide
from leads.views.lead_page import (
    accept,
    answers_record,
    assign,
    grade_set,
    lead_detail,
    lead_list,
    lost_propose,
    order_deliver,
    order_place,
    quote_add,
    reject,
    stage_move,
    test_drive_book,
)
from leads.views.my_day import claim, contact_log, my_day, team
from leads.views.reach import call_start, call_status, sms_send
from leads.views.visits import visit_lookup, visit_new

__all__ = [
    "accept",
    "answers_record",
    "approvals",
    "assign",
    "call_start",
    "call_status",
    "claim",
    "contact_log",
    "grade_set",
    "lead_detail",
    "lead_list",
    "lost_propose",
    "my_day",
    "order_deliver",
    "order_place",
    "quote_add",
    "reassign_all",
    "reject",
    "sms_send",
    "stage_move",
    "team",
    "test_drive_book",
    "verdict_decide",
    "visit_lookup",
    "visit_new",
]
