"""Key figures for dealers and periods, from the measures the apps registered (crm.core.key_figures).

`figure_values` is the one way every page, export, API and scorecard of this app reads a figure. It combines
the measures' totals per dealer; the totals come from the apps' raw rows here, and the daily facts this app
keeps are a faster source of the very same totals (a test holds them equal).
"""

from dataclasses import dataclass
from datetime import date

from crm.core import key_figures


@dataclass(frozen=True)
class Period:
    """Local days of the dealers, first and last included."""

    first_day: date
    last_day: date


def figure_values(*, codes, dealer_ids, period: Period) -> dict[str, dict[int, key_figures.FigureValue]]:
    """{figure code: {dealer id: value}} for these dealers over the period."""
    wanted = [key_figures.figure_get(code) for code in codes]
    measure_codes = sorted({code for figure in wanted for code in figure.measures})
    totals = {
        dealer_id: key_figures.totals_from_raw(
            codes=measure_codes, dealer_ids=[dealer_id], first_day=period.first_day, last_day=period.last_day
        )
        for dealer_id in dealer_ids
    }
    return {
        figure.code: {dealer_id: figure.combine(totals[dealer_id]) for dealer_id in dealer_ids}
        for figure in wanted
    }
