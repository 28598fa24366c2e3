"""Field audits (the OEM's; a dealer's managers read its completed ones) and the OEM admin's checklists."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import ApplicationError, NotFound, PermissionDenied
from dealers import permissions
from dealers.forms import AuditRecordForm, AuditStartForm, ChecklistForm
from dealers.models import OemRead
from dealers.selectors import audits as selectors
from dealers.services import audits as services
from dealers.views.common import allowed_or_404
from dealers.views.read_log import records_oem_read, shown


def can_see_audits(access) -> bool:
    return permissions.oversees_dealers(access) or permissions.reads_own_dealer(access)


@login_required
@require_GET
@allowed_or_404(can_see_audits)
def audit_list(request):
    audits = selectors.audits_for_user(user=request.user)[:300]
    start_form = (
        AuditStartForm(user=request.user, initial={"visited_on": timezone.localdate()})
        if permissions.oversees_dealers(request.access)
        else None
    )
    return render(request, "dealers/audits/list.html", {"audits": audits, "start_form": start_form})


@login_required
@require_POST
@allowed_or_404(permissions.oversees_dealers)
def audit_start(request):
    form = AuditStartForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            audit = services.audit_start(
                dealer=form.cleaned_data["dealer"], by=request.user, visited_on=form.cleaned_data["visited_on"]
            )
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            return redirect("dealers:audit_detail", audit_id=audit.id)
    audits = selectors.audits_for_user(user=request.user)[:300]
    return render(request, "dealers/audits/list.html", {"audits": audits, "start_form": form}, status=400)


@login_required
@require_GET
@allowed_or_404(can_see_audits)
@records_oem_read(OemRead.Subject.AUDIT)
def audit_detail(request, audit_id: int):
    audit = selectors.audit_get(user=request.user, audit_id=audit_id)
    shown(request, audit.dealer_id)
    return _detail(request, audit)


def _detail(request, audit, *, failed_form=None, status=200):
    can_record = permissions.can_record_audit(request.access, audit)
    results = selectors.audit_results(audit=audit)
    rows = []
    for result in results:
        if failed_form is not None and failed_form.data.get("item") == str(result.item_id):
            form = failed_form
        else:
            form = AuditRecordForm(
                initial={"item": result.item_id, "result": result.result, "note": result.note},
                prefix=f"item-{result.item_id}",
            ) if can_record else None
        rows.append({"result": result, "form": form})
    return render(
        request,
        "dealers/audits/detail.html",
        {"audit": audit, "rows": rows, "can_record": can_record},
        status=status,
    )


@login_required
@require_POST
@allowed_or_404(permissions.oversees_dealers)
def audit_record(request, audit_id: int):
    audit = selectors.audit_get(user=request.user, audit_id=audit_id)
    if not permissions.can_record_audit(request.access, audit):
        raise Http404
    item = request.POST.get("item", "")
    form = AuditRecordForm(request.POST, request.FILES, prefix=f"item-{item}" if item.isdigit() else None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.audit_record(
                audit=audit, by=request.user, item_id=data["item"], result=data["result"],
                note=data["note"], files=data["files"],
            )
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            return redirect(reverse("dealers:audit_detail", args=[audit.id]) + f"#item-{data['item']}")
    return _detail(request, audit, failed_form=form, status=400)


@login_required
@require_POST
@allowed_or_404(permissions.oversees_dealers)
def audit_complete(request, audit_id: int):
    audit = selectors.audit_get(user=request.user, audit_id=audit_id)
    try:
        services.audit_complete(audit=audit, by=request.user, note=request.POST.get("note", ""))
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as error:
        missing = error.extra.get("items", [])
        messages.error(request, " ".join([str(error.message), *[f"· {text}" for text in missing]]))
    else:
        messages.success(request, _("Audit completed; a finding was opened for each failed item."))
    return redirect("dealers:audit_detail", audit_id=audit.id)


# --- Checklists (OEM admins) --------------------------------------------------------------------------------


@login_required
@require_GET
@allowed_or_404(permissions.can_edit_checklists)
def checklist_list(request):
    return render(request, "dealers/audits/checklists.html", {"checklists": selectors.checklists_list()})


@login_required
@require_http_methods(["GET", "POST"])
@allowed_or_404(permissions.can_edit_checklists)
def checklist_edit(request, checklist_id: int | None = None):
    """A draft's editor, or a new version (from `?from=<id>` or from nothing)."""
    editing = base = None
    if checklist_id is not None:
        editing = selectors.checklist_get(checklist_id=checklist_id)
        if editing.is_published:
            base, editing = editing, None
    elif request.GET.get("from", "").isdigit():
        base = selectors.checklist_get(checklist_id=int(request.GET["from"]))
    form = ChecklistForm(request.POST or None, checklist=editing or base)
    if request.method == "POST" and form.is_valid():
        try:
            checklist = services.checklist_draft_save(
                by=request.user, title=form.cleaned_data["title"], items=form.cleaned_data["items"], checklist=editing
            )
            if "publish" in request.POST:
                services.checklist_publish(checklist=checklist, by=request.user)
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(request, _("Checklist version %(version)s saved.") % {"version": checklist.version})
            return redirect("dealers:checklist_list")
    return render(request, "dealers/audits/checklist_edit.html", {"form": form, "editing": editing, "base": base})


@login_required
@require_POST
@allowed_or_404(permissions.can_edit_checklists)
def checklist_publish(request, checklist_id: int):
    checklist = selectors.checklist_get(checklist_id=checklist_id)
    try:
        services.checklist_publish(checklist=checklist, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("dealers:checklist_list")
