"""Reminders and escalation for staff, found by scanning due rows once a minute (never by ETA tasks).

Each scan asks PostgreSQL for (row, recipient) pairs whose notification key does not exist yet, a batch
at a time, and writes each through `staff_notify`, which creates the bell notification and its email once
per key. So every reminder is sent once however often beat and the workers restart: a rerun, a second beat
or two workers at the same minute only meet key conflicts.

- Morning digest (`digest:<user>:<local date>`): each salesperson, once the dealer's business day opens
  (within LEAD_DIGEST_WINDOW_MINUTES of the opening, in the dealer's time zone; none on a closed day).
- Due soon (`followup-due:<id>`, `sla-due:<lead>`): LEAD_FOLLOW_UP_REMINDER_MINUTES before a follow-up and
  LEAD_SLA_REMINDER_MINUTES before a first-response deadline (wall-clock minutes), to the assignee or
  owner; an unowned one goes to the dealer's sales managers (dealer admins where it has none), keyed
  `…:<user>`. First-response follow-ups are covered by the SLA reminder and not reminded twice.
- Overdue (`followup-overdue:<id>`): the catch-up. A follow-up already overdue when a scan first sees it
  (no scan ran in its due-soon window: an outage, or it was created late), fallen due within the last
  OVERDUE_LOOKBACK, gets one "overdue" reminder, to the same people; one that had its due-soon reminder
  gets none. What is overdue now is also on the bell and the notifications page (overdue.py), reminder
  or not.
- Breach (`sla-breach:<lead>:<user>`): a first-response deadline passed without a contact attempt (what
  sla_watch marks) reaches the dealer's sales managers, for breaches of the last BREACH_LOOKBACK.
- Regional (`sla-regional:<lead>:<user>`): still no contact LEAD_SLA_REGIONAL_ESCALATION_MINUTES business
  minutes (the SLA's own clock: a closed night does not count) after the deadline: the OEM regional
  managers of the dealer's region.
Closed leads (a delivered lead's call-backs excepted) and done follow-ups are never reminded.
"""

import time
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from leads.services.reminders.common import DealerClock, dealer_clocks, logger
from leads.services.reminders.digest import digest_opening, digests_send
from leads.services.reminders.due import (
    business_cutoff,
    follow_ups_overdue_remind,
    follow_ups_remind,
    sla_breaches_escalate,
    sla_due_remind,
    sla_regional_escalate,
)

RUN_BUDGET_SECONDS = 40
RUN_LOCK = "leads:staff-reminders:running"

SCANS = (
    ("breaches", sla_breaches_escalate),
    ("regional", sla_regional_escalate),
    ("sla_due", sla_due_remind),
    ("follow_ups", follow_ups_remind),
    ("overdue", follow_ups_overdue_remind),
    ("digests", digests_send),
)


def staff_reminders_run(
    *, now: datetime | None = None, batch: int | None = None, budget_seconds: float = RUN_BUDGET_SECONDS
) -> dict[str, int]:
    """Run every scan, batch after batch, until each is done or the time budget is spent (the next
    minute's run carries on). Returns the pairs handled per scan. Safe to run twice at once."""
    now = now or timezone.now()
    batch = batch or settings.LEAD_REMINDER_BATCH
    started = time.monotonic()
    dealers = dealer_clocks()
    report = {name: 0 for name, _scan in SCANS}
    for name, scan in SCANS:
        while time.monotonic() - started < budget_seconds:
            handled = scan(dealers=dealers, now=now, limit=batch)
            report[name] += handled
            if handled < batch:
                break
    return report


def staff_reminders_run_once(**options) -> dict[str, int] | None:
    """Run unless another run is under way (a Redis flag, for economy only: correctness rests on the
    keys). Returns None when skipped."""
    flag = f"{RUN_LOCK}:{connection.settings_dict['NAME']}"  # one flag per database
    try:
        if not cache.add(flag, 1, timeout=RUN_BUDGET_SECONDS + 30):
            return None
    except Exception:  # Redis down: run anyway, the keys keep it right
        logger.warning("staff reminders: run flag unavailable")
    try:
        return staff_reminders_run(**options)
    finally:
        try:
            cache.delete(flag)
        except Exception:
            logger.warning("staff reminders: run flag not cleared")


__all__ = [
    "SCANS",
    "DealerClock",
    "business_cutoff",
    "dealer_clocks",
    "digest_opening",
    "digests_send",
    "follow_ups_overdue_remind",
    "follow_ups_remind",
    "sla_breaches_escalate",
    "sla_due_remind",
    "sla_regional_escalate",
    "staff_reminders_run",
    "staff_reminders_run_once",
]
