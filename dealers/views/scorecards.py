"""Scorecards: the month's list (the OEM reviews drafts and publishes; a dealer sees its published ones), one
scorecard with its lines, vetoes and, for a restatement, the differences; a dealer's history; exports; and
the OEM admin's templates."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import ApplicationError
from crm.core.http import SPREADSHEET_TYPES, refuse_spreadsheet_format, spreadsheet_response
from crm.network.access import dealers_visible
from dealers import permissions
from dealers.exceptions import Frozen
from dealers.forms import TemplateForm
from dealers.models import OemRead
from dealers.selectors import scorecards as selectors
from dealers.services import scorecards as services
from dealers.views.common import allowed_or_404, month_param
from dealers.views.read_log import records_oem_read, shown


@login_required
@require_GET
@allowed_or_404(permissions.can_see_scorecards)
def scorecard_list(request):
    month = month_param(request.GET.get("month", ""))
    status = request.GET.get("status", "")
    status = status if status in {"draft", "published"} else ""
    scorecards = selectors.scorecards_list(user=request.user, month=month, status=status)[:500]
    return render(
        request,
        "dealers/scorecards/list.html",
        {
            "scorecards": scorecards,
            "months": selectors.scorecard_months(user=request.user),
            "month": month,
            "status": status,
            "oversees": permissions.oversees_dealers(request.access),
            "can_edit_templates": permissions.can_edit_scorecard_templates(request.access),
        },
    )


@login_required
@require_GET
@allowed_or_404(permissions.can_see_scorecards)
@records_oem_read(OemRead.Subject.SCORECARD)
def scorecard_detail(request, scorecard_id: int):
    scorecard = selectors.scorecard_get(user=request.user, scorecard_id=scorecard_id)
    shown(request, scorecard.dealer_id)
    versions = selectors.scorecards_list(user=request.user, month=scorecard.month, dealer_id=scorecard.dealer_id)
    return render(
        request,
        "dealers/scorecards/detail.html",
        {
            "scorecard": scorecard,
            "lines": selectors.scorecard_lines(scorecard=scorecard),
            "differences": selectors.scorecard_differences(scorecard=scorecard),
            "versions": versions,
            "can_publish": not scorecard.is_published
            and permissions.can_publish_scorecard(request.access, scorecard),
        },
    )


@login_required
@require_POST
@allowed_or_404(permissions.oversees_dealers)
def scorecard_publish(request, scorecard_id: int):
    scorecard = selectors.scorecard_get(user=request.user, scorecard_id=scorecard_id)
    try:
        services.scorecard_publish(scorecard=scorecard, by=request.user)
    except Frozen as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Published: the dealer sees it, and it is frozen."))
    return redirect("dealers:scorecard_detail", scorecard_id=scorecard.id)


@login_required
@require_GET
@allowed_or_404(permissions.can_see_scorecards)
@records_oem_read(OemRead.Subject.SCORECARD_HISTORY)
def scorecard_history(request, dealer_id: int):
    dealer = dealers_visible(request.user).filter(id=dealer_id).first()
    scorecards = list(selectors.scorecards_list(user=request.user, dealer_id=dealer_id)[:120]) if dealer else []
    if not scorecards:
        raise Http404
    shown(request, dealer.id)
    return render(request, "dealers/scorecards/history.html", {"dealer": dealer, "scorecards": scorecards})


@login_required
@require_GET
@allowed_or_404(permissions.can_see_scorecards)
@records_oem_read(OemRead.Subject.SCORECARD_EXPORT, kind=OemRead.Kind.EXPORT)
def scorecard_export(request):
    """The scorecards of the list's filters, one row per key figure, as CSV or XLSX."""
    file_format = request.GET.get("as", "csv")
    if file_format not in SPREADSHEET_TYPES:
        return refuse_spreadsheet_format()
    month = month_param(request.GET.get("month", ""))
    scorecards = selectors.scorecards_list(user=request.user, month=month).prefetch_related("lines")[:2000]
    headers = [
        _("Month"), _("Dealer code"), _("Dealer"), _("Version"), _("Status"), _("Points"), _("Tier"),
        _("Veto gates"), _("Rebate (%)"), _("Key figure"), _("Weight"), _("Value"), _("Target"), _("Floor"),
        _("Figure points"),
    ]
    rows = []
    for scorecard in scorecards:
        for line in scorecard.lines.all():
            rows.append(
                (
                    scorecard.month.strftime("%Y-%m"), scorecard.dealer.code, scorecard.dealer.name,
                    scorecard.version, scorecard.get_status_display(), scorecard.total_points, scorecard.tier,
                    "; ".join(veto["title"] for veto in scorecard.vetoes), scorecard.rebate_rate,
                    line.figure_code, line.weight, line.value, line.target, line.floor, line.points,
                )
            )
    shown(request, {scorecard.dealer_id for scorecard in scorecards})
    return spreadsheet_response(file_format, headers, rows, name="scorecards")


# --- Templates (OEM admins) ---------------------------------------------------------------------------------


@login_required
@require_GET
@allowed_or_404(permissions.can_edit_scorecard_templates)
def template_list(request):
    return render(request, "dealers/scorecards/templates.html", {"templates": selectors.templates_list()})


@login_required
@require_http_methods(["GET", "POST"])
@allowed_or_404(permissions.can_edit_scorecard_templates)
def template_edit(request, scorecard_template_id: int | None = None):
    """A draft's editor; on a published version (or `?from=`), the editor of the next version."""
    editing = base = None
    if scorecard_template_id is not None:
        editing = selectors.template_get(template_id=scorecard_template_id)
        if editing.is_published:
            return redirect(reverse("dealers:template_new") + f"?from={editing.id}")
    elif request.GET.get("from", "").isdigit():
        base = selectors.template_get(template_id=int(request.GET["from"]))
    form = TemplateForm(request.POST or None, template=editing or base)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.template_draft_save(
                by=request.user,
                name=form.cleaned_data["name"],
                kpis=form.cleaned_data["kpi_terms"],
                tiers=form.tier_terms(),
                template=editing,
            )
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            if "publish" in request.POST:
                services.template_publish(template=template, by=request.user)
                messages.success(request, _("Version %(version)s is published.") % {"version": template.version})
            else:
                messages.success(request, _("Draft saved."))
            return redirect("dealers:template_list")
    return render(request, "dealers/scorecards/template_edit.html", {"form": form, "editing": editing, "base": base})


@login_required
@require_POST
@allowed_or_404(permissions.can_edit_scorecard_templates)
def template_publish(request, scorecard_template_id: int):
    template = selectors.template_get(template_id=scorecard_template_id)
    try:
        services.template_publish(template=template, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Version %(version)s is published.") % {"version": template.version})
    return redirect("dealers:template_list")
