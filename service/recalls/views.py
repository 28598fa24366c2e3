"""Recall pages: the campaigns, one campaign (its VIN list uploads row by row, its rule, owner notices, reach
and completion per dealer and region with a download, its vehicles), and the OEM admin's new campaign form.
Views only check who may open them, validate a form, call one selector and/or one service, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import NotFound
from crm.core.http import service_call
from service.recalls import permissions, selectors, services
from service.recalls.exports import recall_report_file
from service.recalls.forms import DeclineForm, RecallForm, UploadForm

MAX_UPLOAD_BYTES = 20_000_000


def _campaign(request, recall_id: int):
    try:
        return selectors.recall_get(user=request.user, recall_id=recall_id)
    except NotFound as error:
        raise Http404 from error


def _runner(request) -> None:
    if not permissions.can_run_recalls(request.access):
        raise Http404


@login_required
@require_GET
def recalls(request):
    if not permissions.can_read_recalls(request.access):
        raise Http404
    return render(
        request,
        "service/recalls/list.html",
        {
            "campaigns": selectors.recalls_for_user(user=request.user),
            "can_run": permissions.can_run_recalls(request.access),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def recall_new(request):
    _runner(request)
    form = RecallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign, error = service_call(
            services.recall_create, form=form, by=request.user, **form.cleaned_data
        )
        if not error:
            messages.success(request, _("Recall %(code)s created.") % {"code": campaign.code})
            return redirect("service_recalls:detail", recall_id=campaign.id)
    return render(request, "service/recalls/new.html", {"form": form})


@login_required
@require_GET
def recall_detail(request, recall_id: int):
    campaign = _campaign(request, recall_id)
    by = request.GET.get("by", "dealer")
    by = by if by in selectors.REPORT_GROUPS else "dealer"
    status = request.GET.get("status", "")
    report = selectors.recall_report(user=request.user, campaign=campaign, by=by)
    return render(
        request,
        "service/recalls/detail.html",
        {
            "campaign": campaign,
            "by": by,
            "status": status,
            "report": report,
            "totals": selectors.recall_totals(report),
            "vehicles": list(
                selectors.recall_vehicles(user=request.user, campaign=campaign, status=status)[:200]
            ),
            "uploads": list(selectors.recall_uploads(user=request.user, campaign=campaign)[:10]),
            "unmatched": list(selectors.recall_unmatched(user=request.user, campaign=campaign)[:200]),
            "can_run": permissions.can_run_recalls(request.access),
            "sees_unmatched": permissions.sees_unmatched_vins(request.access),
            "can_decline": permissions.can_record_decline(request.access),
            "upload_form": UploadForm(),
            "statuses": [("", _("All"))] + [(key, label) for key, label in selectors.Status.choices],
        },
    )


@login_required
@require_POST
def recall_upload(request, recall_id: int):
    _runner(request)
    campaign = _campaign(request, recall_id)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV or XLSX file."))
        return redirect("service_recalls:detail", recall_id=campaign.id)
    upload_file = form.cleaned_data["file"]
    if upload_file.size > MAX_UPLOAD_BYTES:
        messages.error(request, _("The file is larger than 20 MB: split it."))
        return redirect("service_recalls:detail", recall_id=campaign.id)
    upload, error = service_call(
        services.recall_vins_upload,
        campaign=campaign,
        by=request.user,
        data=upload_file.read(),
        filename=upload_file.name,
    )
    if error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _(
                "%(rows)s rows: %(added)s vehicles added, %(already)s already listed, %(unmatched)s VINs not in the "
                "system, %(duplicates)s duplicates, %(blanks)s blank, %(rejected)s rejected."
            )
            % {
                key: getattr(upload, key)
                for key in ("rows", "added", "already", "unmatched", "duplicates", "blanks", "rejected")
            },
        )
    return redirect("service_recalls:detail", recall_id=campaign.id)


@login_required
@require_POST
def recall_rule(request, recall_id: int):
    _runner(request)
    campaign = _campaign(request, recall_id)
    added, error = service_call(services.recall_rule_apply, campaign=campaign, by=request.user)
    if error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The rule added %(count)s vehicles.") % {"count": added})
    return redirect("service_recalls:detail", recall_id=campaign.id)


@login_required
@require_POST
def recall_notify(request, recall_id: int):
    _runner(request)
    campaign = _campaign(request, recall_id)
    counts, error = service_call(services.recall_notify, campaign=campaign, by=request.user)
    if error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("%(queued)s owners notified; %(no_contact)s without a phone number; %(opted_out)s opted out.")
            % counts,
        )
    return redirect("service_recalls:detail", recall_id=campaign.id)


@login_required
@require_GET
def recall_export(request, recall_id: int):
    campaign = _campaign(request, recall_id)
    by = request.GET.get("by", "dealer")
    by = by if by in selectors.REPORT_GROUPS else "dealer"
    file_format = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    report = selectors.recall_report(user=request.user, campaign=campaign, by=by)
    content, content_type, name = recall_report_file(
        campaign=campaign,
        report=report,
        totals=selectors.recall_totals(report),
        by=by,
        file_format=file_format,
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def recall_vehicle_decline(request, recall_vehicle_id: int):
    try:
        row = selectors.recall_vehicle_get(user=request.user, recall_vehicle_id=recall_vehicle_id)
    except NotFound as error:
        raise Http404 from error
    form = DeclineForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    _result, error = service_call(services.recall_decline, recall_vehicle=row, by=request.user, note=note)
    if error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The customer's decline is recorded."))
    return redirect("service_recalls:detail", recall_id=row.campaign_id)
