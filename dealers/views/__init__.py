"""The dealers' pages.

Pages of the dealers app's judging side: scorecards and their templates, audits and checklists, findings
and evidence, mystery shops.
"""

from dealers.views.dealer import dealer, dealer_export
from dealers.views.network import network, network_export
from dealers.views.own import oem_reads, own, own_export

__all__ = ["dealer", "dealer_export", "network", "network_export", "oem_reads", "own", "own_export"]
