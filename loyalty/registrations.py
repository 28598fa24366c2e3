"""What the owner club lends to the core's registries, imported once by LoyaltyConfig.ready(): the timeline
subscribers that earn points on deliveries, referrals and settled repair orders and release redemptions on
voided ones; the customer page's club panel; the header entries of the club's pages.

Each subscriber runs network-wide at most once per event (crm.timeline), and is idempotent by its subject
anyway (the order, the referred customer, the redemption), so a duplicated event never pays twice.
"""

from crm.network.models import Dealer
from crm.timeline.registry import subscribe
from leads.events import LEAD_DELIVERED
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
