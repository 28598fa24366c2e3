"""The dealers' pages as rows for CSV/XLSX (written by crm.core.spreadsheets): the ranking with its heat
table, and one dealer's figures with their monthly trend. Values are numbers (rounded to 2 decimals), the
judgement is in words, so the file reads without the page's colours."""

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dealers.selectors.pages import DealerFigures, Ranking
from dealers.templatetags.dealer_figures import change_text, status_text


def _number(value):
    return None if value is None else round(float(value), 2)


def _label(figure) -> str:
    return f"{figure.label} ({figure.unit})"


def ranking_table(ranking: Ranking) -> tuple[list[str], list[list]]:
    primary = ranking.primary
    headers = [
        _("Region"),
        _("Position (worst first)"),
        _("Dealer code"),
        _("Dealer"),
        _("Previous period: %(figure)s") % {"figure": primary.label},
        _("Change"),
    ]
    for figure in ranking.figures:
        headers += [_label(figure), _("%(figure)s: judged") % {"figure": figure.label}]
    rows = []
    for block in ranking.blocks:
        for position, row in enumerate(block.rows, start=1):
            line = [
                block.region.name,
                position,
                row.dealer.code,
                row.dealer.name,
                _number(row.previous.value),
                change_text(row.change, primary.unit),
            ]
            for cell in row.cells:
                line += [_number(cell.value.value), status_text(cell.status, cell.reference_kind)]
            rows.append(line)
        reference_line = [block.region.name, None, "", _("Target, else the region's median"), None, ""]
        for figure in ranking.figures:
            reference, kind = block.references[figure.code]
            reference_line += [_number(reference), _("target") if kind == "target" else _("median")]
        rows.append(reference_line)
    return headers, rows


def dealer_table(figures: DealerFigures) -> tuple[list[str], list[list]]:
    period = figures.compared.current
    headers = [
        _("Figure"),
        _("Unit"),
        _("Value (%(first)s – %(last)s)") % {"first": period.first_day.isoformat(), "last": period.last_day.isoformat()},
        _("Previous period"),
        _("Change"),
        _("Target or region median"),
        _("Judged"),
        *[date_format(month.first_day, "YEAR_MONTH_FORMAT") for month in figures.months],
        _("Definition"),
    ]
    trend = {row.figure.code: row for row in figures.trend_rows}
    rows = []
    for cell in figures.cells:
        figure = cell.figure
        change, _direction = figures.trends[figure.code]
        months = [_number(value.value) for value, _url in trend[figure.code].cells] if figure.code in trend else []
        rows.append(
            [
                str(figure.label),
                str(figure.unit),
                _number(cell.value.value),
                _number(figures.previous[figure.code].value),
                change_text(change, figure.unit),
                _number(cell.reference),
                status_text(cell.status, cell.reference_kind),
                *months,
                str(figure.definition),
            ]
        )
    return headers, rows
