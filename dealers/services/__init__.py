"""Every write of the dealers app.

Every write of the dealers app: scorecard templates and monthly scorecards, audit checklists and audits,
findings and their evidence, mystery shops. The OEM writes only these rows; the dealer writes only its
answer to a finding.
"""

from dealers.services.read_log import oem_reads_record

__all__ = ["oem_reads_record"]


