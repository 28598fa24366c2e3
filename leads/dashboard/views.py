"""The funnel dashboard: the page, its figures as CSV/XLSX, and the leads behind them as CSV/XLSX.

Everything renders inside the request's transaction (the row-level security scope ends with it), so the
exports are built in memory and returned whole, never streamed. The three views only read: with a streaming
replica they read from it (crm/core/replica.py), page and template alike.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.core.exceptions import NotFound
from crm.core.http import SPREADSHEET_TYPES, refuse_spreadsheet_format, spreadsheet_response
from crm.core.replica import reads_from_replica
from leads.dashboard import selectors
from leads.dashboard.exports import LEAD_ROW_HEADERS, figures_table
from leads.dashboard.forms import PERIODS, FunnelFilterForm
from leads.models import LeadType


def _viewer(request) -> selectors.Viewer:
    try:
        return selectors.funnel_viewer(user=request.user)
    except NotFound as error:
        raise Http404 from error


def _form(request) -> FunnelFilterForm:
    return FunnelFilterForm(request.GET, user=request.user)


def _dashboard_query(form: FunnelFilterForm, filters: selectors.FunnelFilters) -> dict[str, str]:
    """The dashboard's own query (period preset kept) for links that drill down within the dashboard."""
    query = {
        key: value
        for key, value in filters.params().items()
        if key in {"dealer", "owner", "source", "model", "type"}
    }
    query["period"] = form.cleaned_data["period"]
    if query["period"] == "custom":
        query.update(arrived_from=filters.date_from.isoformat(), arrived_to=filters.date_to.isoformat())
    return query


def _filter_labels(form: FunnelFilterForm, figures: selectors.FunnelFigures) -> list[tuple[str, str]]:
    filters = figures.filters
    labels = [
        (_("From"), filters.date_from.isoformat()),
        (_("To"), filters.date_to.isoformat()),
        (_("Time zone"), timezone.get_current_timezone_name()),
    ]
    if form.cleaned_data.get("dealer"):
        labels.append((_("Dealer"), str(form.cleaned_data["dealer"])))
    owner_names = {
        str(row.key if row.key is not None else selectors.UNASSIGNED): row.label for row in figures.by_owner
    }
    if filters.owner:
        labels.append((_("Salesperson"), owner_names.get(str(filters.owner), str(filters.owner))))
    source_names = {
        str(row.key if row.key is not None else selectors.UNASSIGNED): row.label for row in figures.by_source
    }
    if filters.source:
        labels.append((_("Source"), source_names.get(str(filters.source), str(filters.source))))
    if filters.model:
        labels.append((_("Model"), filters.model))
    if filters.type:
        labels.append((_("Lead type"), str(LeadType(filters.type).label)))
    return labels


def _chart_data(figures: selectors.FunnelFigures) -> dict:
    funnel_rows = [row for row in figures.stages if row.reached is not None]
    return {
        "funnel": {
            "labels": [row.label for row in figures.stages],
            "values": [row.current.value for row in figures.stages],
            "urls": [row.current.url for row in figures.stages],
        },
        "conversion": {
            "labels": [row.label for row in funnel_rows],
            "values": [row.reached.value for row in funnel_rows],
            "shares": [round(100 * (row.share_of_cohort or 0), 1) for row in funnel_rows],
            "urls": [row.reached.url for row in funnel_rows],
        },
        "first_response": {
            "labels": [label for _key, label, _figure in figures.first_response],
            "values": [figure.value for _key, _label, figure in figures.first_response],
            "urls": [figure.url for _key, _label, figure in figures.first_response],
        },
        "lost_reasons": {
            "labels": [label for _reason, label, _lost, _frozen in figures.lost_reasons],
            "values": [lost.value for _reason, _label, lost, _frozen in figures.lost_reasons],
            "urls": [lost.url for _reason, _label, lost, _frozen in figures.lost_reasons],
        },
        "trend": {
            # Each bucket's first day as the reader's language writes it: "4 November" / "11月4日".
            "labels": [date_format(row.key, "MONTH_DAY_FORMAT") for row in figures.trend],
            "leads": [row.leads.value for row in figures.trend],
            "ordered": [row.ordered.value for row in figures.trend],
            "breached": [row.breached.value for row in figures.trend],
            "urls": [row.leads.url for row in figures.trend],
            "series": [_("Leads"), _("Ordered"), _("SLA breached")],
        },
        "labels": {"leads": _("Leads"), "share": _("of leads")},
    }


@login_required
@require_GET
@reads_from_replica
def funnel(request):
    viewer = _viewer(request)
    form = _form(request)
    context = {"form": form, "viewer": viewer, "periods": PERIODS, "lead_types": LeadType.choices}
    if not form.is_valid():
        # Say what was wrong, and show the default period's figures rather than an empty page.
        context["refused_form"] = form
        form = FunnelFilterForm({}, user=request.user)
    if form.is_valid():
        figures = selectors.funnel_figures(user=request.user, filters=form.filters())
        query = _dashboard_query(form, figures.filters)
        base = reverse("leads_dashboard:funnel")
        for row in [*figures.by_dealer, *figures.by_owner]:
            row.drill_url = f"{base}?{urlencode({**query, **row.drill})}" if row.drill else None
        dealer_ids = (
            [figures.filters.dealer_id]
            if figures.filters.dealer_id
            else [d.id for d in form.fields["dealer"].queryset][:2]
        )
        export_query = urlencode(figures.filters.params())
        context.update(
            figures=figures,
            chart_data=_chart_data(figures),
            query=query,
            export_query=export_query,
            export_limit=selectors.EXPORT_ROW_LIMIT,
            selected_period=form.cleaned_data["period"],
            # The salesperson pick-list is offered once the view is down to one dealer.
            owner_choices=(
                list(selectors.funnel_owner_choices(user=request.user, dealer_ids=dealer_ids))
                if len(dealer_ids) == 1 and not viewer.own_figures_only
                else []
            ),
            source_choices=list(selectors.funnel_source_choices(user=request.user)),
            dealer_choices=list(form.fields["dealer"].queryset) if viewer.sees_dealers else [],
            model_choices=[row.label for row in figures.by_model],
        )
    return render(request, "leads/dashboard/funnel.html", context)


def _spreadsheet(request, headers, rows, *, name: str) -> HttpResponse:
    file_format = request.GET.get("format", "csv")
    if file_format not in SPREADSHEET_TYPES:
        return refuse_spreadsheet_format()
    return spreadsheet_response(file_format, headers, rows, name=name)


@login_required
@require_GET
@reads_from_replica
def export(request):
    """The dashboard's figures for the same filters, as CSV or XLSX."""
    _viewer(request)
    form = _form(request)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The filters are not valid."))
    figures = selectors.funnel_figures(user=request.user, filters=form.filters())
    headers, rows = figures_table(figures, filter_labels=_filter_labels(form, figures))
    return _spreadsheet(request, headers, rows, name="funnel")


@login_required
@require_GET
@reads_from_replica
def export_leads(request):
    """The leads behind the figures (the lead list's filters), at most EXPORT_ROW_LIMIT rows."""
    _viewer(request)
    form = _form(request)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The filters are not valid."))
    rows = selectors.funnel_lead_rows(user=request.user, filters=form.filters())
    limit = selectors.EXPORT_ROW_LIMIT
    truncated = len(rows) > limit
    rows = rows[:limit]
    if truncated:
        note = _("Only the first %(limit)s leads are exported; narrow the filters for the rest.") % {
            "limit": f"{limit:,}"
        }
        rows.append((note,))
    response = _spreadsheet(request, LEAD_ROW_HEADERS, rows, name="leads")
    response["X-Export-Truncated"] = "true" if truncated else "false"
    return response
