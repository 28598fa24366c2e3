"""What the workshop's pages share: the dealer whose workshop the user works in, the order they may read or
change."""

from datetime import timedelta

from django.http import Http404
from django.utils import timezone

from crm.core.exceptions import NotFound
from crm.network.selectors import acting_dealer_for_request
from service import permissions, selectors
from service.maintenance import selectors as maintenance_selectors
from service.models import RepairOrder
from service.permissions import WORKSHOP_ROLES


def workshop_dealer(request):
    """The dealer whose workshop the user runs for this request (asked when they run several)."""
    try:
        return acting_dealer_for_request(request, roles=WORKSHOP_ROLES)
    except NotFound as error:
        raise Http404 from error


def order_to_read(request, repair_order_id: int, *, page: bool = False) -> RepairOrder:
    if not permissions.can_read_service(request.access):
        raise Http404
    read = selectors.repair_order_page if page else selectors.repair_order_get
    try:
        return read(user=request.user, repair_order_id=repair_order_id)
    except NotFound as error:
        raise Http404 from error


def order_to_work(request, repair_order_id: int, *, page: bool = False) -> RepairOrder:
    """The order, if the user may change it (read-only roles get the same 404 as for a foreign order)."""
    order = order_to_read(request, repair_order_id, page=page)
    if not permissions.can_work_workshop(request.access, order.dealer_id):
        raise Http404
    return order


def maintenance_context(vehicle) -> dict:
    """The vehicle's next service as last computed, and the days that flag it overdue or due soon."""
    today = timezone.localdate()
    return {
        "maintenance": maintenance_selectors.vehicle_maintenance(vehicle=vehicle),
        "today": today,
        "soon": today + timedelta(days=maintenance_selectors.DUE_SOON_DAYS),
    }
