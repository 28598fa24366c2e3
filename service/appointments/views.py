"""Appointment pages: the day's board per bay or advisor, booking (the advisor at their dealer, the call centre
at the dealer it picks), one appointment with check-in, rescheduling and cancelling, and the dealer's capacity."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.core.exceptions import NotFound
from crm.core.http import service_call
from crm.network.selectors import ACTING_DEALER_SESSION_KEY
from service import selectors as workshop_selectors
from service.appointments import permissions, selectors, services
from service.appointments.forms import (
    AdvisorExceptionForm,
    AdvisorHoursForm,
    BayForm,
    BookingForm,
    CancelForm,
    CheckInForm,
    DayForm,
    RemoveForm,
    RescheduleForm,
    SettingsForm,
)


def _dealer(request):
    """The dealer the page is about: the one named (`dealer`), else the one chosen in the header, else the
    only one the user works with; None when they must choose. Any other dealer is a 404."""
    if not permissions.can_read_appointments(request.access):
        raise Http404
    dealers = selectors.dealers_for_appointments(user=request.user)
    wanted = request.POST.get("dealer") or request.GET.get("dealer")
    if wanted:
        try:
            return selectors.dealer_for_appointments(user=request.user, dealer_id=wanted)
        except NotFound as error:
            raise Http404 from error
    remembered = request.session.get(ACTING_DEALER_SESSION_KEY)
    if remembered and dealers.filter(id=remembered).exists():
        return dealers.get(id=remembered)
    only = list(dealers[:2])
    return only[0] if len(only) == 1 else None


def _day(request, dealer) -> date:
    form = DayForm(request.GET)
    day = form.cleaned_data.get("day") if form.is_valid() else None
    return day or selectors.local_today(dealer)


def _choose_dealer(request, title: str):
    return render(
        request,
        "service/appointments/choose_dealer.html",
        {"title": title, "dealers": selectors.dealers_for_appointments(user=request.user)},
    )


@login_required
@require_http_methods(["GET"])
def board(request):
    dealer = _dealer(request)
    if dealer is None:
        return _choose_dealer(request, _("Appointments"))
    day = _day(request, dealer)
    by = "advisor" if request.GET.get("by") == "advisor" else "bay"
    return render(
        request,
        "service/appointments/board.html",
        {
            "dealer": dealer,
            "day": day,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "board": selectors.board_for(user=request.user, dealer=dealer, day=day, by=by),
            "can_book": permissions.can_book(request.access, dealer.id),
            "can_set_capacity": permissions.can_set_capacity(request.access, dealer.id),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def book(request):
    if not permissions.books_somewhere(request.access):
        raise Http404
    dealer = _dealer(request)
    if dealer is None:
        return _choose_dealer(request, _("Book a service appointment"))
    if not permissions.can_book(request.access, dealer.id):
        raise Http404
    day = _day(request, dealer)
    known_vehicle = None
    vehicle_id = request.POST.get("vehicle") or request.GET.get("vehicle")
    if vehicle_id:
        try:
            known_vehicle = workshop_selectors.vehicle_get(user=request.user, vehicle_id=int(vehicle_id))
        except (NotFound, ValueError) as error:
            raise Http404 from error
    capacity = selectors.capacity_for(dealer, day)
    slots = [slot for slot in selectors.slots_for(capacity) if slot.is_available]
    form = BookingForm(
        request.POST or None, slots=slots, bays=capacity.bays, advisors=capacity.advisors, known_vehicle=known_vehicle
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        party = (
            services.Party(vehicle_id=known_vehicle.id)
            if known_vehicle is not None
            else services.Party(**{k: data[k] for k in ("name", "phone", "email", "vin", "plate", "make", "model")})
        )
        appointment, error = service_call(
            services.appointment_book,
            form=form,
            dealer=dealer,
            by=request.user,
            party=party,
            starts_at=data["slot"],
            slots=data["slots"],
            bay=data["bay"],
            advisor=data["advisor"],
            concern=data["concern"],
            language=data["language"],
        )
        if error is None:
            messages.success(request, _("Appointment booked."))
            return redirect("service_appointments:detail", appointment_id=appointment.id)
    return render(
        request,
        "service/appointments/book.html",
        {
            "dealer": dealer,
            "day": day,
            "form": form,
            "slots": slots,
            "known_vehicle": known_vehicle,
        },
        status=422 if request.method == "POST" else 200,
    )


def _appointment(request, appointment_id: int):
    if not permissions.can_read_appointments(request.access):
        raise Http404
    try:
        return selectors.appointment_get(user=request.user, appointment_id=appointment_id)
    except NotFound as error:
        raise Http404 from error


def _detail(request, appointment, *, reschedule_form=None, cancel_form=None, check_in_form=None, status=200):
    dealer = appointment.dealer
    access = request.access
    can_change = permissions.can_book(access, dealer.id) and appointment.status == appointment.Status.BOOKED
    day = _day(request, dealer) if request.GET.get("day") else selectors.local_day_of(dealer, appointment.starts_at)
    if can_change and reschedule_form is None:
        capacity = selectors.capacity_for(dealer, day)
        slots = [
            slot
            for slot in selectors.slots_for(capacity)
            if not slot.is_past
            and capacity.free_bays(slot.starts_at, slot.ends_at, ignore=appointment.id)
            and capacity.free_advisors(slot.starts_at, slot.ends_at, ignore=appointment.id)
        ]
        reschedule_form = RescheduleForm(
            initial={"day": day}, slots=slots, bays=capacity.bays, advisors=capacity.advisors
        )
    return render(
        request,
        "service/appointments/detail.html",
        {
            "appointment": appointment,
            "local_start": selectors.local_day_of(dealer, appointment.starts_at),
            "can_change": can_change,
            "can_check_in": permissions.can_check_in(access, dealer.id)
            and appointment.status == appointment.Status.BOOKED,
            "reschedule_form": reschedule_form,
            "cancel_form": cancel_form or CancelForm(),
            "check_in_form": check_in_form or CheckInForm(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def detail(request, appointment_id: int):
    return _detail(request, _appointment(request, appointment_id))


@login_required
@require_POST
def reschedule(request, appointment_id: int):
    appointment = _appointment(request, appointment_id)
    if not permissions.can_book(request.access, appointment.dealer_id):
        raise Http404
    day_form = DayForm(request.POST)
    day = (day_form.cleaned_data.get("day") if day_form.is_valid() else None) or selectors.local_day_of(
        appointment.dealer, appointment.starts_at
    )
    capacity = selectors.capacity_for(appointment.dealer, day)
    slots = [slot for slot in selectors.slots_for(capacity) if not slot.is_past]
    form = RescheduleForm(request.POST, slots=slots, bays=capacity.bays, advisors=capacity.advisors)
    if form.is_valid():
        data = form.cleaned_data
        _moved, error = service_call(
            services.appointment_reschedule,
            form=form,
            appointment=appointment,
            by=request.user,
            starts_at=data["slot"],
            reason=data["reason"],
            bay=data["bay"],
            advisor=data["advisor"],
        )
        if error is None:
            messages.success(request, _("Appointment moved."))
            return redirect("service_appointments:detail", appointment_id=appointment.id)
    return _detail(request, appointment, reschedule_form=form, status=422)


@login_required
@require_POST
def cancel(request, appointment_id: int):
    appointment = _appointment(request, appointment_id)
    if not permissions.can_book(request.access, appointment.dealer_id):
        raise Http404
    form = CancelForm(request.POST)
    if form.is_valid():
        _cancelled, error = service_call(
            services.appointment_cancel,
            form=form,
            appointment=appointment,
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
        if error is None:
            messages.success(request, _("Appointment cancelled."))
            return redirect("service_appointments:detail", appointment_id=appointment.id)
    return _detail(request, appointment, cancel_form=form, status=422)


@login_required
@require_POST
def check_in(request, appointment_id: int):
    appointment = _appointment(request, appointment_id)
    if not permissions.can_check_in(request.access, appointment.dealer_id):
        raise Http404
    form = CheckInForm(request.POST)
    if form.is_valid():
        checked_in, error = service_call(
            services.appointment_check_in,
            form=form,
            appointment=appointment,
            by=request.user,
            mileage_in=form.cleaned_data["mileage_in"],
        )
        if error is None:
            messages.success(
                request,
                _("Checked in: repair order %(number)s opened.") % {"number": checked_in.repair_order.number},
            )
            return redirect("service:repair_order", repair_order_id=checked_in.repair_order_id)
    return _detail(request, appointment, check_in_form=form, status=422)


# --- Capacity --------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def capacity(request):
    dealer = _dealer(request)
    if dealer is None:
        return _choose_dealer(request, _("Workshop capacity"))
    can_edit = permissions.can_set_capacity(request.access, dealer.id)
    if request.method == "POST" and not can_edit:
        raise Http404
    rows = selectors.capacity_rows(dealer=dealer)
    advisors = [advisor for advisor, _spans in rows["advisors"]]
    by_id = {advisor.id: advisor for advisor in advisors}
    action = request.POST.get("action", "")
    forms = {
        "settings": SettingsForm(
            request.POST if action == "settings" else None,
            initial={
                "slot_minutes": rows["settings"].slot_minutes,
                "no_show_grace_minutes": rows["settings"].no_show_grace_minutes,
            },
        ),
        "bay": BayForm(request.POST if action == "bay" else None),
        "hours": AdvisorHoursForm(request.POST if action == "hours" else None, advisors=advisors),
        "exception": AdvisorExceptionForm(request.POST if action == "exception" else None, advisors=advisors),
    }
    if request.method == "POST":
        done = _capacity_write(request, dealer, action, forms, by_id)
        if done:
            messages.success(request, _("Saved."))
            return redirect(reverse("service_appointments:capacity") + f"?dealer={dealer.id}")
    return render(
        request,
        "service/appointments/capacity.html",
        {"dealer": dealer, "can_edit": can_edit, "forms": forms, **rows},
        status=422 if request.method == "POST" else 200,
    )


def _capacity_write(request, dealer, action, forms, advisors_by_id) -> bool:
    by = request.user
    if action == "remove":
        form = RemoveForm(request.POST)
        if not form.is_valid():
            raise Http404
        what, row_id = form.cleaned_data["what"], form.cleaned_data["row"]
        try:
            row = selectors.capacity_row_get(dealer=dealer, what=what, row_id=row_id)
        except NotFound as error:
            raise Http404 from error
        service, kwargs = {
            "hours": (services.advisor_hours_remove, {"hours": row}),
            "exception": (services.advisor_exception_remove, {"exception": row}),
            "bay": (services.bay_set_active, {"bay": row, "is_active": form.cleaned_data["active"]}),
        }[what]
        _result, error = service_call(service, by=by, **kwargs)
        if error:
            messages.error(request, error.message)
        return error is None
    form = forms.get(action)
    if form is None or not form.is_valid():
        return False
    data = dict(form.cleaned_data)
    if "advisor" in data:
        data["advisor"] = advisors_by_id.get(data["advisor"])
        if data["advisor"] is None:
            form.add_error("advisor", _("Choose one of the dealer's service advisors."))
            return False
    service = {
        "settings": services.appointment_settings_save,
        "bay": services.bay_add,
        "hours": services.advisor_hours_add,
        "exception": services.advisor_exception_save,
    }[action]
    _result, error = service_call(service, form=form, dealer=dealer, by=by, **data)
    return error is None
