"""The lead list and the lead page with every action the role and stage allow."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.core.exceptions import NotFound
from crm.core.http import redirect_back, service_call
from crm.core.names import staff_name
from crm.network.models import DEALER_MANAGER_ROLES
from leads import permissions, selectors, services
from leads.dashboard.forms import FunnelFilterForm
from leads.dashboard.selectors import funnel_leads
from leads.figures.forms import FigureRowsForm
from leads.figures.selectors import figure_rows_for_user
from leads.forms import (
    AssignForm,
    ContactLogForm,
    DeliverForm,
    GradeForm,
    LeadFilterForm,
    LostProposeForm,
    MoveForm,
    OrderPlaceForm,
    QuestionnaireForm,
    QuoteForm,
    RejectForm,
    SmsForm,
    TestDriveForm,
    drive_slot_default,
)
from leads.models import Lead, Order, Stage
from leads.services.common import FUNNEL_ORDER
from leads.services.grading import questionnaire_active
from leads.views.common import lead_to_read, lead_to_work

# Lead list ------------------------------------------------------------------------------------------


@login_required
@require_GET
def lead_list(request):
    if not permissions.can_read_leads(request.access):
        raise Http404
    sources = list(selectors.lead_sources(user=request.user))
    managed = request.access.dealers_where(*DEALER_MANAGER_ROLES)
    people = list(selectors.salespeople(dealer_ids=managed)) if managed else []
    form = LeadFilterForm(request.GET or None, sources=sources, people=people)
    filters = form.cleaned_data if form.is_valid() else {}
    page = filters.get("page") or 1
    # A drill-down from the funnel dashboard carries its figure's filters: the list applies exactly the
    # same query (funnel_leads), so the number on the dashboard and the rows here always agree.
    drill_down = FunnelFilterForm(request.GET, user=request.user) if "arrived_from" in request.GET else None
    base = (
        funnel_leads(user=request.user, filters=drill_down.filters())
        if drill_down and drill_down.is_valid()
        else None
    )
    # A key figure's drill-down (leads.figures): the selection its measure counts, over the dealer's local days.
    figure = FigureRowsForm(request.GET, user=request.user) if "rows" in request.GET else None
    figure_rows = None
    if figure is not None:
        if not figure.is_valid():
            raise Http404
        figure_rows = figure_rows_for_user(user=request.user, **figure.cleaned_data)
        base = figure_rows.leads
    leads, has_next = selectors.leads_list(user=request.user, filters=filters, page=page, base=base)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "leads/list.html",
        {
            "form": form,
            "leads": leads,
            "page": page,
            "has_next": has_next,
            "query": query.urlencode(),
            "can_log_visits": permissions.can_log_visits(request.access),
            "can_import": permissions.can_import(request.access),
            "drill_down": base is not None,
            "figure_rows": figure_rows,
        },
    )


# Lead page ------------------------------------------------------------------------------------------


def _stage_steps(lead: Lead) -> list[dict]:
    current = FUNNEL_ORDER.index(lead.stage) if lead.stage in FUNNEL_ORDER else -1
    steps = [
        {"value": stage, "label": Stage(stage).label, "done": index < current, "current": index == current}
        for index, stage in enumerate(FUNNEL_ORDER)
    ]
    if lead.stage not in FUNNEL_ORDER:
        steps.append({"value": lead.stage, "label": lead.get_stage_display(), "done": False, "current": True})
    return steps


def _detail(request, lead_id: int, status: int = 200, **forms):
    try:
        context = selectors.lead_page(user=request.user, lead_id=lead_id)
    except NotFound as error:
        raise Http404 from error
    lead = context["lead"]
    access = request.access
    can_work = lead.is_open and permissions.can_work_lead(access, lead)
    can_manage = lead.is_open and permissions.can_manage_lead(access, lead)
    questionnaire = lead.questionnaire if lead.questionnaire_id else questionnaire_active()
    models = selectors.dealer_models(dealer_id=lead.dealer_id)
    context.update(
        stage_steps=_stage_steps(lead),
        can_work=can_work,
        can_manage=can_manage,
        can_contact=lead.is_open and permissions.can_contact_lead(access, lead),
        can_reach=lead.is_open and permissions.can_reach_through_system(access, lead),
        sms_form=SmsForm(),
        can_claim=lead.is_open and permissions.can_claim_lead(access, lead),
        is_pending_acceptance=lead.acceptance == Lead.Acceptance.PENDING,
        moves=[
            (stage.value, stage.label)
            for stage in sorted(services.MANUAL_MOVES.get(lead.stage, ()), key=FUNNEL_ORDER.index)
        ],
        questionnaire=questionnaire,
    )
    if can_work:
        context.update(
            contact_form=forms.get("contact_form") or ContactLogForm(),
            grade_form=forms.get("grade_form") or GradeForm(initial={"grade": lead.grade or "B"}),
            drive_form=forms.get("drive_form")
            or TestDriveForm(
                cars=selectors.demo_cars(dealer_id=lead.dealer_id),
                initial={"starts_at": drive_slot_default()},
            ),
            quote_form=forms.get("quote_form")
            or QuoteForm(initial={"model": (lead.models_of_interest or models or [""])[0]}),
            lost_form=forms.get("lost_form") or LostProposeForm(),
            place_form=OrderPlaceForm(),
            deliver_form=forms.get("deliver_form") or DeliverForm(),
            deliver_order_id=forms.get("deliver_order_id"),
        )
        if questionnaire is not None:
            context["questionnaire_form"] = forms.get("questionnaire_form") or QuestionnaireForm(
                initial=lead.answers, questionnaire=questionnaire, models=models
            )
    if can_manage:
        context.update(
            salespeople=list(selectors.salespeople(dealer_id=lead.dealer_id)),
            reject_form=forms.get("reject_form") or RejectForm(),
        )
    context["error"] = forms.get("error")
    return render(request, "leads/detail.html", context, status=status)


@login_required
@require_GET
def lead_detail(request, lead_id: int):
    lead_to_read(request, lead_id)
    return _detail(request, lead_id)


def _done(request, lead: Lead, text: str):
    messages.success(request, text)
    return redirect("leads:detail", lead_id=lead.id)


@login_required
@require_POST
def answers_record(request, lead_id: int):
    lead = lead_to_work(request, lead_id)
    questionnaire = lead.questionnaire if lead.questionnaire_id else questionnaire_active()
    if questionnaire is None:
        raise Http404
    form = QuestionnaireForm(
        request.POST, questionnaire=questionnaire, models=selectors.dealer_models(dealer_id=lead.dealer_id)
    )
    if form.is_valid():
        graded, error = service_call(
            services.lead_answers_record, lead=lead, by=request.user, answers=form.answers()
        )
        if not error:
            return _done(
                request, lead, _("Answers saved. Grade: %(grade)s.") % {"grade": graded.get_grade_display()}
            )
        form.add_application_error(error)
    return _detail(request, lead_id, status=400, questionnaire_form=form)


@login_required
@require_POST
def grade_set(request, lead_id: int):
    lead = lead_to_work(request, lead_id)
    form = GradeForm(request.POST)
    if form.is_valid():
        graded, error = service_call(services.lead_grade, lead=lead, by=request.user, **form.cleaned_data)
        if not error:
            return _done(request, lead, _("Grade set: %(grade)s.") % {"grade": graded.get_grade_display()})
        form.add_application_error(error)
    return _detail(request, lead_id, status=400, grade_form=form)


@login_required
@require_POST
def stage_move(request, lead_id: int):
    # The move reads the lead once, locked, within the user's scope, and checks who may work it (the
    # same rule as lead_to_work; refusals are the same 404): a busy salesperson's most frequent write.
    if not permissions.can_read_leads(request.access):
        raise Http404
    form = MoveForm(request.POST)
    if not form.is_valid():
        lead_to_work(request, lead_id)
        return _detail(request, lead_id, status=400, error=_("Choose a stage."))
    moved, error = service_call(
        services.lead_move, lead_id=lead_id, by=request.user, to_stage=form.cleaned_data["to_stage"]
    )
    if error:
        return _detail(request, lead_id, status=409, error=error.message)
    return _done(request, moved, _("Moved to %(stage)s.") % {"stage": moved.get_stage_display()})


@login_required
@require_POST
def test_drive_book(request, lead_id: int):
    lead = lead_to_work(request, lead_id)
    form = TestDriveForm(request.POST, cars=selectors.demo_cars(dealer_id=lead.dealer_id))
    if form.is_valid():
        data = form.cleaned_data
        drive, error = service_call(
            services.test_drive_book,
            lead=lead,
            by=request.user,
            demo_car=data["demo_car"],
            starts_at=data["starts_at"],
            minutes=data["minutes"],
        )
        if not error:
            return _done(
                request,
                lead,
                _("Test drive booked: %(car)s at %(time)s.")
                % {"car": drive.demo_car, "time": timezone.localtime(drive.starts_at).strftime("%H:%M")},
            )
        form.add_application_error(error)
    return _detail(request, lead_id, status=400, drive_form=form)


@login_required
@require_POST
def quote_add(request, lead_id: int):
    lead = lead_to_work(request, lead_id)
    form = QuoteForm(request.POST)
    if form.is_valid():
        order, error = service_call(services.order_quote, lead=lead, by=request.user, **form.cleaned_data)
        if not error:
            return _done(request, lead, _("Quote saved: %(order)s.") % {"order": order})
        form.add_application_error(error)
    return _detail(request, lead_id, status=400, quote_form=form)


def _order(lead: Lead, order_id: int) -> Order:
    order = selectors.order_get(lead=lead, order_id=order_id)
    if order is None:
        raise Http404
    return order


@login_required
@require_POST
def order_place(request, lead_id: int, order_id: int):
    lead = lead_to_work(request, lead_id)
    order = _order(lead, order_id)
    form = OrderPlaceForm(request.POST)
    if not form.is_valid():
        return _detail(request, lead_id, status=400, error=_("Check the deposit and the delivery date."))
    placed, error = service_call(services.order_place, order=order, by=request.user, **form.cleaned_data)
    if error:
        return _detail(request, lead_id, status=409, error=error.message)
    return _done(request, lead, _("Order placed: %(order)s.") % {"order": placed})


@login_required
@require_POST
def order_deliver(request, lead_id: int, order_id: int):
    lead = lead_to_work(request, lead_id)
    order = _order(lead, order_id)
    form = DeliverForm(request.POST)
    if form.is_valid():
        delivered, error = service_call(services.order_deliver, order=order, by=request.user, **form.cleaned_data)
        if not error:
            return _done(request, lead, _("Delivered. The call-backs are scheduled."))
        form.add_application_error(error)
    return _detail(request, lead_id, status=400, deliver_form=form, deliver_order_id=order.id)


@login_required
@require_POST
def lost_propose(request, lead_id: int):
    lead = lead_to_work(request, lead_id)
    form = LostProposeForm(request.POST)
    if form.is_valid():
        _verdict, error = service_call(services.lost_propose, lead=lead, by=request.user, **form.cleaned_data)
        if not error:
            return _done(request, lead, _("Proposed as lost: the sales manager decides."))
        form.add_application_error(error)
    return _detail(request, lead_id, status=400, lost_form=form)


@login_required
@require_POST
def assign(request, lead_id: int):
    lead = lead_to_work(request, lead_id, manager=True)
    form = AssignForm(request.POST, people=selectors.salespeople(dealer_id=lead.dealer_id))
    if not form.is_valid():
        return _detail(request, lead_id, status=400, error=_("Choose a salesperson or round-robin."))
    if form.cleaned_data.get("round_robin"):
        assigned, error = service_call(services.lead_assign_round_robin, lead=lead, by=request.user)
    else:
        assigned, error = service_call(services.lead_assign, lead=lead, by=request.user, to=form.cleaned_data["to"])
    if error:
        return _detail(request, lead_id, status=409, error=error.message)
    return _done(request, lead, _("Assigned to %(owner)s.") % {"owner": staff_name(assigned.owner)})


@login_required
@require_POST
def accept(request, lead_id: int):
    lead = lead_to_work(request, lead_id, manager=True)
    form = AssignForm(request.POST, people=selectors.salespeople(dealer_id=lead.dealer_id))
    to = form.cleaned_data.get("to") if form.is_valid() else None
    accepted, error = service_call(services.lead_accept, lead=lead, by=request.user, assign_to=to)
    if error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Lead accepted and assigned to %(owner)s.") % {"owner": staff_name(accepted.owner)}
        )
    return redirect_back(request, reverse("leads:detail", args=[lead.id]))


@login_required
@require_POST
def reject(request, lead_id: int):
    lead = lead_to_work(request, lead_id, manager=True)
    form = RejectForm(request.POST)
    if form.is_valid():
        _rejected, error = service_call(
            services.lead_reject, lead=lead, by=request.user, reason=form.cleaned_data["reason"]
        )
        if not error:
            messages.success(request, _("Lead rejected; the OEM sees your reason."))
            return redirect_back(request, reverse("leads:detail", args=[lead.id]))
        form.add_application_error(error)
    messages.error(request, _("Say why the lead is rejected: the OEM reads it."))
    return redirect_back(request, reverse("leads:detail", args=[lead.id]))
