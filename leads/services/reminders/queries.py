"""The scans' SQL: (row, recipient, key) pairs whose notification key does not exist yet, oldest first.

Each scan walks the dealers one by one (a LATERAL subquery per dealer) down an index already there, in
due-time order, and stops after a batch of rows that still have someone to tell: follow-ups through
follow_up_dealer_due (dealer, due_at) where not done, leads through lead_sla_open (dealer, sla_due_at)
where not contacted. "Someone still to tell" is a probe of the notification key's unique index. So a batch
costs the rows it sends plus the ones it steps over, never a sort of everything due: at a dealer where
hundreds of follow-ups fall due at 10:00, the work stays proportional to the batch.
Placeholders: {table} names are filled in by common.pairs_due(), %(name)s are query parameters.
"""

# The dealer's sales managers; its dealer admins where it has no active sales manager.
MANAGERS = """managers AS (
  SELECT ra.dealer_id, ra.user_id FROM {role} ra JOIN {user} u ON u.id = ra.user_id AND u.is_active
   WHERE ra.is_active AND ra.dealer_id = ANY(%(dealers)s::bigint[]) AND (ra.role = 'sales_manager' OR (
         ra.role = 'dealer_admin' AND NOT EXISTS (
           SELECT 1 FROM {role} m JOIN {user} mu ON mu.id = m.user_id AND mu.is_active
            WHERE m.dealer_id = ra.dealer_id AND m.role = 'sales_manager' AND m.is_active))))"""
# The OEM regional managers over each dealer's region.
REGIONAL = """regional AS (
  SELECT d.id AS dealer_id, ra.user_id FROM {dealer} d
    JOIN {role} ra ON ra.region_id = d.region_id AND ra.role = 'regional_manager' AND ra.is_active
    JOIN {user} u ON u.id = ra.user_id AND u.is_active
   WHERE d.id = ANY(%(dealers)s::bigint[]))"""


# A pair's key probed in its unique index, one chosen row at a time.
_NOT_TOLD = """WHERE NOT EXISTS (SELECT 1 FROM {notification} n WHERE n.key = r.key OFFSET 0)"""


def _unsent(prefix: str, row: str, owner: str, recipients: str = "managers") -> str:
    """Whether the row still has someone to tell: its owner ("<prefix>:<id>"), or when it has none,
    one of the dealer's `recipients` ("<prefix>:<id>:<user>"). The owner's key is probed first: once
    told, a row costs one index probe and no join."""
    return f"""NOT EXISTS (SELECT 1 FROM {{notification}} n WHERE n.key = '{prefix}:' || {row}.id)
     AND ({owner} IS NOT NULL OR EXISTS (SELECT 1 FROM {recipients} m WHERE m.dealer_id = {row}.dealer_id
          AND NOT EXISTS (SELECT 1 FROM {{notification}} n
                           WHERE n.key = '{prefix}:' || {row}.id || ':' || m.user_id)))"""


def _owner_or_managers(prefix: str) -> str:
    """The pairs of a chosen row (`c`): its owner under "<prefix>:<id>", or each manager under
    "<prefix>:<id>:<user>", less those already told; oldest first."""
    return f"""CROSS JOIN LATERAL (
  SELECT c.owner_id AS user_id, '{prefix}:' || c.id AS key WHERE c.owner_id IS NOT NULL
  UNION ALL
  SELECT m.user_id, '{prefix}:' || c.id || ':' || m.user_id FROM managers m
   WHERE c.owner_id IS NULL AND m.dealer_id = c.dealer_id) r
 {_NOT_TOLD}
 ORDER BY c.due, c.id, r.user_id LIMIT %(limit)s"""


_ACTIVE_OWNER = "CASE WHEN u.is_active THEN u.id END"

FOLLOW_UPS_DUE_SQL = f"""WITH {MANAGERS}
SELECT c.id, r.user_id, r.key FROM unnest(%(dealers)s::bigint[]) AS d(id)
 CROSS JOIN LATERAL (
  SELECT f.id, f.dealer_id, f.due_at AS due, {_ACTIVE_OWNER} AS owner_id
    FROM {{follow_up}} f JOIN {{lead}} l ON l.id = f.lead_id
    LEFT JOIN {{user}} u ON u.id = COALESCE(f.assigned_to_id, l.owner_id)
   WHERE f.dealer_id = d.id AND f.done_at IS NULL AND f.due_at > %(now)s AND f.due_at <= %(until)s
     AND f.reason <> 'first_response'
     AND (l.stage = ANY(%(open)s::text[]) OR (l.stage = 'delivered' AND f.reason = ANY(%(callbacks)s::text[])))
     AND {_unsent("followup-due", "f", _ACTIVE_OWNER)}
   ORDER BY f.due_at LIMIT %(limit)s) c
 {_owner_or_managers("followup-due")}"""

# The key of the due-soon reminder a follow-up had (or would have had): a first-response follow-up is
# reminded through its lead's deadline ("sla-due:<lead>"), any other by itself ("followup-due:<id>").
_DUE_KEY = (
    "CASE WHEN f.reason = 'first_response' THEN 'sla-due:' || f.lead_id ELSE 'followup-due:' || f.id END"
)
# Nobody got the follow-up's due-soon reminder: neither its owner nor any of the dealer's managers.
_NEVER_TOLD_DUE = f"""NOT EXISTS (SELECT 1 FROM {{notification}} n WHERE n.key = {_DUE_KEY})
     AND NOT EXISTS (SELECT 1 FROM managers m JOIN {{notification}} n ON n.key = {_DUE_KEY} || ':' || m.user_id
                      WHERE m.dealer_id = f.dealer_id)"""

# Follow-ups already overdue when a scan first sees them (the scan did not run in their due-soon window:
# the system was down, or the follow-up was created overdue), within the look-back, one "overdue" reminder
# each. An unowned lead's missed first response is the breach escalation's, not this scan's.
FOLLOW_UPS_OVERDUE_SQL = f"""WITH {MANAGERS}
SELECT c.id, r.user_id, r.key FROM unnest(%(dealers)s::bigint[]) AS d(id)
 CROSS JOIN LATERAL (
  SELECT f.id, f.dealer_id, f.due_at AS due, {_ACTIVE_OWNER} AS owner_id
    FROM {{follow_up}} f JOIN {{lead}} l ON l.id = f.lead_id
    LEFT JOIN {{user}} u ON u.id = COALESCE(f.assigned_to_id, l.owner_id)
   WHERE f.dealer_id = d.id AND f.done_at IS NULL AND f.due_at < %(now)s AND f.due_at > %(earliest)s
     AND (l.stage = ANY(%(open)s::text[]) OR (l.stage = 'delivered' AND f.reason = ANY(%(callbacks)s::text[])))
     AND NOT (f.reason = 'first_response' AND {_ACTIVE_OWNER} IS NULL)
     AND {_unsent("followup-overdue", "f", _ACTIVE_OWNER)}
     AND {_NEVER_TOLD_DUE}
   ORDER BY f.due_at LIMIT %(limit)s) c
 {_owner_or_managers("followup-overdue")}"""

SLA_DUE_SQL = f"""WITH {MANAGERS}
SELECT c.id, r.user_id, r.key FROM unnest(%(dealers)s::bigint[]) AS d(id)
 CROSS JOIN LATERAL (
  SELECT l.id, l.dealer_id, l.sla_due_at AS due, {_ACTIVE_OWNER} AS owner_id
    FROM {{lead}} l LEFT JOIN {{user}} u ON u.id = l.owner_id
   WHERE l.dealer_id = d.id AND l.first_contact_at IS NULL AND l.sla_due_at > %(now)s
     AND l.sla_due_at <= %(until)s AND l.stage = ANY(%(open)s::text[])
     AND {_unsent("sla-due", "l", _ACTIVE_OWNER)}
   ORDER BY l.sla_due_at LIMIT %(limit)s) c
 {_owner_or_managers("sla-due")}"""


def _escalation_pairs(prefix: str, recipients: str) -> str:
    """Each chosen lead (`c`) with each of its dealer's `recipients`, less those already told."""
    return f"""JOIN {recipients} m ON m.dealer_id = c.dealer_id
 CROSS JOIN LATERAL (SELECT m.user_id, '{prefix}:' || c.id || ':' || m.user_id AS key) r
 {_NOT_TOLD}
 ORDER BY c.due, c.id, r.user_id LIMIT %(limit)s"""


SLA_BREACHES_SQL = f"""WITH {MANAGERS}
SELECT c.id, r.user_id, r.key FROM unnest(%(dealers)s::bigint[]) AS d(id)
 CROSS JOIN LATERAL (
  SELECT l.id, l.dealer_id, l.sla_due_at AS due FROM {{lead}} l
   WHERE l.dealer_id = d.id AND l.first_contact_at IS NULL AND l.sla_due_at < %(now)s
     AND l.sla_due_at > %(earliest)s AND l.stage = ANY(%(open)s::text[])
     AND {_unsent("sla-breach", "l", "NULL")}
   ORDER BY l.sla_due_at LIMIT %(limit)s) c
 {_escalation_pairs("sla-breach", "managers")}"""

_REGIONAL_WAITING = f"""l.first_contact_at IS NULL AND l.sla_due_at > %(earliest)s
     AND l.stage = ANY(%(open)s::text[]) AND {_unsent("sla-regional", "l", "NULL", recipients="regional")}"""

# Dealers with a lead whose deadline is far enough back on the wall clock (business minutes never outrun
# it) and a regional manager not yet told: only these need their business-minute cutoff computed.
REGIONAL_DEALERS_SQL = f"""WITH {REGIONAL}
SELECT d.id FROM unnest(%(dealers)s::bigint[]) AS d(id)
 WHERE EXISTS (SELECT 1 FROM {{lead}} l
                WHERE l.dealer_id = d.id AND l.sla_due_at <= %(latest)s AND {_REGIONAL_WAITING})"""

REGIONAL_SQL = f"""WITH {REGIONAL}
SELECT c.id, r.user_id, r.key FROM unnest(%(cutoff_dealers)s::bigint[], %(cutoffs)s::timestamptz[]) AS d(id, cutoff)
 CROSS JOIN LATERAL (
  SELECT l.id, l.dealer_id, l.sla_due_at AS due FROM {{lead}} l
   WHERE l.dealer_id = d.id AND l.sla_due_at <= d.cutoff AND {_REGIONAL_WAITING}
   ORDER BY l.sla_due_at LIMIT %(limit)s) c
 {_escalation_pairs("sla-regional", "regional")}"""

DIGEST_SQL = """SELECT DISTINCT ON (ra.user_id) ra.user_id, d.dealer_id, d.local_date
  FROM unnest(%(digest_dealers)s::bigint[], %(local_dates)s::text[]) AS d(dealer_id, local_date)
  JOIN {role} ra ON ra.dealer_id = d.dealer_id AND ra.role = 'salesperson' AND ra.is_active
  JOIN {user} u ON u.id = ra.user_id AND u.is_active
 WHERE NOT EXISTS (SELECT 1 FROM {notification} n WHERE n.key = 'digest:' || ra.user_id || ':' || d.local_date)
 ORDER BY ra.user_id, d.dealer_id LIMIT %(limit)s"""
