"""What the dealers' pages share: the period form's handling and the export format asked for.
"""

from functools import wraps

from django.http import Http404

from crm.core.exceptions import NotFound, PermissionDenied
from crm.core.http import SPREADSHEET_TYPES


def export_format(request) -> str | None:
    file_format = request.GET.get("format", "csv")
    return file_format if file_format in SPREADSHEET_TYPES else None


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
