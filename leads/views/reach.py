"""Reaching the customer through the system from the lead page: click-to-call (the provider rings the
salesperson, then bridges the customer; the page shows "calling…" until the provider's record turns into
the contact attempt) and a text through the outbox. Both are witnessed contacts (leads/verification.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.core.http import is_htmx, redirect_back, service_call
from leads import permissions, selectors, services
from leads.forms import SmsForm
from leads.views.common import lead_to_read


def _lead_to_reach(request, lead_id: int):
    lead = lead_to_read(request, lead_id)
    if not permissions.can_reach_through_system(request.access, lead):
        raise Http404
    return lead


@login_required
@require_POST
def call_start(request, lead_id: int):
    """Click-to-call. With HTMX the answer is the call's status panel, which polls until the outcome."""
    lead = _lead_to_reach(request, lead_id)
    call, error = service_call(services.lead_call_start, lead=lead, by=request.user)
    if is_htmx(request):
        context = {"lead": lead, "call": call, "error": error}
        if call is not None:
            context.update(selectors.lead_call_status(lead=lead, call_id=call.id))
        return render(request, "leads/_call_status.html", context)
    if error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Calling: your phone rings first, then the customer's."))
    return redirect_back(request, reverse("leads:detail", args=[lead.id]))


@login_required
@require_GET
def call_status(request, lead_id: int, call_id: int):
    lead = _lead_to_reach(request, lead_id)
    status = selectors.lead_call_status(lead=lead, call_id=call_id)
    if status["call"] is None:
        raise Http404
    return render(request, "leads/_call_status.html", {"lead": lead, **status})


@login_required
@require_POST
def sms_send(request, lead_id: int):
    """A text to the customer through the outbox; the attempt is verified once the gateway delivers it."""
    lead = _lead_to_reach(request, lead_id)
    form = SmsForm(request.POST)
    if form.is_valid():
        _attempt, error = service_call(services.lead_sms_send, lead=lead, by=request.user, **form.cleaned_data)
        if error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Text queued: it counts as verified once the gateway delivers it."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect_back(request, reverse("leads:detail", args=[lead.id]))
