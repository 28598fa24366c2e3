"""Sales managers' approvals: lost verdicts, OEM-issued leads, reassigning a departing salesperson's leads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.core.http import service_call
from crm.core.names import staff_name
from leads import selectors, services
from leads.forms import (
    LostDecideForm,
    ReassignAllForm,
)
from leads.views.common import managed_dealer

# Approvals (sales managers) -------------------------------------------------------------------------


def _approvals(request, dealer, reassign_form=None, reassign_count=None, status=200):
    context = selectors.approvals(user=request.user, dealer_id=dealer.id)
    context.update(
        dealer=dealer,
        reassign_form=reassign_form
        or ReassignAllForm(
            people=selectors.salespeople(dealer_id=dealer.id, active_only=False),
            active_people=selectors.salespeople(dealer_id=dealer.id),
        ),
        reassign_count=reassign_count,
        salespeople=list(selectors.salespeople(dealer_id=dealer.id)),
    )
    return render(request, "leads/approvals.html", context, status=status)


@login_required
@require_GET
def approvals(request):
    return _approvals(request, managed_dealer(request))


@login_required
@require_POST
def verdict_decide(request, verdict_id: int):
    managed_dealer(request)
    verdict = selectors.verdict_get(user=request.user, verdict_id=verdict_id)
    if verdict is None:
        raise Http404
    form = LostDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Approve or send back."))
        return redirect("leads:approvals")
    approve = form.cleaned_data["decision"] == "approve"
    _decided, error = service_call(
        services.lost_decide,
        verdict=verdict,
        by=request.user,
        approve=approve,
        note=form.cleaned_data["note"],
    )
    if error:
        messages.error(request, error.message)
    elif approve:
        messages.success(request, _("Lost verdict approved; the lead is closed."))
    else:
        messages.success(request, _("Sent back: the salesperson keeps following up."))
    return redirect("leads:approvals")


@login_required
@require_POST
def reassign_all(request):
    """Two steps: the first post shows how many leads would move; the confirmed one moves them."""
    dealer = managed_dealer(request)
    form = ReassignAllForm(
        request.POST,
        people=selectors.salespeople(dealer_id=dealer.id, active_only=False),
        active_people=selectors.salespeople(dealer_id=dealer.id),
    )
    if not form.is_valid():
        return _approvals(request, dealer, reassign_form=form, status=400)
    data = form.cleaned_data
    if not data["confirmed"]:
        count = selectors.open_leads_of(user=request.user, dealer_id=dealer.id, owner_id=data["from_user"].pk)
        return _approvals(request, dealer, reassign_form=form, reassign_count=count)
    moved, error = service_call(
        services.leads_reassign_all,
        dealer=dealer,
        from_user=data["from_user"],
        by=request.user,
        to=data["to"],
    )
    if error:
        form.add_application_error(error)
        return _approvals(request, dealer, reassign_form=form, status=409)
    messages.success(
        request,
        _("%(count)s open leads of %(name)s moved.") % {"count": moved, "name": staff_name(data["from_user"])},
    )
    return redirect("leads:approvals")
