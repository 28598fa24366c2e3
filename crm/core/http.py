"""What every page shares when it handles a request: HTMX detection, a safe "back" redirect, and calling
one service so that its typed error reaches the user beside the field it names."""

from collections.abc import Callable
from typing import Any

from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from crm.core.exceptions import ApplicationError, NotFound, PermissionDenied


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
