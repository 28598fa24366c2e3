"""My day (the salesperson's start page), the team view (the sales manager's), one-click contact logging,
claiming unowned leads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.core.http import is_htmx, redirect_back, service_call
from leads import permissions, selectors, services
from leads.exceptions import LeadAlreadyClaimed
from leads.forms import (
    ContactLogForm,
)
from leads.views.common import lead_to_work, managed_dealer

# My day ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def my_day(request):
    if not permissions.can_log_visits(request.access):
        raise Http404
    context = selectors.my_day(user=request.user)
    context["is_salesperson"] = request.access.has_role("salesperson")
    return render(request, "leads/my_day.html", context)


@login_required
@require_POST
def contact_log(request, lead_id: int):
    """One-click contact logging (HTMX inline on My day, a plain form on the lead page)."""
    lead = lead_to_work(request, lead_id)
    if not permissions.can_contact_lead(request.access, lead):
        raise Http404
    form = ContactLogForm(request.POST)
    attempt, error = None, None
    if form.is_valid():
        attempt, error = service_call(services.contact_log, lead=lead, by=request.user, **form.cleaned_data)
        if error:
            form.add_application_error(error)
    if is_htmx(request):
        if attempt is not None:
            lead.refresh_from_db(fields=["next_follow_up_at", "stage"])
            return render(request, "leads/_contact_done.html", {"lead": lead, "attempt": attempt})
        return render(request, "leads/_contact_inline.html", {"lead": lead, "form": form})
    if attempt is not None:
        messages.success(
            request,
            _("Logged: %(channel)s, %(outcome)s.")
            % {"channel": attempt.get_channel_display(), "outcome": attempt.get_outcome_display()},
        )
    else:
        for message in form.non_field_errors() or [_("Choose a channel and an outcome.")]:
            messages.error(request, message)
    return redirect_back(request, reverse("leads:detail", args=[lead.id]))


@login_required
@require_POST
def claim(request, lead_id: int):
    lead = lead_to_work(request, lead_id)
    claimed, error = service_call(services.lead_claim, lead=lead, by=request.user)
    if isinstance(error, LeadAlreadyClaimed):
        messages.warning(
            request, _("Already claimed by %(owner)s.") % {"owner": error.extra.get("owner") or "?"}
        )
    elif error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The lead is yours: contact them before the clock runs out."))
    return redirect_back(request, reverse("leads:my_day"))


@login_required
@require_GET
def team(request):
    """The sales manager's landing: the team's overdue follow-ups and uncontacted new leads per salesperson."""
    dealer = managed_dealer(request)
    context = selectors.team_day(user=request.user, dealer=dealer)
    context["dealer"] = dealer
    return render(request, "leads/team.html", context)
