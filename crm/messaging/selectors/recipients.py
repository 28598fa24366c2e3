"""The values a template's placeholders are filled from, looked up for a whole batch of recipients at once.

The core knows the customer, their latest car and the dealer. Higher apps add what they own through
`crm.messaging.registry.context_provider_register` (leads: the customer's salesperson).
"""

from collections.abc import Iterable

from crm.core.scope import network_wide
from crm.customers.models import ContactPoint, Customer, Vehicle
from crm.messaging.models import OutboxMessage
from crm.messaging.registry import context_providers
from crm.network.models import Dealer


def recipient_values(
    *, customers: Iterable[Customer], dealer_by_customer: dict[int, int | None]
) -> dict[int, dict]:
    customers = list(customers)
    ids = [c.id for c in customers]
    values: dict[int, dict[str, str]] = {
        c.id: {"customer.name": c.name, "customer.city": c.city} for c in customers
    }
    latest: dict[int, Vehicle] = {}
    for vehicle in (
        Vehicle.objects.filter(owner_id__in=ids)
        .order_by("owner_id", "-purchase_date", "-id")
        .distinct("owner_id")
        .only("owner_id", "model", "plate", "vin", "purchase_date")
    ):
        latest[vehicle.owner_id] = vehicle
    dealers = {
        d.id: d
        for d in Dealer.objects.filter(id__in={d for d in dealer_by_customer.values() if d}).only(
            "id", "name", "phone", "address"
        )
    }
    for customer_id, row in values.items():
        vehicle = latest.get(customer_id)
        if vehicle is not None:
            row.update(
                {
                    "vehicle.model": vehicle.model,
                    "vehicle.plate": vehicle.plate,
                    "vehicle.vin_tail": vehicle.vin[-6:],
                    "vehicle.purchase_date": vehicle.purchase_date.isoformat()
                    if vehicle.purchase_date
                    else "",
                }
            )
        dealer = dealers.get(dealer_by_customer.get(customer_id))
        if dealer is not None:
            row.update(
                {"dealer.name": dealer.name, "dealer.phone": dealer.phone, "dealer.address": dealer.address}
            )
    for provider in context_providers():
        for customer_id, extra in provider(ids, dealer_by_customer).items():
            values.setdefault(customer_id, {}).update(extra)
    return values


def recipient_addresses(*, customer_ids: Iterable[int], channel: str) -> dict[int, str]:
    """Each customer's address on `channel`: the primary phone/email, else the oldest one not marked invalid."""
    kind = ContactPoint.Kind.PHONE if channel == "sms" else ContactPoint.Kind.EMAIL
    addresses: dict[int, str] = {}
    for customer_id, value, is_invalid in (
        ContactPoint.objects.filter(customer_id__in=list(customer_ids), kind=kind)
        .order_by("customer_id", "-is_primary", "is_invalid", "id")
        .values_list("customer_id", "value", "is_invalid")
    ):
        if customer_id not in addresses and not is_invalid:
            addresses[customer_id] = value
    return addresses


def message_for_recipient(*, idempotency_key: str) -> OutboxMessage | None:
    """The message a signed link in it was made for (its language and sender), read for the recipient, who
    has no account: the signature, checked by the caller, is the permission."""
    with network_wide(reason="messaging: a recipient opens a link from their message"):
        return (
            OutboxMessage.objects.filter(idempotency_key=idempotency_key)
            .select_related("dealer")
            .only("id", "language", "channel", "dealer", "dealer__name")
            .first()
        )
