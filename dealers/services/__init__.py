"""Every write of the dealers app: scorecard templates and monthly scorecards, audit checklists and audits,
findings and their evidence, mystery shops. The OEM writes only these rows; the dealer writes only its
answer to a finding."""
