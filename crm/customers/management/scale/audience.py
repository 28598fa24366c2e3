"""A dealer's audience for messaging tests and the bench: many customers with a unique phone and email
each, opted in to marketing on the given channels, inserted in bulk."""

import uuid

from django.db import connection
from django.utils import timezone

from crm.core.scope import network_wide
from crm.customers.models import Consent, ContactPoint, Customer, CustomerDealer


def audience_create(
    *,
    dealer,
    count: int,
    channels: tuple[str, ...] = ("sms",),
    start: int = 0,
    phone_prefix: str = "+86138",
    batch: int = 5000,
) -> list[int]:
    """`count` customers known to `dealer`, numbered from `start`: phone `<phone_prefix>NNNNNN17` (never a
    number the SMS simulator fails on purpose) and email `cNNNNNN@example.cn`, opted in to marketing on
    `channels`. Returns their ids."""
    ids: list[int] = []
    now = timezone.now()
    for offset in range(start, start + count, batch):
        with network_wide(reason="bulk audience"), connection.cursor() as cursor:
            # As seed_scale: set the history triggers' settings, or each row pays a caught exception.
            cursor.execute(
                "SELECT set_config('pghistory.context_id', %s, true), "
                "set_config('pghistory.context_metadata', '{\"command\": \"audience_create\"}', true), "
                "set_config('pgtrigger.ignore', '{}', true)",
                [str(uuid.uuid4())],
            )
            numbers = range(offset, min(offset + batch, start + count))
            customers = Customer.objects.bulk_create(
                [
                    Customer(name=f"客户{n}", preferred_language="zh-hans", origin_dealer=dealer)
                    for n in numbers
                ]
            )
            CustomerDealer.objects.bulk_create(
                [
                    CustomerDealer(customer=c, dealer=dealer, reason=CustomerDealer.Reason.WALK_IN)
                    for c in customers
                ]
            )
            ContactPoint.objects.bulk_create(
                [
                    point
                    for n, customer in zip(numbers, customers, strict=True)
                    for point in (
                        ContactPoint(
                            customer=customer, kind="phone", value=f"{phone_prefix}{n:06d}17", is_primary=True
                        ),
                        ContactPoint(
                            customer=customer, kind="email", value=f"c{n:06d}@example.cn", is_primary=True
                        ),
                    )
                ]
            )
            Consent.objects.bulk_create(
                [
                    Consent(
                        customer=c,
                        channel=channel,
                        purpose="marketing",
                        status="opt_in",
                        source="showroom",
                        recorded_at=now,
                    )
                    for c in customers
                    for channel in channels
                ]
            )
            ids += [c.id for c in customers]
    return ids
