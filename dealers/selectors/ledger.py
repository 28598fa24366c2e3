"""The dealer value ledger: per dealer and month (in the OEM's zone), what the OEM's leads and campaigns
brought the dealer — leads issued and accepted, orders and deliveries from them, orders from campaign
responses, and the delivered value. Read through the funnel's selectors, scoped to the user. `service` will
register the retained owners' service revenue here once it exists."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth

from leads import selectors as lead_selectors
from leads.models import Lead, Order

MONTHS = 12


@dataclass
class LedgerMonth:
    month: date
    oem_leads_issued: int = 0
    oem_leads_accepted: int = 0
    orders_from_oem_leads: int = 0
    deliveries_from_oem_leads: int = 0
    delivered_value: Decimal = Decimal(0)
    orders_from_campaigns: int = 0

    @property
    def is_empty(self) -> bool:
        return not any(
            (self.oem_leads_issued, self.orders_from_oem_leads, self.deliveries_from_oem_leads, self.orders_from_campaigns)
        )


@dataclass
class Ledger:
    months: list[LedgerMonth] = field(default_factory=list)

    @property
    def total(self) -> LedgerMonth:
        total = LedgerMonth(month=date.min)
        for row in self.months:
            for name in ("oem_leads_issued", "oem_leads_accepted", "orders_from_oem_leads", "deliveries_from_oem_leads",
                         "delivered_value", "orders_from_campaigns"):  # fmt: skip
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total


def value_ledger(*, user, dealer_id: int) -> Ledger:
    """The last MONTHS months with anything in them for `dealer_id`, newest first. Five queries."""
    zone = ZoneInfo(settings.DEALERS_OEM_TIME_ZONE)
    leads = lead_selectors.leads_for_user(user=user).filter(dealer_id=dealer_id).order_by()
    issued = leads.exclude(acceptance=Lead.Acceptance.NOT_ISSUED)
    orders = Order.objects.filter(lead__in=leads.values("id"), dealer_id=dealer_id).order_by()
    rows: dict[date, LedgerMonth] = {}

    def row(moment) -> LedgerMonth:
        month = moment.date() if hasattr(moment, "date") else moment
        return rows.setdefault(month, LedgerMonth(month=month))

    for bucket in issued.annotate(month=TruncMonth("arrived_at", tzinfo=zone)).values("month").annotate(count=Count("id")):
        row(bucket["month"]).oem_leads_issued = bucket["count"]
    for bucket in (
        issued.filter(acceptance=Lead.Acceptance.ACCEPTED)
        .annotate(month=TruncMonth("arrived_at", tzinfo=zone))
        .values("month")
        .annotate(count=Count("id"))
    ):
        row(bucket["month"]).oem_leads_accepted = bucket["count"]
    oem_orders = orders.exclude(lead__acceptance=Lead.Acceptance.NOT_ISSUED)
    for bucket in (
        oem_orders.filter(ordered_at__isnull=False)
        .annotate(month=TruncMonth("ordered_at", tzinfo=zone))
        .values("month")
        .annotate(count=Count("id"))
    ):
        row(bucket["month"]).orders_from_oem_leads = bucket["count"]
    for bucket in (
        oem_orders.filter(delivered_at__isnull=False)
        .annotate(month=TruncMonth("delivered_at", tzinfo=zone))
        .values("month")
        .annotate(count=Count("id"), value=Sum(F("list_price") - F("discount")))
    ):
        month_row = row(bucket["month"])
        month_row.deliveries_from_oem_leads = bucket["count"]
        month_row.delivered_value = bucket["value"] or Decimal(0)
    for bucket in (
        orders.filter(ordered_at__isnull=False, lead__campaign__isnull=False)
        .annotate(month=TruncMonth("ordered_at", tzinfo=zone))
        .values("month")
        .annotate(count=Count("id"))
    ):
        row(bucket["month"]).orders_from_campaigns = bucket["count"]
    months = sorted(rows.values(), key=lambda r: r.month, reverse=True)[:MONTHS]
    return Ledger(months=months)
