"""The advisor redeems a member's points on an open repair order: the points become a discount line."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.core.http import service_call
from loyalty.forms import RedeemForm
from loyalty.models import Member, Redemption, TierDiscount
from loyalty.permissions import can_redeem
from loyalty.selectors.club import programme_current
from loyalty.selectors.ledger import balance_of
from loyalty.services.redemption import points_redeem_on_repair_order, tier_discount_apply
from service.models import RepairOrder


@login_required
@require_http_methods(["GET", "POST"])
def redeem(request, repair_order_id: int):
    repair_order = (
        RepairOrder.objects.select_related("customer", "dealer", "vehicle").filter(id=repair_order_id).first()
    )
    if repair_order is None or not can_redeem(request.access, repair_order.dealer_id):
        raise Http404
    member = Member.objects.select_related("tier").filter(customer_id=repair_order.customer_id).first()
    form = RedeemForm(request.POST or None)
    status = 200
    if request.method == "POST" and member is not None:
        if form.is_valid():
            redemption, _error = service_call(
                points_redeem_on_repair_order,
                form=form,
                repair_order=repair_order,
                points=form.cleaned_data["points"],
                by=request.user,
                idempotency_key=f"redeem:{repair_order.id}:{form.cleaned_data['request_key']}",
            )
            if redemption is not None:
                messages.success(
                    request,
                    _("%(points)s points redeemed: %(amount)s yuan off this repair order.")
                    % {"points": redemption.points, "amount": redemption.amount},
                )
                return redirect("loyalty:redeem", repair_order.id)
        status = 400
    return render(
        request,
        "loyalty/redeem.html",
        {
            "repair_order": repair_order,
            "member": member,
            "balance": balance_of(member=member) if member else 0,
            "point_value": programme_current().point_value,
            "form": form,
            "redemptions": list(
                Redemption.objects.filter(repair_order=repair_order).order_by("-created_at")
            ),
            "tier_discount": TierDiscount.objects.filter(repair_order=repair_order).first(),
        },
        status=status,
    )


@login_required
@require_POST
def tier_discount(request, repair_order_id: int):
    repair_order = RepairOrder.objects.filter(id=repair_order_id).first()
    if repair_order is None or not can_redeem(request.access, repair_order.dealer_id):
        raise Http404
    applied, error = service_call(tier_discount_apply, repair_order=repair_order, by=request.user)
    if error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Tier discount applied: %(amount)s yuan.") % {"amount": applied.amount})
    return redirect("loyalty:redeem", repair_order.id)
