"""A dealer's own view, for its sales managers and admins: its figures, its rank in the region with the other
dealers' names hidden, what to fix first; and, for its admins, who at the OEM read its data and when. The
figures and their export only read: from the streaming replica when there is one (crm/core/replica.py)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from crm.core.exceptions import NotFound
from crm.core.http import refuse_spreadsheet_format, spreadsheet_response
from crm.core.replica import reads_from_replica
from crm.network.models import DEALER_MANAGER_ROLES, Role
from crm.network.selectors import acting_dealer_for_request
from dealers import permissions
from dealers.exports import dealer_table
from dealers.forms import PeriodForm, bound
from dealers.selectors import pages
from dealers.selectors.periods import PERIOD_CHOICES
from dealers.selectors.read_log import READ_LOG_PAGE_SIZE, oem_reads_for_dealer
from dealers.views.common import export_format
from dealers.views.dealer import chart_data


def _acting_dealer(request, roles):
    try:
        return acting_dealer_for_request(request, roles=roles)
    except NotFound as error:
        raise Http404 from error


@login_required
@require_GET
@reads_from_replica
def own(request):
    if not permissions.can_see_own_figures(request.access):
        raise Http404
    dealer = _acting_dealer(request, DEALER_MANAGER_ROLES)
    form, refused = bound(PeriodForm, request)
    figures = pages.dealer_figures(dealer=dealer, compared=form.compared(), region_wide=True)
    primary_rank = figures.ranks.get(figures.primary.code) if figures.primary else None
    context = {
        "dealer": dealer,
        "form": form,
        "refused_form": refused,
        "figures": figures,
        "primary_rank": primary_rank,
        "periods": PERIOD_CHOICES,
        "selected_period": form.cleaned_data["period"],
        "query": urlencode(form.query()),
        "chart_data": chart_data(figures),
        "can_see_reads": request.access.has_role(Role.DEALER_ADMIN, dealer_id=dealer.id),
        # A manager of several dealers who named one keeps it when changing the period.
        "keep_dealer": dealer.id if request.GET.get("dealer") else None,
    }
    return render(request, "dealers/own.html", context)


@login_required
@require_GET
@reads_from_replica
def own_export(request):
    """The dealer's own figures as on its page (judged against target or the region's median; no other
    dealer's name or value), as CSV or XLSX."""
    if not permissions.can_see_own_figures(request.access):
        raise Http404
    file_format = export_format(request)
    if file_format is None:
        return refuse_spreadsheet_format()
    dealer = _acting_dealer(request, DEALER_MANAGER_ROLES)
    form, _refused = bound(PeriodForm, request)
    figures = pages.dealer_figures(dealer=dealer, compared=form.compared(), region_wide=True)
    headers, rows = dealer_table(figures)
    return spreadsheet_response(file_format, headers, rows, name=f"figures-{dealer.code}")


@login_required
@require_GET
def oem_reads(request):
    if not permissions.can_see_oem_reads(request.access):
        raise Http404
    dealer = _acting_dealer(request, {Role.DEALER_ADMIN})
    try:
        reads = oem_reads_for_dealer(user=request.user, dealer=dealer)
    except NotFound as error:
        raise Http404 from error
    page = Paginator(reads, READ_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dealers/oem_reads.html", {"dealer": dealer, "page": page})
