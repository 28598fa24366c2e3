"""Mystery shops: the OEM's alone. Recording one, its reconciliation with the dealer's records, and the
finding a failed reconciliation may open."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import ApplicationError, NotFound, PermissionDenied
from dealers import permissions
from dealers.forms import MysteryFindingForm, MysteryShopForm
from dealers.models import OemRead
from dealers.selectors import audits as selectors
from dealers.services import mystery as services
from dealers.views.common import allowed_or_404
from dealers.views.read_log import records_oem_read, shown


@login_required
@require_GET
@allowed_or_404(permissions.can_see_mystery_shops)
def shop_list(request):
    shops = selectors.mystery_shops_for_user(user=request.user).prefetch_related("findings")[:300]
    return render(request, "dealers/mystery/list.html", {"shops": shops})


@login_required
@require_http_methods(["GET", "POST"])
@allowed_or_404(permissions.can_see_mystery_shops)
def shop_new(request):
    form = MysteryShopForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            shop = services.mystery_shop_record(
                dealer=data["dealer"], by=request.user, kind=data["kind"], occurred_at=data["occurred_at"],
                shopper_phone=data["shopper_phone"], shopper_name=data["shopper_name"],
                scenario=data["scenario"], behaviours=form.behaviours(),
            )
            services.mystery_shop_reconcile(shop=shop, by=request.user)
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            return redirect("dealers:shop_detail", shop_id=shop.id)
    return render(request, "dealers/mystery/new.html", {"form": form})


@login_required
@require_GET
@allowed_or_404(permissions.can_see_mystery_shops)
@records_oem_read(OemRead.Subject.MYSTERY_SHOP)
def shop_detail(request, shop_id: int):
    shop = selectors.mystery_shop_get(user=request.user, shop_id=shop_id)
    shown(request, shop.dealer_id)
    finding = shop.findings.first()
    return render(
        request,
        "dealers/mystery/detail.html",
        {
            "shop": shop,
            "finding": finding,
            "finding_form": MysteryFindingForm(initial={"due_on": timezone.localdate() + timedelta(days=7)})
            if finding is None and shop.is_passed is False
            else None,
        },
    )


@login_required
@require_POST
@allowed_or_404(permissions.can_see_mystery_shops)
def shop_reconcile(request, shop_id: int):
    shop = selectors.mystery_shop_get(user=request.user, shop_id=shop_id)
    services.mystery_shop_reconcile(shop=shop, by=request.user)
    messages.success(request, _("Reconciled with the dealer's records as they are now."))
    return redirect("dealers:shop_detail", shop_id=shop.id)


@login_required
@require_POST
@allowed_or_404(permissions.can_see_mystery_shops)
def shop_finding(request, shop_id: int):
    shop = selectors.mystery_shop_get(user=request.user, shop_id=shop_id)
    form = MysteryFindingForm(request.POST)
    if form.is_valid():
        try:
            finding = services.mystery_shop_finding_open(shop=shop, by=request.user, due_on=form.cleaned_data["due_on"])
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            return redirect("dealers:finding_detail", finding_id=finding.id)
    else:
        messages.error(request, _("Give a due date."))
    return redirect("dealers:shop_detail", shop_id=shop.id)
