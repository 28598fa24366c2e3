"""Importing a DMS export: upload, then the result with every row's outcome."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from crm.core.exceptions import NotFound
from crm.core.http import service_call
from crm.core.spreadsheets import SpreadsheetError, read_table
from service.imports import selectors, services
from service.imports.forms import DmsUploadForm
from service.models import DmsImport
from service.views.common import workshop_dealer

MAX_BYTES = 20_000_000


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    dealer = workshop_dealer(request)
    form = DmsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            table = read_table(upload_file.read(MAX_BYTES + 1), filename=upload_file.name, max_bytes=MAX_BYTES)
        except SpreadsheetError as error:
            form.add_error("file", str(error.message))
        else:
            dms_import, _error = service_call(
                services.dms_import_run,
                form=form,
                dealer=dealer,
                by=request.user,
                table=table,
                file_name=upload_file.name,
                source=DmsImport.Source.FILE,
            )
            if dms_import is not None:
                return redirect("service_imports:result", import_id=dms_import.id)
    recent = selectors.imports_for_user(user=request.user).filter(dealer=dealer)[:10]
    return render(
        request, "service/imports/upload.html", {"dealer": dealer, "form": form, "recent": recent},
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def result(request, import_id: int):
    try:
        dms_import = selectors.import_get(user=request.user, import_id=import_id)
    except NotFound as error:
        raise Http404 from error
    rows = selectors.import_rows(dms_import=dms_import)
    return render(request, "service/imports/result.html", {"dms_import": dms_import, "rows": rows})
