"""The OEM's regional landing: the region's dealers ranked worst first on the chosen figure, with the trend
against the previous period and a heat table of every scorable figure (an OEM admin chooses the region, or
sees every region grouped); and its export. Both read from the streaming replica when there is one
(crm/core/replica.py); the export's read-log row is written to the primary after the reading."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from crm.core.exceptions import NotFound
from crm.core.http import refuse_spreadsheet_format, spreadsheet_response
from crm.core.replica import reading_replica, reads_from_replica
from dealers import permissions
from dealers.exports import ranking_table
from dealers.forms import RankingForm, bound
from dealers.models import OemRead
from dealers.selectors import pages
from dealers.selectors.periods import PERIOD_CHOICES
from dealers.services import oem_reads_record
from dealers.views.common import export_format


def _ranking(request):
    if not permissions.oversees_dealers(request.access):
        raise Http404
    regions = pages.oversight_regions(user=request.user)
    form, refused = bound(RankingForm, request, regions=regions)
    try:
        ranking = pages.ranking(
            user=request.user,
            compared=form.compared(),
            region_id=form.cleaned_data.get("region"),
            figure_code=form.cleaned_data.get("figure") or None,
        )
    except NotFound as error:
        raise Http404 from error
    return form, refused, ranking


@login_required
@require_GET
@reads_from_replica
def network(request):
    form, refused, ranking = _ranking(request)
    query = form.query()
    period_query = {k: v for k, v in query.items() if k in ("period", "first_day", "last_day")}
    context = {
        "form": form,
        "refused_form": refused,
        "ranking": ranking,
        "periods": PERIOD_CHOICES,
        "selected_period": form.cleaned_data["period"],
        "query": urlencode(query),
        "period_query": urlencode(period_query),
        "sees_every_region": permissions.sees_every_region(request.access),
    }
    return render(request, "dealers/network.html", context)


@login_required
@require_GET
def network_export(request):
    file_format = export_format(request)
    if file_format is None:
        return refuse_spreadsheet_format()
    with reading_replica(user=request.user):
        _form, _refused, ranking = _ranking(request)
        if ranking.primary is None:
            raise Http404
        headers, rows = ranking_table(ranking)
    oem_reads_record(
        reader=request.user,
        dealer_ids=[row.dealer.id for block in ranking.blocks for row in block.rows],
        kind=OemRead.Kind.EXPORT,
        what=OemRead.Subject.RANKING_EXPORT,
        path=request.get_full_path(),
        period=ranking.compared.current,
    )
    return spreadsheet_response(file_format, headers, rows, name="dealer-ranking")
