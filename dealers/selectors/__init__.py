"""Every read of the dealers app: figures per dealer, region and network; the pages built on them; the OEM
read log."""

from dealers.selectors.figures import Period, figure_values

__all__ = ["Period", "figure_values"]
