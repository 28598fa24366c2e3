"""Pages of the dealers app's judging side: scorecards and their templates, audits and checklists, findings
and evidence, mystery shops."""
