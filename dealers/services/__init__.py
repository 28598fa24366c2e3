"""Every write of the dealers app."""

from dealers.services.read_log import oem_reads_record

__all__ = ["oem_reads_record"]
