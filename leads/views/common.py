"""What the funnel's pages share: finding the lead the user may read or change, and the dealer they act for."""

from django.http import Http404

from crm.core.exceptions import NotFound
from crm.network.models import DEALER_MANAGER_ROLES, SALES_ROLES
from crm.network.selectors import acting_dealer_for_request
from leads import permissions, selectors
from leads.models import Lead


def lead_to_read(request, lead_id: int) -> Lead:
    if not permissions.can_read_leads(request.access):
        raise Http404
    try:
        return selectors.lead_get(user=request.user, lead_id=lead_id)
    except NotFound as error:
        raise Http404 from error


def lead_to_work(request, lead_id: int, *, manager: bool = False) -> Lead:
    """The lead, if the user may change it (read-only roles get the same 404 as for a foreign lead)."""
    lead = lead_to_read(request, lead_id)
    allowed = permissions.can_manage_lead if manager else permissions.can_work_lead
    if not allowed(request.access, lead):
        raise Http404
    return lead


def sales_dealer(request):
    """The dealer whose showroom the user works in for this request (asked when they work at several)."""
    try:
        return acting_dealer_for_request(request, roles=SALES_ROLES)
    except NotFound as error:
        raise Http404 from error


def managed_dealer(request):
    """The dealer whose sales the user manages for this request (asked when they manage several)."""
    try:
        return acting_dealer_for_request(request, roles=DEALER_MANAGER_ROLES)
    except NotFound as error:
        raise Http404 from error

