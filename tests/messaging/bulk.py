"""Many opted-in customers at one dealer, fast (bulk inserts), for worker, chaos and browser tests."""

from crm.customers.management.scale.audience import audience_create


def customers_bulk(
    *, dealer, count: int, channel: str = "sms", opted_in: bool = True, start: int = 0
) -> list[int]:
    return audience_create(dealer=dealer, count=count, channels=(channel,) if opted_in else (), start=start)
