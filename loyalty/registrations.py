"""What the owner club lends to the core's registries, imported once by LoyaltyConfig.ready(): the timeline
subscribers that earn points on deliveries, referrals and settled repair orders and release redemptions on
voided ones; the customer page's club panel; the header entries of the club's pages.

Each subscriber runs network-wide at most once per event (crm.timeline), and is idempotent by its subject
anyway (the order, the referred customer, the redemption), so a duplicated event never pays twice.
"""

from django.utils.translation import gettext_lazy as _

from crm.core.navigation import NavEntry, in_namespace, nav_register
from crm.customers.panels import CustomerPanel, panel_register
from crm.network.models import Dealer
from crm.timeline.registry import subscribe
from leads.events import LEAD_DELIVERED
from loyalty.permissions import can_configure_programme, can_read_loyalty, can_see_settlement
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
    from loyalty.views.club import enrol_dealer, member_summary

    if not can_read_loyalty(request.access):
        return None
    member = member_for(customer_id=customer.id)
    if member is not None:
        return member_summary(member)
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
