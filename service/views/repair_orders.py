"""Repair order pages: open one for a checked-in vehicle, its page with jobs, labour, parts, charges and
discounts (added and removed in place with HTMX), the workshop's moves, settling (pickup), voiding and
correcting. Every write goes through service.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import NotFound
from crm.core.http import is_htmx, redirect_back, service_call
from service import permissions, selectors, services
from service.forms import (
    ChargeLineForm,
    JobForm,
    JobUpdateForm,
    LabourLineForm,
    LineRemoveForm,
    MoveForm,
    PartLineForm,
    RepairOrderOpenForm,
    VoidForm,
)
from service.models import RepairOrder
from service.views.common import order_to_read, order_to_work, workshop_dealer

LINE_FORMS = {"labour": LabourLineForm, "part": PartLineForm, "charge": ChargeLineForm}


@login_required
@require_http_methods(["GET", "POST"])
def repair_order_new(request, vehicle_id: int):
    dealer = workshop_dealer(request)
    try:
        vehicle = selectors.vehicle_get(user=request.user, vehicle_id=vehicle_id)
    except NotFound as error:
        raise Http404 from error
    customers = selectors.recent_customers_of_vehicle(user=request.user, vehicle=vehicle)
    form = RepairOrderOpenForm(request.POST or None, customers=customers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = next(c for c in customers if c.id == data["customer"])
        order, _error = service_call(
            services.repair_order_open,
            form=form,
            dealer=dealer,
            vehicle=vehicle,
            by=request.user,
            customer=customer,
            mileage_in=data["mileage_in"],
            promised_at=data["promised_at"],
            pay_type=data["pay_type"],
            concern=data["concern"],
        )
        if order is not None:
            messages.success(request, _("Repair order %(number)s opened.") % {"number": order.number})
            return redirect("service:repair_order", repair_order_id=order.id)
    return render(
        request,
        "service/repair_order_new.html",
        {"dealer": dealer, "vehicle": vehicle, "form": form, "no_customer": not customers},
    )


def _page_context(request, order: RepairOrder, *, failed: tuple | None = None, **extra) -> dict:
    """The order page's context; `failed` = (form kind, job id, bound form) shows that form's errors."""
    can_work = permissions.can_work_workshop(request.access, order.dealer_id) and not order.is_closed
    jobs = list(order.jobs.all())
    for job in jobs:
        job.forms = {}
        if can_work:
            for kind, form_class in LINE_FORMS.items():
                job.forms[kind] = form_class(initial={"job": job.id}, prefix=f"{kind}-{job.id}")
            job.forms["update"] = JobUpdateForm(
                initial={
                    "job": job.id,
                    "concern": job.concern,
                    "cause": job.cause,
                    "correction": job.correction,
                    "pay_type": job.pay_type,
                },
                prefix=f"update-{job.id}",
            )
        if failed and failed[1] == job.id:
            job.forms[failed[0]] = failed[2]
            job.has_errors = True
    context = {
        "order": order,
        "jobs": jobs,
        "can_work": can_work,
        "can_correct": permissions.can_work_workshop(request.access, order.dealer_id)
        and order.status == RepairOrder.Status.SETTLED,
        "job_form": (failed[2] if failed and failed[0] == "job" else JobForm()) if can_work else None,
        "void_form": (failed[2] if failed and failed[0] == "void" else VoidForm()) if can_work else None,
        "moves": _moves(order) if can_work else [],
    }
    context.update(extra)
    return context


def _moves(order: RepairOrder) -> list[tuple[str, str]]:
    return [(status, RepairOrder.Status(status).label) for status in services.repair_orders.WORKSHOP_MOVES.get(order.status, ())]


def _render_page(request, order_id: int, *, failed=None, status: int = 200):
    order = order_to_read(request, order_id, page=True)
    template = "service/_repair_order_body.html" if is_htmx(request) else "service/repair_order.html"
    return render(request, template, _page_context(request, order, failed=failed), status=status)


@login_required
@require_GET
def repair_order_detail(request, repair_order_id: int):
    order = order_to_read(request, repair_order_id, page=True)
    return render(request, "service/repair_order.html", _page_context(request, order))


def _after_write(request, order_id: int, *, failed=None, done: str = ""):
    """HTMX: the order's body again (with the failed form's errors in place). Else: back to the page, or the
    page with the errors."""
    if is_htmx(request):
        # htmx swaps only 2xx answers: a form with errors comes back as 200, its errors beside the fields.
        return _render_page(request, order_id, failed=failed)
    if failed:
        return _render_page(request, order_id, failed=failed, status=422)
    if done:
        messages.success(request, done)
    return redirect_back(request, reverse("service:repair_order", args=[order_id]))


@login_required
@require_POST
def job_add(request, repair_order_id: int):
    order = order_to_work(request, repair_order_id)
    form = JobForm(request.POST)
    if form.is_valid():
        _job, error = service_call(services.job_add, form=form, repair_order=order, by=request.user, **form.cleaned_data)
        if error is None:
            return _after_write(request, order.id)
    return _after_write(request, order.id, failed=("job", None, form))


@login_required
@require_POST
def job_update(request, repair_order_id: int):
    order = order_to_work(request, repair_order_id)
    job = _job(order, request.POST.get("job") or _prefixed_job(request, "update"))
    form = JobUpdateForm(request.POST, prefix=f"update-{job.id}")
    if form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "job"}
        _job_saved, error = service_call(services.job_update, form=form, job=job, by=request.user, **changes)
        if error is None:
            return _after_write(request, order.id)
    return _after_write(request, order.id, failed=("update", job.id, form))


def _prefixed_job(request, kind: str) -> str:
    for key, value in request.POST.items():
        if key.startswith(f"{kind}-") and key.endswith("-job"):
            return value
    return ""


def _job(order, job_id):
    try:
        return selectors.job_get(repair_order=order, job_id=job_id)
    except NotFound as error:
        raise Http404 from error


@login_required
@require_POST
def line_add(request, repair_order_id: int, kind: str):
    if kind not in LINE_FORMS:
        raise Http404
    order = order_to_work(request, repair_order_id)
    job = _job(order, _prefixed_job(request, kind) or request.POST.get("job"))
    form = LINE_FORMS[kind](request.POST, prefix=f"{kind}-{job.id}")
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "job"}
        service = {
            "labour": services.labour_line_add,
            "part": services.part_line_add,
            "charge": services.charge_line_add,
        }[kind]
        _line, error = service_call(service, form=form, job=job, by=request.user, **data)
        if error is None:
            return _after_write(request, order.id)
    return _after_write(request, order.id, failed=(kind, job.id, form))


@login_required
@require_POST
def line_remove(request, repair_order_id: int):
    order = order_to_work(request, repair_order_id)
    form = LineRemoveForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        line = selectors.line_get(
            repair_order=order, kind=form.cleaned_data["kind"], line_id=form.cleaned_data["line"]
        )
    except NotFound as error:
        raise Http404 from error
    _result, error = service_call(services.line_remove, line=line, by=request.user)
    if error:
        messages.error(request, error.message)
    return _after_write(request, order.id)


@login_required
@require_POST
def move(request, repair_order_id: int):
    order = order_to_work(request, repair_order_id)
    form = MoveForm(request.POST)
    if form.is_valid():
        moved, error = service_call(
            services.repair_order_move, repair_order=order, by=request.user, to_status=form.cleaned_data["to_status"]
        )
        if error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("%(number)s is now: %(status)s.") % {"number": moved.number, "status": moved.get_status_display()}
            )
    return redirect_back(request, reverse("service:repair_order", args=[order.id]))


@login_required
@require_POST
def settle(request, repair_order_id: int):
    """Settle the bill: pickup from the workshop screen, or the order page's button."""
    order = order_to_work(request, repair_order_id)
    settled, error = service_call(services.repair_order_settle, repair_order=order, by=request.user)
    if error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(number)s settled: %(total)s. The car can go.") % {"number": settled.number, "total": settled.total},
        )
    return redirect_back(request, reverse("service:repair_order", args=[order.id]))


@login_required
@require_POST
def void(request, repair_order_id: int):
    order = order_to_work(request, repair_order_id)
    form = VoidForm(request.POST)
    if form.is_valid():
        voided, error = service_call(
            services.repair_order_void, form=form, repair_order=order, by=request.user, reason=form.cleaned_data["reason"]
        )
        if error is None:
            messages.success(request, _("%(number)s voided.") % {"number": voided.number})
            return redirect("service:repair_order", repair_order_id=order.id)
    return _render_page(request, order.id, failed=("void", None, form), status=422)


@login_required
@require_POST
def correct(request, repair_order_id: int):
    order = order_to_work(request, repair_order_id)
    correction, error = service_call(services.repair_order_correct, repair_order=order, by=request.user)
    if error:
        messages.error(request, error.message)
        return redirect("service:repair_order", repair_order_id=order.id)
    messages.success(
        request, _("Correction %(number)s opened: amend it and settle it.") % {"number": correction.number}
    )
    return redirect("service:repair_order", repair_order_id=correction.id)
