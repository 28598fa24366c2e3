"""The pages of a list import: upload → preview and column mapping → every row checked → import → result.

Nothing is written before the user confirms, and the import itself is all or nothing (the service's
transaction). Between steps the file waits in the cache under a random token bound to the user who
uploaded it: someone else's token, an expired one and a made-up one all answer 404."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.core.exceptions import ApplicationError, NotFound, PermissionDenied
from crm.core.spreadsheets import SpreadsheetError, read_table, suggest_mapping, write_csv
from leads import permissions
from leads.exceptions import UploadExpired
from leads.imports import selectors, services
from leads.imports.forms import (
    DEFAULT_LEAD_FIELDS,
    FIELD_LABELS,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
    MappingForm,
    UploadForm,
)

PREVIEW_ROWS = 20
TABLE_CAP = 200


def _require_importer(request) -> None:
    if not permissions.can_import(request.access):
        raise Http404


def _upload(request, token: str) -> dict:
    _require_importer(request)
    try:
        return services.upload_load(token=token, owner_id=request.user.pk)
    except UploadExpired as error:
        raise Http404 from error


def _table(state: dict):
    try:
        return read_table(
            state["data"], filename=state["filename"], max_rows=MAX_UPLOAD_ROWS, max_bytes=MAX_UPLOAD_BYTES
        )
    except SpreadsheetError as error:  # It was read once at upload; only a changed limit gets here.
        raise Http404 from error


def _choices(request, state: dict):
    """The dealer, source and campaign chosen at upload, read again in the user's scope now."""
    dealer = selectors.import_dealers(user=request.user).filter(id=state["dealer_id"]).first()
    if dealer is None:
        raise Http404
    source = selectors.import_sources(user=request.user, dealer=dealer).filter(id=state["source_id"]).first()
    if source is None:
        raise Http404
    campaign = None
    if state.get("campaign_id"):
        campaign = (
            selectors.import_campaigns(user=request.user, dealer=dealer)
            .filter(id=state["campaign_id"])
            .first()
        )
    return dealer, source, campaign


def _step_context(request, token: str, state: dict, step: int) -> dict:
    dealer, source, campaign = _choices(request, state)
    return {
        "token": token,
        "step": step,
        "filename": state["filename"],
        "dealer": dealer,
        "source": source,
        "campaign": campaign,
    }


def _csv_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _stem(state: dict) -> str:
    stem = state["filename"].rsplit(".", 1)[0]
    return "".join(character if character.isascii() and character.isalnum() else "-" for character in stem)[
        :40
    ]


# Step 1 ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    _require_importer(request)
    dealers = selectors.import_dealers(user=request.user)
    dealer_list = list(dealers)
    wanted = request.POST.get("dealer") or request.GET.get("dealer")
    dealer = next((d for d in dealer_list if str(d.id) == wanted), dealer_list[0] if dealer_list else None)
    form = UploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        dealers=dealers,
        sources=selectors.import_sources(user=request.user, dealer=dealer),
        campaigns=selectors.import_campaigns(user=request.user, dealer=dealer),
        initial={"dealer": dealer},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        token = services.upload_store(
            data=form.data_bytes,
            filename=data["file"].name,
            owner_id=request.user.pk,
            dealer_id=data["dealer"].id,
            source_id=data["source"].id,
            campaign_id=data["campaign"].id if data["campaign"] else None,
            mapping=None,
            result=None,
        )
        return redirect("leads_imports:preview", token=token)
    return render(
        request,
        "leads/imports/upload.html",
        {
            "form": form,
            "step": 1,
            "several_dealers": len(dealer_list) > 1,
            "max_megabytes": f"{MAX_UPLOAD_BYTES / 1e6:g}",
            "max_rows": MAX_UPLOAD_ROWS,
            "hours": services.UPLOAD_TTL_SECONDS // 3600,
        },
    )


# Step 2 ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def preview(request, token: str):
    state = _upload(request, token)
    if state.get("result"):
        return redirect("leads_imports:done", token=token)
    table = _table(state)
    mapping = state.get("mapping") or suggest_mapping(table.headers, DEFAULT_LEAD_FIELDS)
    form = MappingForm(
        request.POST if request.method == "POST" else None,
        headers=table.headers,
        initial={name: "" if index is None else str(index) for name, index in mapping.items()},
    )
    if request.method == "POST" and form.is_valid():
        services.upload_update(token=token, mapping=form.mapping())
        return redirect("leads_imports:confirm", token=token)
    fields_by_column = {index: FIELD_LABELS[name] for name, index in mapping.items() if index is not None}
    context = _step_context(request, token, state, step=2)
    context.update(
        {
            "form": form,
            "table": table,
            "row_count": len(table.rows),
            "columns": [(header, fields_by_column.get(index)) for index, header in enumerate(table.headers)],
            "preview_rows": list(
                zip(table.row_numbers[:PREVIEW_ROWS], table.rows[:PREVIEW_ROWS], strict=False)
            ),
            "preview_size": PREVIEW_ROWS,
        }
    )
    return render(request, "leads/imports/preview.html", context)


# Step 3 ---------------------------------------------------------------------------------------------


def _checked(state: dict):
    table = _table(state)
    checks = services.rows_validate(table=table, mapping=state["mapping"])
    return table, checks


def _problems(checks):
    """One line per error: (row in the file, field label, the value as read, message, the check)."""
    for check in checks:
        for field_name, message in zip(check.error_fields, check.errors, strict=True):
            yield (
                check.line,
                FIELD_LABELS.get(field_name, field_name),
                check.values.get(field_name, ""),
                message,
                check,
            )


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    state = _upload(request, token)
    if state.get("result"):
        return redirect("leads_imports:done", token=token)
    if not state.get("mapping"):
        return redirect("leads_imports:preview", token=token)
    context = _step_context(request, token, state, step=3)
    table, checks = _checked(state)
    valid = [check for check in checks if not check.errors]
    failure = None
    if request.method == "POST":
        if not valid:
            failure = _("No row can be imported: fix the file and upload it again.")
        elif not services.upload_import_claim(token=token):
            messages.info(request, _("This list is already being imported."))
            return redirect("leads_imports:done", token=token)
        else:
            imported = None
            try:
                imported = services.leads_import(
                    by=request.user,
                    dealer=context["dealer"],
                    source=context["source"],
                    campaign=context["campaign"],
                    rows=valid,
                )
            except (NotFound, PermissionDenied) as error:
                raise Http404 from error
            except ApplicationError as error:
                failure = error.message
            finally:
                if imported is None:
                    services.upload_import_release(token=token)
            if imported is not None:
                by_number = {check.number: check for check in valid}
                result = {
                    "finished_at": timezone.now(),
                    "rows": [
                        (
                            row.line,
                            by_number[row.number].values.get("name", ""),
                            by_number[row.number].values.get("phone", ""),
                            row.lead_id,
                            row.created,
                        )
                        for row in imported
                    ],
                    "skipped": len(checks) - len(valid),
                }
                # Only a committed import is reported as done.
                transaction.on_commit(partial(services.upload_update, token=token, result=result))
                return redirect("leads_imports:done", token=token)
    problems = list(_problems(checks))
    context.update(
        {
            "row_count": len(checks),
            "valid_count": len(valid),
            "invalid_count": len(checks) - len(valid),
            "problems": problems[:TABLE_CAP],
            "problem_count": len(problems),
            "cap": TABLE_CAP,
            "failure": failure,
            "mapped": [
                (FIELD_LABELS[name], table.headers[index])
                for name, index in state["mapping"].items()
                if index is not None
            ],
        }
    )
    return render(request, "leads/imports/confirm.html", context)


@login_required
@require_GET
def errors_csv(request, token: str):
    state = _upload(request, token)
    if not state.get("mapping"):
        raise Http404
    table, checks = _checked(state)
    rows = [
        [line, field, message, *table.rows[check.number - 1]]
        for line, field, _value, message, check in _problems(checks)
    ]
    content = write_csv([_("Row in file"), _("Field"), _("Problem"), *table.headers], rows)
    return _csv_response(content, f"{_stem(state)}-errors.csv")


# Step 4 ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def done(request, token: str):
    state = _upload(request, token)
    result = state.get("result")
    if not result:
        return redirect("leads_imports:confirm", token=token)
    context = _step_context(request, token, state, step=4)
    rows = result["rows"]
    created = sum(1 for row in rows if row[4])
    context.update(
        {
            "created_count": created,
            "attached_count": len(rows) - created,
            "skipped_count": result["skipped"],
            "imported_count": len(rows),
            "rows": rows[:TABLE_CAP],
            "cap": TABLE_CAP,
            "finished_at": result["finished_at"],
            "leads_url": reverse("leads:list") + f"?source={state['source_id']}",
        }
    )
    return render(request, "leads/imports/done.html", context)


@login_required
@require_GET
def results_csv(request, token: str):
    state = _upload(request, token)
    result = state.get("result")
    if not result:
        raise Http404
    rows = [
        [line, name, phone, lead_id, _("New lead") if created else _("Attached to an open lead")]
        for line, name, phone, lead_id, created in result["rows"]
    ]
    content = write_csv([_("Row in file"), _("Name"), _("Mobile phone"), _("Lead id"), _("Outcome")], rows)
    return _csv_response(content, f"{_stem(state)}-imported.csv")
