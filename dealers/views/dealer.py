"""One dealer as the OEM sees it: its figures for the period against target or its region's median, the
trend per month, its salespeople, a link to the rows behind every number; and its export. Every OEM read
of the page and of the export goes into the dealer's OEM read log. The figures are read from the streaming
replica when there is one (crm/core/replica.py); the read-log row is written to the primary."""


from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from crm.core.exceptions import NotFound
from crm.core.http import refuse_spreadsheet_format, spreadsheet_response
from crm.core.replica import reading_replica
from dealers.exports import dealer_table
from dealers.forms import PeriodForm, bound
from dealers.models import OemRead
from dealers.selectors import pages
from dealers.selectors.people import salesperson_figures
from dealers.selectors.periods import PERIOD_CHOICES
from dealers.services import oem_reads_record
from dealers.views.common import export_format


def chart_data(figures: pages.DealerFigures) -> dict:
    """Each figure's monthly series for the trend chart (the page picks one; the table shows them all)."""
    return {
        "labels": [date_format(month.first_day, "YEAR_MONTH_FORMAT") for month in figures.months],
        "series": [
            {
                "code": row.figure.code,
                "label": str(row.figure.label),
                "unit": str(row.figure.unit),
                "values": [None if value.value is None else round(float(value.value), 2) for value, _url in row.cells],
                "urls": [url for _value, url in row.cells],
            }
            for row in figures.trend_rows
        ],
        "primary": figures.primary.code if figures.primary else None,
    }


def funnel_url(dealer_id: int, period, owner_id: int | None = None) -> str | None:
    """The funnel dashboard's per-salesperson figures for this dealer and period, where the funnel is installed."""
    try:
        base = reverse("leads_dashboard:funnel")
    except NoReverseMatch:
        return None
    query = {
        "period": "custom",
        "arrived_from": period.first_day.isoformat(),
        "arrived_to": period.last_day.isoformat(),
        "dealer": dealer_id,
    }
    if owner_id is not None:
        query["owner"] = owner_id
    return f"{base}?{urlencode(query)}"


def _dealer_and_figures(request, dealer_id: int, *, with_trend: bool):
    try:
        dealer = pages.dealer_for_figures(user=request.user, dealer_id=dealer_id)
    except NotFound as error:
        raise Http404 from error
    form, refused = bound(PeriodForm, request)
    figures = pages.dealer_figures(dealer=dealer, compared=form.compared(), with_trend=with_trend)
    return dealer, form, refused, figures


@login_required
@require_GET
def dealer(request, dealer_id: int):
    with reading_replica(user=request.user):
        dealer, form, refused, figures = _dealer_and_figures(request, dealer_id, with_trend=True)
        period = figures.compared.current
        people = salesperson_figures(dealer=dealer, period=period)
    oem_reads_record(
        reader=request.user,
        dealer_ids=[dealer.id],
        kind=OemRead.Kind.PAGE,
        what=OemRead.Subject.DEALER_PAGE,
        path=request.get_full_path(),
        period=period,
    )
    salespeople = [(row, funnel_url(dealer.id, period, row.user_id) if row.user_id else None) for row in people.rows]
    context = {
        "dealer": dealer,
        "form": form,
        "refused_form": refused,
        "figures": figures,
        "periods": PERIOD_CHOICES,
        "selected_period": form.cleaned_data["period"],
        "query": urlencode(form.query()),
        "chart_data": chart_data(figures),
        "salespeople": salespeople,
        "person_figures": people.figures,
        "funnel_url": funnel_url(dealer.id, period),
        "back_query": urlencode({**form.query(), "region": dealer.region_id}),
    }
    return render(request, "dealers/dealer.html", context)


@login_required
@require_GET
def dealer_export(request, dealer_id: int):
    file_format = export_format(request)
    if file_format is None:
        return refuse_spreadsheet_format()
    with reading_replica(user=request.user):
        dealer, _form, _refused, figures = _dealer_and_figures(request, dealer_id, with_trend=True)
        headers, rows = dealer_table(figures)
    oem_reads_record(
        reader=request.user,
        dealer_ids=[dealer.id],
        kind=OemRead.Kind.EXPORT,
        what=OemRead.Subject.DEALER_EXPORT,
        path=request.get_full_path(),
        period=figures.compared.current,
    )
    return spreadsheet_response(file_format, headers, rows, name=f"dealer-{dealer.code}")
