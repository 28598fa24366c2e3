"""What the leads pages share: HTMX detection, calling a service and showing its error, finding the lead."""

from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from crm.core.exceptions import ApplicationError, NotFound, PermissionDenied
from crm.core.names import staff_name
from leads import screens
from leads.models import Lead


class _Refused(Exception):
    """A service said missing or not allowed: the page answers 404, as for a foreign id."""


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _call(service, **kwargs):
    """Run one service. Returns (result, None) or (None, typed error); "not yours" becomes 404."""
    try:
        return service(**kwargs), None
    except (NotFound, PermissionDenied) as error:
        raise Http404 from error
    except ApplicationError as error:
        return None, error


def _lead(request, lead_id: int) -> Lead:
    if not screens.can_read_leads(request.access):
        raise Http404
    try:
        return screens.selectors.lead_get(user=request.user, lead_id=lead_id)
    except NotFound as error:
        raise Http404 from error


def _lead_to_work(request, lead_id: int, *, manager: bool = False) -> Lead:
    """The lead, if the user may change it (read-only roles get the same 404 as for a foreign lead)."""
    lead = _lead(request, lead_id)
    allowed = screens.can_manage_lead if manager else screens.can_work_lead
    if not allowed(request.access, lead):
        raise Http404
    return lead


def _back(request, default: str):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _person(user) -> str:
    return staff_name(user)
