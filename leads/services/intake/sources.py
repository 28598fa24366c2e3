"""Who is calling and where its leads go: lead sources and their keys, the receiving dealer, and spam
resistance."""

import hmac
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.core.public_keys import key_hash, key_new, key_plausible, limit_passed
from crm.core.scope import network_wide
from crm.network.models import Dealer
from leads.exceptions import InvalidSourceKey, RateLimited, SubmittedTooFast, UnknownDealer
from leads.models import LeadSource

KEY_HEADER = "X-Lead-Source-Key"


# --- Keys -------------------------------------------------------------------------------------------------


@transaction.atomic
def lead_source_create(
    *, code: str, name: str, channel: str, dealer: Dealer | None = None, first_response_sla: bool = True
) -> tuple[LeadSource, str]:
    """Create a lead source and its intake key. Returns the source and the key, which is never stored
    (only its sha256) and so can be shown exactly once. The caller runs in a scope covering `dealer`."""
    key, digest = key_new()
    source = LeadSource.objects.create(
        code=code,
        name=name,
        channel=channel,
        dealer=dealer,
        key_hash=digest,
        first_response_sla=first_response_sla,
    )
    return source, key


def source_authenticate(*, key: str | None) -> LeadSource:
    """The active source whose key this is, with its dealer; InvalidSourceKey (401) otherwise.

    The lookup runs network-wide because the caller is anonymous; it answers only "this key is source N"."""
    if not key_plausible(key):
        raise InvalidSourceKey()
    digest = key_hash(key)
    with network_wide(reason="public intake: find the lead source its key belongs to"):
        source = (
            LeadSource.objects.select_related("dealer")
            .filter(key_hash=digest, is_active=True)
            .exclude(key_hash="")
            .first()
        )
    if source is None or not hmac.compare_digest(source.key_hash, digest):
        raise InvalidSourceKey()
    if source.dealer is not None and not source.dealer.is_active:
        raise InvalidSourceKey()
    return source


def intake_dealer(*, source: LeadSource, dealer_code: str = "", dealer_name: str = "") -> Dealer:
    """The dealer the lead goes to: the source's own; for an OEM-wide source, the active dealer carrying
    one of the OEM's brands that the sender names — by its dealer code or an alias configured for it,
    else (ADF <vendorname>) by its exact name, case aside, or an alias. Never by a name that merely looks
    alike: a lead sent to the wrong dealer is worse than one refused. UnknownDealer (400) otherwise."""
    if source.dealer is not None:
        if dealer_code and dealer_code != source.dealer.code:
            raise UnknownDealer(_("This source sends leads to its own dealer only."))
        return source.dealer
    dealer_code, dealer_name = " ".join(dealer_code.split()), " ".join(dealer_name.split())
    if not (dealer_code or dealer_name):
        raise UnknownDealer(
            _("dealer_code is required: this source is OEM-wide."), extra={"field": "dealer_code"}
        )
    candidates = Dealer.objects.filter(is_active=True, brands__is_oem_brand=True)
    for value, own_name in ((dealer_code, Q(code=dealer_code)), (dealer_name, Q(name__iexact=dealer_name))):
        if not value:
            continue
        found = list(candidates.filter(own_name | Q(aliases__alias__iexact=value)).distinct()[:2])
        if len(found) == 1:
            return found[0]
        if found:
            raise UnknownDealer(
                _("Several dealers answer to “%(value)s”: send the dealer code.") % {"value": value},
                extra={"field": "dealer_code"},
            )
    if dealer_name and not dealer_code:
        raise UnknownDealer(
            _(
                "No active dealer carrying the brand is named “%(name)s” (names match exactly, or as a "
                "configured alias): send the dealer code."
            )
            % {"name": dealer_name},
            extra={"field": "dealer_code"},
        )
    raise UnknownDealer(extra={"field": "dealer_code"})


# --- Spam resistance --------------------------------------------------------------------------------------


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def rate_limit_check(*, source: LeadSource, client_ip: str) -> None:
    """Fixed one-minute windows in the shared cache (Redis): per source and caller IP, and per source as a
    whole. RateLimited (429, `extra.retry_after` seconds) past either limit."""
    retry_after = limit_passed(
        name="lead-intake",
        source_id=source.id,
        client_ip=client_ip,
        per_caller=_limit("LEAD_INTAKE_RATE_PER_IP", 30),
        per_source=_limit("LEAD_INTAKE_RATE_PER_SOURCE", 1000),
    )
    if retry_after is not None:
        raise RateLimited(extra={"retry_after": retry_after})


def fill_time_check(*, rendered_at: float | None) -> None:
    """A person needs a few seconds to fill a form; a bot posts at once. Only when the form says when it
    was shown (epoch seconds)."""
    if rendered_at is None:
        return
    minimum = _limit("LEAD_INTAKE_MIN_FILL_SECONDS", 3)
    if time.time() - rendered_at < minimum:
        raise SubmittedTooFast()
