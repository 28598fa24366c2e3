"""What the owner club lends to the core's registries, imported once by LoyaltyConfig.ready(): the timeline
subscribers that earn points on deliveries, referrals and settled repair orders and release redemptions on
voided ones; the customer page's club panel; the header entries of the club's pages.

Each subscriber runs network-wide at most once per event (crm.timeline), and is idempotent by its subject
anyway (the order, the referred customer, the redemption), so a duplicated event never pays twice.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.key_figures import (
    FigureValue,
    KeyFigure,
    Measure,
    MeasureKind,
    Unit,
    figure_register,
    measure_register,
    ratio,
    total_of,
)
from crm.core.navigation import NavEntry, in_namespace, nav_register
from crm.customers.panels import CustomerPanel, panel_register
from crm.messaging.registry import CareTrigger, SegmentFilter, care_trigger_register, segment_filter_register
from crm.network.models import Dealer
from crm.timeline.registry import subscribe
from leads.events import LEAD_DELIVERED
from loyalty.events import MEMBER_JOINED
from loyalty.models import Tier
from loyalty.permissions import can_configure_programme, can_read_loyalty, can_see_settlement
from loyalty.selectors import figures, segments
from loyalty.services.earning import earn_on_delivery, earn_on_repair_order_settled
from loyalty.services.redemption import redemptions_release
from service.events import REPAIR_ORDER_SETTLED, REPAIR_ORDER_VOIDED


def on_delivery(event) -> None:
    data = event.data or {}
    if event.dealer_id is None or "order" not in data:
        return
    earn_on_delivery(
        customer_id=event.customer_id,
        dealer=Dealer.objects.get(id=event.dealer_id),
        order_id=data["order"],
        lead_id=data.get("lead"),
    )


def on_repair_order_settled(event) -> None:
    data = event.data or {}
    earn_on_repair_order_settled(
        customer_id=event.customer_id,
        repair_order_id=data["repair_order"],
        customer_pay_total=data.get("customer_pay_total") or "0",
        settled_at=data.get("settled_at"),
    )


def on_repair_order_voided(event) -> None:
    redemptions_release(repair_order_id=(event.data or {})["repair_order"])


subscribe(name="loyalty.delivery", kinds={LEAD_DELIVERED}, handler=on_delivery)
subscribe(name="loyalty.repair_order_settled", kinds={REPAIR_ORDER_SETTLED}, handler=on_repair_order_settled)
subscribe(name="loyalty.repair_order_voided", kinds={REPAIR_ORDER_VOIDED}, handler=on_repair_order_voided)


# --- The customer page's club panel and the header -----------------------------------------------------------


def customer_panel_context(request, customer) -> dict | None:
    """The member's tier, balance, points expiring soon and pending; or, for a customer who is not a member,
    the sign-up form when the viewer works at a dealer that knows the customer."""
    from loyalty.forms import EnrolForm
    from loyalty.selectors.club import member_for
    from loyalty.views.club import enrol_dealer, member_summary, redeemable_repair_orders

    if not can_read_loyalty(request.access):
        return None
    member = member_for(customer_id=customer.id)
    if member is not None:
        return {**member_summary(member), "redeemable": redeemable_repair_orders(request, customer)}
    dealer = enrol_dealer(request, customer)
    if dealer is None:
        return None
    return {"member": None, "customer": customer, "dealer": dealer, "form": EnrolForm()}


panel_register(
    CustomerPanel(
        key="loyalty_membership",
        order=30,
        column="side",
        template="loyalty/_customer_panel.html",
        context=customer_panel_context,
    )
)

nav_register(
    NavEntry(
        key="loyalty_members",
        label=_("Owner club"),
        url_name="loyalty:members",
        icon="award",
        order=45,
        allowed=can_read_loyalty,
        is_here=in_namespace("loyalty", names={"members", "member", "statement", "redeem"}),
        is_secondary=True,
    ),
    NavEntry(
        key="loyalty_programme",
        label=_("Loyalty programme"),
        url_name="loyalty:programme",
        icon="sliders",
        order=46,
        allowed=can_configure_programme,
        is_here=in_namespace("loyalty", names={"programme"}),
        is_secondary=True,
    ),
    NavEntry(
        key="loyalty_settlement",
        label=_("Points settlement"),
        url_name="loyalty:settlement",
        icon="arrow-left-right",
        order=47,
        allowed=can_see_settlement,
        is_here=in_namespace("loyalty", names={"settlement"}),
        is_secondary=True,
    ),
)


# --- Key figures ---------------------------------------------------------------------------------------------


def _distinct_count(code: str):
    def combine(totals):
        members = set(totals[code])
        return FigureValue(len(members), len(members), None)

    return combine


measure_register(
    Measure("loyalty.points_issued", MeasureKind.SUM, figures.points_issued),
    Measure("loyalty.points_redeemed", MeasureKind.SUM, figures.points_redeemed),
    Measure("loyalty.active_member_ids", MeasureKind.VALUES, figures.active_member_ids),
    Measure("loyalty.members_joined", MeasureKind.COUNT, figures.members_joined, changed_by=(MEMBER_JOINED,)),
    Measure("loyalty.deliveries", MeasureKind.COUNT, figures.deliveries, changed_by=(LEAD_DELIVERED,)),
    Measure("loyalty.loyal_deliveries", MeasureKind.COUNT, figures.loyal_deliveries, changed_by=(LEAD_DELIVERED,)),
)
figure_register(
    KeyFigure(
        code="loyalty.loyalty_index",
        owner="loyalty",
        label=_("Loyalty index"),
        unit=Unit.PERCENT,
        higher_is_better=True,
        definition=_(
            "Share of the period's deliveries that went to an owner who already had a car, or came through an "
            "owner's referral."
        ),
        measures=("loyalty.loyal_deliveries", "loyalty.deliveries"),
        combine=ratio("loyalty.loyal_deliveries", "loyalty.deliveries"),
        group="loyalty",
        order=10,
    ),
    KeyFigure(
        code="loyalty.active_members",
        owner="loyalty",
        label=_("Active club members"),
        unit=Unit.COUNT,
        higher_is_better=True,
        definition=_("Club members who earned or redeemed points at the dealer in the period, each counted once."),
        measures=("loyalty.active_member_ids",),
        combine=_distinct_count("loyalty.active_member_ids"),
        group="loyalty",
        order=20,
        is_scorable=False,
    ),
    KeyFigure(
        code="loyalty.new_members",
        owner="loyalty",
        label=_("New club members"),
        unit=Unit.COUNT,
        higher_is_better=True,
        definition=_("Owners who joined the club with the dealer as home dealer in the period."),
        measures=("loyalty.members_joined",),
        combine=total_of("loyalty.members_joined"),
        group="loyalty",
        order=30,
        is_scorable=False,
    ),
    KeyFigure(
        code="loyalty.points_issued",
        owner="loyalty",
        label=_("Points issued"),
        unit=Unit.COUNT,
        higher_is_better=True,
        definition=_("Points members earned at the dealer in the period (what the programme now owes them)."),
        measures=("loyalty.points_issued",),
        combine=total_of("loyalty.points_issued"),
        group="loyalty",
        order=40,
        is_scorable=False,
    ),
    KeyFigure(
        code="loyalty.points_redeemed",
        owner="loyalty",
        label=_("Points redeemed"),
        unit=Unit.COUNT,
        higher_is_better=True,
        definition=_("Points members spent at the dealer in the period, net of redemptions released."),
        measures=("loyalty.points_redeemed",),
        combine=total_of("loyalty.points_redeemed"),
        group="loyalty",
        order=50,
        is_scorable=False,
    ),
)


# --- Messaging: segment filters and the "points expiring soon" care occasion ---------------------------------


def _tier_choices():
    return [(tier.code, tier.display_name) for tier in Tier.objects.order_by("rank")]


def _by_tier(customers, value, dealer_id):
    allowed = {code for code, _label in _tier_choices()}
    codes = [str(v) for v in (value if isinstance(value, list | tuple) else [value]) if str(v) in allowed]
    return segments.by_tier(customers, codes) if codes else customers.none()


def _whole_number(value, *, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _by_balance(customers, value, dealer_id):
    points = _whole_number(value, low=0, high=100_000_000)
    return segments.by_balance_at_least(customers, points) if points is not None else customers.none()


def _by_expiring(customers, value, dealer_id):
    days = _whole_number(value, low=1, high=366)
    return segments.by_expiring_within(customers, days) if days is not None else customers.none()


segment_filter_register(
    SegmentFilter(
        key="loyalty_tier",
        label=_("Club tier"),
        field=lambda: forms.MultipleChoiceField(
            label=_("Club tier"), required=False, choices=_tier_choices(), widget=forms.CheckboxSelectMultiple
        ),
        apply=_by_tier,
        group="loyalty",
        order=400,
    )
)
segment_filter_register(
    SegmentFilter(
        key="loyalty_balance_at_least",
        label=_("Points balance at least"),
        field=lambda: forms.IntegerField(label=_("Points balance at least"), required=False, min_value=0),
        apply=_by_balance,
        group="loyalty",
        order=410,
    )
)
segment_filter_register(
    SegmentFilter(
        key="loyalty_expiring_within_days",
        label=_("Points expiring within (days)"),
        field=lambda: forms.IntegerField(
            label=_("Points expiring within (days)"), required=False, min_value=1, max_value=366
        ),
        apply=_by_expiring,
        group="loyalty",
        order=420,
    )
)
care_trigger_register(
    CareTrigger(
        key="points_expiring",
        label=_("Points expiring in 30 days"),
        due=segments.expiring_on_reminder_day,
    )
)
