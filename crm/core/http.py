"""What every page shares when it handles a request: HTMX detection, a safe "back" redirect, calling one
service so that its typed error reaches the user beside the field it names, and a table downloaded as a
CSV or XLSX file."""

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from crm.core.exceptions import ApplicationError, NotFound, PermissionDenied
from crm.core.spreadsheets import write_csv, write_xlsx

SPREADSHEET_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def service_call(service: Callable[..., Any], *, form=None, **kwargs) -> tuple[Any, ApplicationError | None]:
    """Run one service. Returns `(result, None)`, or `(None, error)` for a typed error, which is also added
    to `form` when one is given (beside the field the error names, else above the form). "Missing" and
    "not yours" become a 404, as for a foreign id in the URL."""
    try:
        return service(**kwargs), None
    except (NotFound, PermissionDenied) as error:
        raise Http404 from error
    except ApplicationError as error:
        if form is not None:
            form.add_application_error(error)
        return None, error


def redirect_back(request, default: str):
    """To the page named by `next` when it is ours, else to `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def refuse_spreadsheet_format() -> HttpResponse:
    return HttpResponseBadRequest(_("Choose CSV or XLSX."))


def spreadsheet_response(
    file_format: str, headers, rows, *, name: str, sheet_title: str | None = None, stamped: bool = True
) -> HttpResponse:
    """The table as a downloaded file (`file_format` one of SPREADSHEET_TYPES), built whole in memory: the
    request's row-level-security scope ends with the request. The file is named `name`, followed by the
    local time of the download unless `stamped` is False."""
    headers = [str(header) for header in headers]
    if file_format == "csv":
        content = write_csv(headers, rows)
    else:
        content = write_xlsx(headers, rows, sheet_title=sheet_title or name)
    filename = f"{name}-{timezone.localtime():%Y%m%d-%H%M}" if stamped else name
    response = HttpResponse(content, content_type=SPREADSHEET_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    return response
