"""The rules every send obeys, checked when the recipient list is made and again when a message is claimed
for sending (a customer who opted out after the campaign started is still spared)."""

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from crm.customers.models import Consent, ContactPoint, Customer
from crm.messaging.models import OutboxMessage, Purpose

Reason = OutboxMessage.Reason


def consent_reasons(*, customer_ids: Iterable[int], channel: str, purpose: str) -> dict[int, str]:
    """Customers who must not get a message of `purpose` on `channel`, with why.

    Marketing needs an explicit opt-in on that channel. Service messages (recalls, maintenance due,
    appointments) go unless the customer opted out of service messages on that channel."""
    customer_ids = set(customer_ids)
    if purpose == Purpose.STAFF or not customer_ids:
        return {}
    status_by_customer = dict(
        Consent.objects.filter(customer_id__in=customer_ids, channel=channel, purpose=purpose).values_list(
            "customer_id", "status"
        )
    )
    blocked = {}
    for customer_id in customer_ids:
        status = status_by_customer.get(customer_id)
        if status == Consent.Status.OPT_OUT:
            blocked[customer_id] = Reason.OPTED_OUT
        elif status is None and purpose == Purpose.MARKETING:
            blocked[customer_id] = Reason.NO_CONSENT
    return blocked


def record_reasons(*, recipients: dict[int, str], channel: str) -> dict[int, str]:
    """Customers whose record was merged away or whose address was marked invalid ({customer: address})."""
    if not recipients:
        return {}
    blocked = dict.fromkeys(
        Customer.objects.filter(id__in=recipients.keys(), merged_into__isnull=False).values_list(
            "id", flat=True
        ),
        Reason.MERGED,
    )
    kind = ContactPoint.Kind.PHONE if channel == "sms" else ContactPoint.Kind.EMAIL
    invalid = ContactPoint.objects.filter(
        customer_id__in=recipients.keys(), kind=kind, value__in=set(recipients.values()), is_invalid=True
    ).values_list("customer_id", "value")
    for customer_id, value in invalid:
        if recipients.get(customer_id) == value:
            blocked.setdefault(customer_id, Reason.INVALID_ADDRESS)
    return blocked


def _parse(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_hours_end(*, at: datetime, time_zone: str | None) -> datetime | None:
    """When `at` falls in the quiet hours of `time_zone` (default 21:00–08:00), the instant they end;
    otherwise None. Only marketing waits for it."""
    start, end = (_parse(v) for v in settings.MESSAGING_QUIET_HOURS)
    if start == end:
        return None
    zone = ZoneInfo(time_zone or settings.MESSAGING_DEFAULT_TIME_ZONE)
    local = at.astimezone(zone)
    now = local.time()
    spans_midnight = start > end
    inside = (now >= start or now < end) if spans_midnight else (start <= now < end)
    if not inside:
        return None
    end_day = local.date() + timedelta(days=1) if spans_midnight and now >= start else local.date()
    return datetime.combine(end_day, end, tzinfo=zone)


def dealer_time_zones(dealer_ids: Iterable[int | None]) -> dict[int, str]:
    """{dealer id: time zone} for the quiet hours of messages sent on those dealers' behalf."""
    from crm.network.models import Dealer

    return dict(Dealer.objects.filter(id__in={d for d in dealer_ids if d}).values_list("id", "time_zone"))


def frequency_window() -> timedelta:
    return timedelta(days=settings.MESSAGING_FREQUENCY_CAP_DAYS)
