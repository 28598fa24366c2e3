"""The vehicle page: its facts, its odometer series (suspect readings flagged), its service history across
the network as far as the viewer may see it."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm.core.exceptions import NotFound
from service import permissions, selectors, services
from service.maintenance import permissions as maintenance_permissions
from service.views.common import maintenance_context


@login_required
@require_GET
def vehicle_detail(request, vehicle_id: int):
    if not permissions.can_read_service(request.access):
        raise Http404
    try:
        vehicle = selectors.vehicle_get(user=request.user, vehicle_id=vehicle_id)
    except NotFound as error:
        raise Http404 from error
    readings = list(vehicle.odometer_readings.select_related("dealer").order_by("-read_at", "-id")[:50])
    return render(
        request,
        "service/vehicle.html",
        {
            "vehicle": vehicle,
            "mileage": services.vehicle_mileage(vehicle=vehicle),
            "readings": readings,
            "history": selectors.vehicle_history(user=request.user, vehicle=vehicle),
            "can_open": permissions.runs_a_workshop(request.access),
            **maintenance_context(vehicle),
            "can_record_insurance": maintenance_permissions.can_record_insurance(request.access),
        },
    )
