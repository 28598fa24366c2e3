"""The showroom visit log: the salesperson's main screen on the floor."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.core.http import service_call
from crm.core.names import customer_name, staff_name
from crm.customers.normalize import digits
from leads import selectors, services
from leads.forms import (
    GRADE_MEANINGS,
    NEXT_STEPS,
    VisitForm,
)
from leads.views.common import sales_dealer

# Showroom visit log ---------------------------------------------------------------------------------


def _visit_message(result, name: str) -> tuple[int, str]:
    if result.lead is None:
        return messages.SUCCESS, _("Anonymous visit counted in today's showroom traffic.")
    customer = customer_name(result.lead.customer) if result.lead.customer_id else name
    if result.owned_by_other is not None:
        return messages.WARNING, _(
            "%(customer)s already has an open lead owned by %(owner)s: the visit joined that lead, and "
            "%(owner)s sees it."
        ) % {"customer": customer, "owner": staff_name(result.owned_by_other)}
    if result.customer_created:
        return messages.SUCCESS, _(
            "New customer %(customer)s created, with a walk-in lead owned by you. A call is scheduled for "
            "tomorrow morning."
        ) % {"customer": customer}
    return messages.SUCCESS, _("Visit added to %(customer)s's lead.") % {"customer": customer}


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request):
    dealer = sales_dealer(request)
    form = VisitForm(request.POST or None, initial={"arrived_at": timezone.localtime()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result, error = service_call(
            services.visit_log,
            by=request.user,
            dealer=dealer,
            phone=data["phone"],
            name=data["name"],
            party_size=data["party_size"],
            arrived_at=data["arrived_at"],
            left_at=data["left_at"],
            models_of_interest=data["models"],
            grade=data["grade"],
            next_step=form.next_step_words(),
            note=data["note"],
        )
        if error:
            form.add_application_error(error)
        else:
            level, text = _visit_message(result, data["name"] or data["phone"])
            messages.add_message(request, level, text)
            return redirect(f"{reverse('leads:visit_new')}?dealer={dealer.id}&logged={result.visit.id}")
    visits, traffic = selectors.visits_today(user=request.user, dealer_id=dealer.id)
    models = selectors.dealer_models(dealer_id=dealer.id)
    chosen = (form["models"].value() or []) if form.is_bound else []
    return render(
        request,
        "leads/visit_new.html",
        {
            "form": form,
            "dealer": dealer,
                        "models": models,
            "chosen_models": chosen,
            "grades": GRADE_MEANINGS,
            "next_steps": NEXT_STEPS,
            "visits": visits,
            "traffic": traffic,
            "logged_id": request.GET.get("logged", ""),
        },
    )


@login_required
@require_GET
def visit_lookup(request):
    """As the phone is typed: is this a returning customer of the dealer? (HTMX partial)"""
    dealer = sales_dealer(request)
    phone = request.GET.get("phone", "")
    found = None
    if len(digits(phone)) >= 7:
        found = selectors.returning_customer(user=request.user, dealer_id=dealer.id, phone=phone)
    return render(request, "leads/_visit_lookup.html", {"found": found, "searched": len(digits(phone)) >= 7})
