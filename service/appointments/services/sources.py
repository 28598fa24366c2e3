"""Public booking channels: their keys (stored as sha256, shown once), the dealer they book at, the rate limits."""

import hmac

from django.conf import settings
from django.db import transaction

from crm.core.public_keys import key_hash, key_new, key_plausible, limit_passed
from crm.core.scope import network_wide
from crm.network.models import Dealer
from service.appointments.exceptions import (
    DealerNotOfSource,
    InvalidSourceKey,
    RateLimited,
    UnknownDealer,
)
from service.models import (
    AppointmentSource,
)

KEY_HEADER = "X-Appointment-Source-Key"


@transaction.atomic
def appointment_source_create(*, code: str, name: str, dealer: Dealer | None = None) -> tuple[AppointmentSource, str]:
    """A public booking channel and its key, which is never stored (only its sha256) and so is shown once.
    The caller runs in a scope covering `dealer` (network-wide for an OEM source)."""
    key, digest = key_new()
    source = AppointmentSource.objects.create(code=code, name=name, dealer=dealer, key_hash=digest)
    return source, key


def source_authenticate(*, key: str | None) -> AppointmentSource:
    """The active source whose key this is, with its dealer; InvalidSourceKey (401) otherwise. The lookup runs
    network-wide because the caller is anonymous; it answers only "this key is source N"."""
    if not key_plausible(key):
        raise InvalidSourceKey()
    digest = key_hash(key)
    with network_wide(reason="public booking: find the appointment source its key belongs to"):
        source = AppointmentSource.objects.select_related("dealer").filter(key_hash=digest, is_active=True).first()
    if source is None or not hmac.compare_digest(source.key_hash, digest):
        raise InvalidSourceKey()
    if source.dealer is not None and not source.dealer.is_active:
        raise InvalidSourceKey()
    return source


def source_dealer(*, source: AppointmentSource, dealer_code: str = "") -> Dealer:
    """The source's own dealer; for an OEM-wide source, the active dealer with this code."""
    dealer_code = " ".join((dealer_code or "").split())
    if source.dealer is not None:
        if dealer_code and dealer_code != source.dealer.code:
            raise DealerNotOfSource()
        return source.dealer
    if not dealer_code:
        raise UnknownDealer()
    with network_wide(reason="public booking: the dealer an OEM-wide source names"):
        dealer = Dealer.objects.filter(code=dealer_code, is_active=True).first()
    if dealer is None:
        raise UnknownDealer()
    return dealer


def rate_limit_check(*, source: AppointmentSource, client_ip: str) -> None:
    """Fixed one-minute windows in the shared cache (Redis), per source and caller address and per source.
    RateLimited (429, `extra.retry_after` seconds) past either."""
    retry_after = limit_passed(
        name="appointment-intake",
        source_id=source.id,
        client_ip=client_ip,
        per_caller=int(getattr(settings, "SERVICE_APPOINTMENT_RATE_PER_IP", 20)),
        per_source=int(getattr(settings, "SERVICE_APPOINTMENT_RATE_PER_SOURCE", 600)),
    )
    if retry_after is not None:
        raise RateLimited(extra={"retry_after": retry_after})
