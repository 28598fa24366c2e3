"""Every read of the dealers app: figures per dealer, region and network; scorecards; audits and findings."""

from dealers.selectors.figures import Period, figure_values

__all__ = ["Period", "figure_values"]
