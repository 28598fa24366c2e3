"""The OEM read log's one hook for the dealers' pages: a view decorated with `records_oem_read` says which
dealer's data it showed (`shown(request, dealer_ids)`), and the decorator writes the read-log rows once the
view answered with the page or the file (2xx), for OEM readers only (dealers.permissions.is_recorded_reader).

Why the view names the dealer rather than the decorator looking it up: the view has already loaded the row
through its scoped selector, so the log names exactly the dealer whose data went out, at no extra query; a
refused or missing row (404) is never logged. tests/dealers/test_read_log_pages.py proves that every
decorated page logs its read.
"""

from collections.abc import Iterable
from functools import wraps

from dealers import permissions
from dealers.models import OemRead
from dealers.services import oem_reads_record

_SHOWN = "_dealers_oem_read_dealer_ids"


def shown(request, dealer_ids: int | Iterable[int]) -> None:
    """Mark the dealer(s) whose data this response shows (read by `records_oem_read`)."""
    ids = [dealer_ids] if isinstance(dealer_ids, int) else list(dealer_ids)
    setattr(request, _SHOWN, [*getattr(request, _SHOWN, []), *ids])


def records_oem_read(subject: str, *, kind: str = OemRead.Kind.PAGE):
    """Record an OEM reader's successful read of what the view `shown` (one row per dealer)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            dealer_ids = getattr(request, _SHOWN, [])
            if (
                200 <= response.status_code < 300
                and dealer_ids
                and request.user.is_authenticated
                and permissions.is_recorded_reader(request.access)
            ):
                oem_reads_record(
                    reader=request.user,
                    dealer_ids=dealer_ids,
                    kind=kind,
                    what=subject,
                    path=request.get_full_path(),
                )
            return response

        wrapper.records_oem_read = subject
        return wrapper

    return decorate
