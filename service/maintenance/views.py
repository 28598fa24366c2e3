"""Maintenance pages: the dealer's due list (overdue and due soon, with a call and a check-in link), the
dealer admin's reminder lead times, the OEM's schedules (list; new schedule and new version for the OEM
admin), and the vehicle's insurance date (a form on the vehicle page). Views only check who may open them,
validate a form, call one selector and/or one service, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import NotFound
from crm.core.http import service_call
from crm.customers.models import ContactPoint
from crm.network.selectors import acting_dealer_for_request
from service import selectors as service_selectors
from service.maintenance import permissions, selectors, services
from service.maintenance.forms import DueListForm, InsuranceForm, ReminderSettingForm, ScheduleForm
from service.permissions import WORKSHOP_ROLES


def _workshop_dealer(request):
    try:
        return acting_dealer_for_request(request, roles=WORKSHOP_ROLES)
    except NotFound as error:
        raise Http404 from error


@login_required
@require_GET
def due(request):
    dealer = _workshop_dealer(request)
    form = DueListForm(request.GET or None)
    within = form.cleaned_data["within"] if form.is_valid() else selectors.DUE_SOON_DAYS
    today = timezone.localdate()
    rows = list(selectors.due_list(dealer=dealer, within_days=within, today=today)[: selectors.DUE_LIST_ROWS])
    owner_ids = {row.vehicle.owner_id for row in rows if row.vehicle.owner_id}
    phones = dict(
        ContactPoint.objects.filter(
            customer_id__in=owner_ids, kind=ContactPoint.Kind.PHONE, is_primary=True, is_invalid=False
        ).values_list("customer_id", "value")
    )
    return render(
        request,
        "service/maintenance/due.html",
        {
            "dealer": dealer,
            "rows": [(row, phones.get(row.vehicle.owner_id, "")) for row in rows],
            "overdue": sum(1 for row in rows if row.due_on < today),
            "within": within,
            "within_choices": DueListForm.base_fields["within"].choices,
            "today": today,
            "is_capped": len(rows) == selectors.DUE_LIST_ROWS,
            "can_set_reminders": permissions.can_set_reminders(request.access, dealer.id),
            "setting": selectors.reminder_setting(dealer=dealer),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reminder_settings(request):
    dealer = _workshop_dealer(request)
    if not permissions.can_set_reminders(request.access, dealer.id):
        raise Http404
    setting = selectors.reminder_setting(dealer=dealer)
    initial = {name: getattr(setting, name) for name in ReminderSettingForm.base_fields}
    form = ReminderSettingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        _saved, error = service_call(
            services.reminder_setting_save, form=form, by=request.user, dealer=dealer, **form.cleaned_data
        )
        if not error:
            messages.success(request, _("Reminder lead times saved."))
            return redirect("service_maintenance:due")
    return render(request, "service/maintenance/settings.html", {"form": form, "dealer": dealer})


@login_required
@require_GET
def schedules(request):
    if not permissions.can_read_schedules(request.access):
        raise Http404
    return render(
        request,
        "service/maintenance/schedules.html",
        {
            "schedules": selectors.schedules_by_model(),
            "can_edit": permissions.can_edit_schedules(request.access),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def schedule_new(request):
    if not permissions.can_edit_schedules(request.access):
        raise Http404
    form = ScheduleForm(
        request.POST or None,
        models=selectors.models_without_schedule(),
        initial={"first_km": 5000, "first_months": 6, "interval_km": 10000, "interval_months": 12,
                 "operation_codes": "MNT-*"},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        schedule, error = service_call(
            services.schedule_save, form=form, by=request.user, is_new_schedule=True, **form.cleaned_data
        )
        if not error:
            messages.success(request, _("Schedule for %(model)s saved.") % {"model": schedule.brand_model})
            return redirect("service_maintenance:schedules")
    return render(request, "service/maintenance/schedule_form.html", {"form": form, "schedule": None})


@login_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request, schedule_id: int):
    """A new version of the model's schedule, starting from the values of this one."""
    if not permissions.can_edit_schedules(request.access):
        raise Http404
    try:
        schedule = selectors.schedule_get(schedule_id=schedule_id)
    except NotFound as error:
        raise Http404 from error
    form = ScheduleForm(request.POST or None, fixed_model=schedule.brand_model, initial=ScheduleForm.initial_from(schedule))
    if request.method == "POST" and form.is_valid():
        saved, error = service_call(
            services.schedule_save, form=form, by=request.user, brand_model=schedule.brand_model, **form.cleaned_data
        )
        if not error:
            messages.success(
                request,
                _("New version of %(model)s's schedule saved, effective from %(day)s.")
                % {"model": saved.brand_model, "day": saved.effective_from.isoformat()},
            )
            return redirect("service_maintenance:schedules")
    return render(request, "service/maintenance/schedule_form.html", {"form": form, "schedule": schedule})


@login_required
@require_POST
def vehicle_insurance(request, vehicle_id: int):
    if not permissions.can_record_insurance(request.access):
        raise Http404
    try:
        vehicle = service_selectors.vehicle_get(user=request.user, vehicle_id=vehicle_id)
    except NotFound as error:
        raise Http404 from error
    form = InsuranceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the insurance expiry as a date (YYYY-MM-DD)."))
        return redirect("service:vehicle", vehicle_id=vehicle.id)
    _saved, error = service_call(
        services.vehicle_insurance_set,
        by=request.user,
        vehicle=vehicle,
        expires_on=form.cleaned_data["insurance_expires_on"],
        expected_version=form.cleaned_data["version"],
    )
    if error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Insurance expiry saved."))
    return redirect("service:vehicle", vehicle_id=vehicle.id)
