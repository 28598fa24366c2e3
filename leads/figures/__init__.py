"""The funnel's key figures: what `leads` registers with the core's KPI registry (crm.core.key_figures).

- `selectors`: the named *selections* of leads every measure counts (the leads that arrived on a dealer's local
  day and answer a question: responded within 30 business minutes, first contact only claimed…), the measures
  computed from them, and the same selections applied to a user's lead list, so the number a figure shows and
  the leads its drill-down lists are one query.
- `registrations`: the measures and figures themselves (codes, labels, units, definitions), registered from
  leads.registrations.
- `forms`: the lead list's drill-down parameters (`rows`, `dealer`, `day_from`, `day_to`).
"""
