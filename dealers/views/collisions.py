"""The OEM's cross-dealer collisions, and the dealer value ledger (the dealer's own, or the OEM's dealers')."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.core.exceptions import ApplicationError, NotFound, PermissionDenied
from crm.network.access import dealers_visible
from dealers import permissions
from dealers.forms import CollisionDecideForm, overseen_dealers
from dealers.models import OemRead
from dealers.selectors.collisions import collisions_for_user
from dealers.selectors.ledger import value_ledger
from dealers.services.collisions import collision_decide
from dealers.views.common import allowed_or_404
from dealers.views.read_log import records_oem_read, shown


@login_required
@require_GET
@allowed_or_404(permissions.can_see_collisions)
def collision_list(request):
    show_decided = request.GET.get("decided") == "1"
    collisions = collisions_for_user(user=request.user, include_decided=show_decided)
    rows = [
        {
            "collision": collision,
            "form": CollisionDecideForm(
                initial={"customer": collision.customer.id, "leads": ",".join(map(str, collision.lead_ids))},
                dealers=sorted({lead.dealer for lead in collision.leads}, key=lambda d: d.code),
                prefix=f"c{collision.customer.id}",
            )
            if collision.decision is None
            else None,
        }
        for collision in collisions
    ]
    return render(request, "dealers/collisions.html", {"rows": rows, "show_decided": show_decided})


@login_required
@require_POST
@allowed_or_404(permissions.can_see_collisions)
def collision_decide_view(request):
    prefixed = [key for key in request.POST if key.endswith("-decision")]
    form = CollisionDecideForm(request.POST, prefix=prefixed[0].removesuffix("-decision") if prefixed else None)
    form.fields["kept_dealer"].choices = [("", "—"), *[(d.id, d.name) for d in dealers_visible(request.user)]]
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("dealers:collision_list")
    data = form.cleaned_data
    try:
        collision_decide(
            by=request.user, customer_id=data["customer"], lead_ids=data["leads"], decision=data["decision"],
            kept_dealer_id=data["kept_dealer"], note=data["note"],
        )
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("dealers:collision_list")


def _ledger_dealers(request):
    if permissions.oversees_dealers(request.access):
        return list(overseen_dealers(request.user).order_by("code"))
    own = request.access.dealers_where(*permissions.DEALER_READERS)
    return list(dealers_visible(request.user).filter(id__in=own).order_by("code"))


@login_required
@require_GET
@allowed_or_404(permissions.can_see_value_ledger)
@records_oem_read(OemRead.Subject.VALUE_LEDGER)
def value_ledger_page(request):
    dealers = _ledger_dealers(request)
    if not dealers:
        raise Http404
    wanted = request.GET.get("dealer", "")
    dealer = next((d for d in dealers if str(d.id) == wanted), dealers[0])
    shown(request, dealer.id)
    return render(
        request,
        "dealers/ledger.html",
        {"dealer": dealer, "dealers": dealers, "ledger": value_ledger(user=request.user, dealer_id=dealer.id)},
    )
