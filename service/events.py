"""The timeline kinds the service app writes; higher apps subscribe to them (loyalty earns on a settled order,
surveys follow it; leads opens a replacement lead when an order opens on an old vehicle).

Each event's `data` is a contract:
- service.repair_order_opened: repair_order, number, vehicle, vin, mileage_in (or null), opened_at
- service.repair_order_settled: repair_order, number, vehicle, vin, advisor (user id or null), total,
  customer_pay_total (decimal strings), pay_types, operation_codes (of its labour lines), settled_at
- service.repair_order_voided: repair_order, number, reason
"""

from django.utils.translation import gettext_lazy as _

from crm.timeline.registry import kind_register

REPAIR_ORDER_OPENED = "service.repair_order_opened"
REPAIR_ORDER_SETTLED = "service.repair_order_settled"
REPAIR_ORDER_VOIDED = "service.repair_order_voided"

kind_register(
    REPAIR_ORDER_OPENED, label=_("Repair order"), summary=_("Repair order %(number)s opened"), icon="wrench"
)
kind_register(
    REPAIR_ORDER_SETTLED,
    label=_("Repair order settled"),
    summary=_("Repair order %(number)s settled: %(total)s"),
    icon="receipt",
)
kind_register(
    REPAIR_ORDER_VOIDED,
    label=_("Repair order voided"),
    summary=_("Repair order %(number)s voided: %(reason)s"),
    icon="x-circle",
)
