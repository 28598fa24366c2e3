"""Findings: the list (the OEM's region, the dealer's own), raising one, its page with the dealer's answer
form or the OEM's verification, and the evidence files, served only after an access check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import ApplicationError, NotFound, PermissionDenied
from crm.network.access import access_for
from dealers import permissions
from dealers.forms import FindingAnswerForm, FindingRaiseForm, FindingVerifyForm
from dealers.models import Finding, OemRead
from dealers.selectors import audits as selectors
from dealers.services import findings as services
from dealers.views.common import allowed_or_404
from dealers.views.read_log import records_oem_read, shown

STATUSES = {value for value, _label in Finding.Status.choices}


@login_required
@require_GET
@allowed_or_404(permissions.can_see_findings)
def finding_list(request):
    status = request.GET.get("status", "")
    status = status if status in STATUSES else ""
    findings = selectors.findings_list(user=request.user, status=status)[:500]
    return render(
        request,
        "dealers/findings/list.html",
        {
            "findings": findings,
            "status": status,
            "statuses": Finding.Status.choices,
            "can_raise": permissions.oversees_dealers(request.access),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@allowed_or_404(permissions.oversees_dealers)
def finding_new(request):
    # Figure screens link here with the figure and the dealer behind the number: ?figure=<code>&dealer=<id>.
    initial = {"figure_code": request.GET.get("figure", ""), "dealer": request.GET.get("dealer", "")}
    form = FindingRaiseForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            finding = services.finding_raise(
                dealer=data["dealer"],
                by=request.user,
                title=data["title"],
                description=data["description"],
                severity=data["severity"],
                due_on=data["due_on"],
                owner=data["owner"],
                is_data_falsification=data["is_data_falsification"],
                figure_code=data["figure_code"],
            )
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(request, _("Finding raised; the dealer sees it now."))
            return redirect("dealers:finding_detail", finding_id=finding.id)
    return render(request, "dealers/findings/new.html", {"form": form})


@login_required
@require_GET
@allowed_or_404(permissions.can_see_findings)
@records_oem_read(OemRead.Subject.FINDING)
def finding_detail(request, finding_id: int):
    finding = selectors.finding_get(user=request.user, finding_id=finding_id)
    shown(request, finding.dealer_id)
    return _detail(request, finding)


def _detail(request, finding, *, answer_form=None, verify_form=None, status=200):
    access = request.access
    can_answer = permissions.can_answer_finding(access, finding)
    can_verify = permissions.can_verify_finding(access, finding)
    return render(
        request,
        "dealers/findings/detail.html",
        {
            "finding": finding,
            "steps": selectors.finding_steps(finding=finding),
            "answer_form": answer_form or (FindingAnswerForm() if can_answer else None),
            "verify_form": verify_form or (FindingVerifyForm() if can_verify else None),
            "oversees": permissions.oversees_dealers(access),
        },
        status=status,
    )


@login_required
@require_POST
@allowed_or_404(permissions.can_see_findings)
def finding_answer(request, finding_id: int):
    finding = selectors.finding_get(user=request.user, finding_id=finding_id)
    if not permissions.can_answer_finding(request.access, finding):
        raise Http404
    form = FindingAnswerForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.finding_answer(
                finding=finding,
                by=request.user,
                corrective_action=form.cleaned_data["corrective_action"],
                files=form.cleaned_data["files"],
            )
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(request, _("Your answer is with the OEM for verification."))
            return redirect("dealers:finding_detail", finding_id=finding.id)
    return _detail(request, finding, answer_form=form, status=400)


@login_required
@require_POST
@allowed_or_404(permissions.oversees_dealers)
def finding_verify(request, finding_id: int):
    finding = selectors.finding_get(user=request.user, finding_id=finding_id)
    if not permissions.can_verify_finding(request.access, finding):
        raise Http404
    form = FindingVerifyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "close":
                services.finding_close(finding=finding, by=request.user, note=data["note"])
            else:
                services.finding_reopen(finding=finding, by=request.user, note=data["note"], due_on=data["due_on"])
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(request, _("Closed.") if data["decision"] == "close" else _("Reopened."))
            return redirect("dealers:finding_detail", finding_id=finding.id)
    return _detail(request, finding, verify_form=form, status=400)


@login_required
@require_GET
@records_oem_read(OemRead.Subject.EVIDENCE, kind=OemRead.Kind.EXPORT)
def evidence_download(request, evidence_id: int):
    """An evidence file, to those who may see what it is attached to; to anyone else it does not exist."""
    try:
        evidence = selectors.evidence_get(user=request.user, evidence_id=evidence_id)
    except NotFound as error:
        raise Http404 from error
    if not access_for(request.user).is_authenticated:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    shown(request, evidence.dealer_id)
    response = FileResponse(handle, as_attachment=True, filename=evidence.name, content_type=evidence.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
