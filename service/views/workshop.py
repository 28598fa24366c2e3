"""The service advisor's workshop screen: check-in by plate or VIN beside the vehicle's history and a new
repair order, the day's orders by status, pickup."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from service import selectors
from service.appointments import selectors as appointment_selectors
from service.forms import CheckInForm, RepairOrderOpenForm
from service.views.common import maintenance_context, workshop_dealer

HISTORY_BESIDE_CHECK_IN = 6


@login_required
@require_GET
def workshop(request):
    dealer = workshop_dealer(request)
    form = CheckInForm(request.GET or None)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    query, vehicles = selectors.check_in_lookup(user=request.user, text=text)
    context = {"dealer": dealer, "form": form, "query": query, "vehicles": vehicles}
    if len(vehicles) == 1:
        vehicle = vehicles[0]
        customers = selectors.recent_customers_of_vehicle(user=request.user, vehicle=vehicle)
        context.update(
            vehicle=vehicle,
            history=selectors.vehicle_history(user=request.user, vehicle=vehicle)[:HISTORY_BESIDE_CHECK_IN],
            open_form=RepairOrderOpenForm(customers=customers) if customers else None,
            **maintenance_context(vehicle),
            booked_appointment=appointment_selectors.booked_today_for_vehicle(
                user=request.user, dealer=dealer, vehicle=vehicle
            ),
            active_orders=list(
                selectors.repair_orders_for_user(user=request.user).filter(
                    vehicle=vehicle, dealer=dealer, status__in=selectors.workshop.ACTIVE
                )
            ),
        )
    board = selectors.workshop_board(user=request.user, dealer=dealer)
    context.update(
        board=board,
        today=timezone.localdate(),
        appointments_today=appointment_selectors.today_for_workshop(user=request.user, dealer=dealer),
        board_columns=[
            (_("Checked in"), "bi-inbox", board.open, False, "open"),
            (_("In progress"), "bi-gear", board.in_progress, False, "in-progress"),
            (_("Ready for pickup"), "bi-check2-circle", board.ready, True, "ready"),
        ],
    )
    return render(request, "service/workshop.html", context)
