"""Points redeemed against a repair order: the advisor turns points into a discount line on the order,
through service's own charge/discount service (so the order's totals and checks stay service's).

The redemption is reserved while the order is open: settling the order makes it final; voiding it releases
the reservation (the redeem entry is reversed, the points go back to their lots; those whose lots expired
meanwhile do not come back). Every redemption carries the caller's idempotency key: a retried request
returns the first redemption and writes nothing.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from crm.core.exceptions import NotFound
from crm.network.access import access_for
from loyalty.exceptions import NotAMember, NoTierDiscount, RedemptionTooLarge, RepairOrderNotRedeemable
from loyalty.models import Member, Redemption, TierDiscount
from loyalty.permissions import can_redeem, require
from loyalty.selectors.club import programme_current
from loyalty.services.ledger import points_redeem, points_reverse, whole_points
from service.exceptions import DiscountTooLarge
from service.models import ChargeLine, Job, LabourLine, PartLine, PayType, RepairOrder
from service.services.repair_orders import charge_line_add

CENT = Decimal("0.01")


def points_value(points: int) -> Decimal:
    return (Decimal(points) * programme_current().point_value).quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def points_redeem_on_repair_order(*, repair_order, points: int, by, idempotency_key: str) -> Redemption:
    """Spend the order's customer's points as a discount on the order's first customer-pay job.

    Raises NotAMember, RepairOrderNotRedeemable (closed order, no customer-pay job), InsufficientPoints,
    RedemptionTooLarge (the discount would exceed what the customer pays); nothing is written then."""
    existing = Redemption.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    repair_order = RepairOrder.objects.select_for_update().filter(id=repair_order.id).first()
    if repair_order is None:
        raise NotFound()
    require(can_redeem(access_for(by), repair_order.dealer_id))
    existing = Redemption.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:  # a concurrent retry committed while we waited for the order's lock
        return existing
    points = whole_points(points)
    member = Member.objects.filter(customer_id=repair_order.customer_id).first()
    if member is None:
        raise NotAMember()
    job = Job.objects.filter(repair_order=repair_order, pay_type=PayType.CUSTOMER).order_by("position", "id").first()
    if repair_order.is_closed or job is None:
        raise RepairOrderNotRedeemable()
    amount = points_value(points)
    if amount <= 0:
        raise RedemptionTooLarge()
    entry = points_redeem(
        member=member,
        points=points,
        idempotency_key=f"{idempotency_key}:entry",
        dealer=repair_order.dealer,
        by=by,
        repair_order=repair_order,
    )
    try:
        with transaction.atomic():
            line = charge_line_add(
                job=job,
                by=by,
                amount=amount,
                kind=ChargeLine.Kind.DISCOUNT,
                description=_("Owner club points: %(points)s") % {"points": points},
            )
    except DiscountTooLarge as error:
        raise RedemptionTooLarge() from error
    return Redemption.objects.create(
        member=member,
        dealer_id=repair_order.dealer_id,
        repair_order=repair_order,
        points=points,
        amount=amount,
        entry=entry,
        charge_line_id=line.id,
        idempotency_key=idempotency_key,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )


def _pass_on_if_merged(member_id: int, reversal) -> None:
    """Points returned to a membership merged since the redemption go on to the one it was merged into (the
    returning member is already locked by the reversal; the survivor is locked next)."""
    from loyalty.services.ledger import member_lock, points_transfer_open_lots
    from loyalty.services.merge import transfer_reason

    source = Member.objects.filter(id=member_id).first()
    if source is None or source.merged_into_id is None:
        return
    target = member_lock(source.merged_into_id)
    points_transfer_open_lots(
        source=source, target=target, key_prefix=f"merge:member:{source.id}:after:{reversal.id}",
        reason=transfer_reason(merged=source, survivor=target),
    )  # fmt: skip


@transaction.atomic
def redemptions_release(*, repair_order_id: int) -> int:
    """The order was voided: reverse each reserved redemption on it (idempotent: keyed by the redemption)."""
    released = 0
    for redemption in Redemption.objects.select_for_update().filter(
        repair_order_id=repair_order_id, status=Redemption.Status.RESERVED
    ):
        reversal = points_reverse(
            entry=redemption.entry,
            idempotency_key=f"release:redemption:{redemption.id}",
            reason="repair order voided",
        )
        Redemption.objects.filter(id=redemption.id).update(status=Redemption.Status.RELEASED, release_entry=reversal)
        _pass_on_if_merged(redemption.member_id, reversal)
        released += 1
    return released


@transaction.atomic
def redemptions_settle(*, repair_order_id: int) -> int:
    return Redemption.objects.filter(repair_order_id=repair_order_id, status=Redemption.Status.RESERVED).update(
        status=Redemption.Status.SETTLED
    )


@transaction.atomic
def tier_discount_apply(*, repair_order, by) -> TierDiscount:
    """The member's tier service discount on what the customer pays for the order's customer-pay jobs (before
    tax), as one discount line; at most once per order (a second call returns the first)."""
    existing = TierDiscount.objects.filter(repair_order_id=repair_order.id).first()
    if existing is not None:
        return existing
    repair_order = RepairOrder.objects.select_for_update().filter(id=repair_order.id).first()
    if repair_order is None:
        raise NotFound()
    require(can_redeem(access_for(by), repair_order.dealer_id))
    existing = TierDiscount.objects.filter(repair_order_id=repair_order.id).first()
    if existing is not None:
        return existing
    member = Member.objects.select_related("tier").filter(customer_id=repair_order.customer_id).first()
    if member is None:
        raise NotAMember()
    tier = member.tier
    if tier is None or tier.service_discount_percent <= 0:
        raise NoTierDiscount()
    job = Job.objects.filter(repair_order=repair_order, pay_type=PayType.CUSTOMER).order_by("position", "id").first()
    if repair_order.is_closed or job is None:
        raise RepairOrderNotRedeemable()
    customer_lines = Decimal(0)
    for model in (LabourLine, PartLine):
        customer_lines += model.objects.filter(
            job__repair_order=repair_order, job__pay_type=PayType.CUSTOMER
        ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    amount = (customer_lines * tier.service_discount_percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount <= 0:
        raise RepairOrderNotRedeemable()
    try:
        with transaction.atomic():
            line = charge_line_add(
                job=job,
                by=by,
                amount=amount,
                kind=ChargeLine.Kind.DISCOUNT,
                description=_("%(tier)s member discount %(percent)s %%")
                % {"tier": tier.display_name, "percent": tier.service_discount_percent.normalize()},
            )
    except DiscountTooLarge as error:
        raise RedemptionTooLarge() from error
    return TierDiscount.objects.create(
        repair_order=repair_order,
        member=member,
        tier=tier,
        percent=tier.service_discount_percent,
        amount=amount,
        charge_line_id=line.id,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
