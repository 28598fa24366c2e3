"""What the dealers' pages share: the period form's handling and the CSV/XLSX response.
"""

from functools import wraps

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import NotFound, PermissionDenied
from crm.core.spreadsheets import write_csv, write_xlsx

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_format(request) -> str | None:
    file_format = request.GET.get("format", "csv")
    return file_format if file_format in FORMATS else None


def refuse_format() -> HttpResponse:
    return HttpResponseBadRequest(_("Choose CSV or XLSX."))


def spreadsheet(file_format: str, headers, rows, *, name: str) -> HttpResponse:
    """The table as a whole file, built in memory: the row-level security scope ends with the request."""
    headers = [str(header) for header in headers]
    if file_format == "csv":
        content = write_csv(headers, rows)
    else:
        content = write_xlsx(headers, rows, sheet_title=name)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{file_format}"'
    return response


def allowed_or_404(rule):
    """A page for users whose access passes `rule`; to everyone else it does not exist (missing and
    forbidden look the same), and a service's NotFound / PermissionDenied inside it is a 404 too."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated or not rule(request.access):
                raise Http404
            try:
                return view(request, *args, **kwargs)
            except (NotFound, PermissionDenied) as error:
                raise Http404 from error

        return wrapper

    return decorate


def month_param(value: str):
    """`2026-10` -> date(2026, 10, 1); anything else -> None."""
    from datetime import date

    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        return None
