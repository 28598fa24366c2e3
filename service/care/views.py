"""Complaint and call-back pages. Views only check who may open them, validate a form, call one selector
and/or one service, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import NotFound
from crm.core.http import service_call
from service.care import permissions, selectors, services
from service.care.forms import (
    AssignForm,
    CallBackForm,
    CloseForm,
    ComplaintForm,
    NoteForm,
    ReopenForm,
    ResolveForm,
)
from service.models import CallBack, Complaint


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _complaint(request, complaint_id: int) -> Complaint:
    try:
        return selectors.complaint_get(user=request.user, complaint_id=complaint_id)
    except NotFound as error:
        raise Http404 from error


@login_required
@require_GET
def complaints(request):
    if not permissions.can_read_complaints(request.access):
        raise Http404
    which = request.GET.get("show", "open")
    if which not in selectors.COMPLAINT_FILTERS:
        which = "open"
    dealer_id = _int(request.GET.get("dealer"))
    rows = list(selectors.complaints_for_user(user=request.user, which=which, dealer_id=dealer_id)[:200])
    now = timezone.now()
    return render(
        request,
        "service/care/complaints.html",
        {
            "complaints": [(complaint, complaint.is_overdue(now)) for complaint in rows],
            "which": which,
            "filters": [
                ("open", _("Open")),
                ("overdue", _("Overdue")),
                ("mine", _("Mine")),
                ("closed", _("Closed")),
                ("all", _("All")),
            ],
            "can_log": permissions.logs_complaints(request.access),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request):
    """Step 1: find the customer (phone, name, plate, VIN); step 2: the dealer, the order, the words."""
    if not permissions.logs_complaints(request.access):
        raise Http404
    customer_id = _int(request.GET.get("customer") or request.POST.get("customer"))
    if customer_id is None:
        text = request.GET.get("q", "")[:100]
        return render(
            request,
            "service/care/complaint_find.html",
            {"q": text, "matches": selectors.complaint_customer_matches(user=request.user, text=text)},
        )
    try:
        customer = selectors.complaint_customer(user=request.user, customer_id=customer_id)
    except NotFound as error:
        raise Http404 from error
    dealers = selectors.complaint_dealer_choices(user=request.user)
    dealer_id = _int(request.POST.get("dealer") or request.GET.get("dealer"))
    if dealer_id is None and dealers.count() == 1:
        dealer_id = dealers.first().id
    repair_orders = selectors.complaint_repair_orders(customer=customer, dealer_id=dealer_id or 0)
    form = ComplaintForm(request.POST or None, dealers=dealers, repair_orders=repair_orders)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        source = (
            Complaint.Source.CALL_CENTRE
            if permissions.logs_complaints_anywhere(request.access)
            else Complaint.Source.DEALER
        )
        complaint, error = service_call(
            services.complaint_open,
            form=form,
            dealer=data["dealer"],
            customer=customer,
            repair_order=data["repair_order"],
            category=data["category"],
            severity=data["severity"],
            source=source,
            summary=data["summary"],
            opened_by=request.user,
        )
        if not error:
            messages.success(request, _("Complaint #%(id)s opened.") % {"id": complaint.id})
            return redirect("service_care:complaint_detail", complaint_id=complaint.id)
    return render(
        request,
        "service/care/complaint_new.html",
        {"form": form, "customer": customer, "dealer_id": dealer_id},
    )


@login_required
@require_GET
def complaint_detail(request, complaint_id: int):
    complaint = _complaint(request, complaint_id)
    can_work = permissions.can_work_complaint(request.access, complaint.dealer_id) and not complaint.is_closed
    return render(
        request,
        "service/care/complaint_detail.html",
        {
            "complaint": complaint,
            "is_overdue": complaint.is_overdue(),
            "entries": selectors.complaint_entries(complaint=complaint),
            "can_work": can_work,
            "note_form": NoteForm(),
            "resolve_form": ResolveForm(),
            "close_form": CloseForm(),
            "reopen_form": ReopenForm(),
            "assign_form": AssignForm(owners=selectors.complaint_owner_choices(complaint=complaint))
            if can_work
            else None,
        },
    )


def _act(request, complaint_id: int, form_class, service, form_kwargs=None):
    """Run one complaint action from its form; errors come back as a message on the complaint's page."""
    complaint = _complaint(request, complaint_id)
    form = form_class(request.POST, **(form_kwargs(complaint) if form_kwargs else {}))
    if form.is_valid():
        _result, error = service_call(service, complaint=complaint, by=request.user, **form.cleaned_data)
        if error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("service_care:complaint_detail", complaint_id=complaint.id)


@login_required
@require_POST
def complaint_note(request, complaint_id: int):
    return _act(request, complaint_id, NoteForm, services.complaint_note)


@login_required
@require_POST
def complaint_resolve(request, complaint_id: int):
    return _act(request, complaint_id, ResolveForm, services.complaint_resolve)


@login_required
@require_POST
def complaint_close(request, complaint_id: int):
    return _act(request, complaint_id, CloseForm, services.complaint_close)


@login_required
@require_POST
def complaint_reopen(request, complaint_id: int):
    return _act(request, complaint_id, ReopenForm, services.complaint_reopen)


@login_required
@require_POST
def complaint_assign(request, complaint_id: int):
    return _act(
        request,
        complaint_id,
        AssignForm,
        services.complaint_assign,
        form_kwargs=lambda complaint: {"owners": selectors.complaint_owner_choices(complaint=complaint)},
    )


@login_required
@require_GET
def call_backs(request):
    if not permissions.can_read_call_backs(request.access):
        raise Http404
    which = request.GET.get("show", "due")
    if which not in selectors.CALL_BACK_FILTERS:
        which = "due"
    rows = list(selectors.call_backs_for_user(user=request.user, which=which)[:200])
    return render(
        request,
        "service/care/call_backs.html",
        {
            "call_backs": [
                (
                    call_back,
                    not call_back.is_done
                    and call_back.advisor_id != request.user.id
                    and permissions.can_make_call_back(request.access, call_back.dealer_id),
                )
                for call_back in rows
            ],
            "which": which,
            "filters": [
                ("due", _("Due")),
                ("mine", _("Mine")),
                ("queue", _("Call-centre queue")),
                ("upcoming", _("Upcoming")),
                ("done", _("Done")),
            ],
            "outcomes": CallBack.Outcome.choices,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def call_back_record(request, call_back_id: int):
    try:
        call_back = selectors.call_back_get(user=request.user, call_back_id=call_back_id)
    except NotFound as error:
        raise Http404 from error
    form = CallBackForm(request.POST)
    back = request.POST.get("show", "due")
    target = (
        f"{reverse('service_care:call_backs')}?show={back if back in selectors.CALL_BACK_FILTERS else 'due'}"
    )
    if not form.is_valid():
        messages.error(request, _("Choose the call's outcome."))
        return redirect(target)
    recorded, error = service_call(
        services.call_back_record, call_back=call_back, by=request.user, **form.cleaned_data
    )
    if error:
        messages.error(request, str(error.message))
    elif recorded.complaint_id:
        messages.warning(
            request, _("Call-back recorded; complaint #%(id)s opened.") % {"id": recorded.complaint_id}
        )
        return redirect("service_care:complaint_detail", complaint_id=recorded.complaint_id)
    else:
        messages.success(request, _("Call-back recorded."))
    return redirect(target)
