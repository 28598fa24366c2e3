"""The dealers' pages."""

from dealers.views.dealer import dealer, dealer_export
from dealers.views.network import network, network_export
from dealers.views.own import oem_reads, own, own_export

__all__ = ["dealer", "dealer_export", "network", "network_export", "oem_reads", "own", "own_export"]
