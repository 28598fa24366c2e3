"""Public lead intake (web forms and ADF lead sites): who is calling, is it spam, and into which dealer's
scope the capture runs.

A public caller has no session and no user: RequestScopeMiddleware gives it an empty scope. The caller
proves which lead source it is with the source's key (only its sha256 is stored); the source names its
dealer (or, for an OEM-wide source, the form names a dealer carrying the brand), and the capture then runs
explicitly inside `scoped(Scope.dealers([dealer.id]))` — never network-wide.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import ApplicationError
from crm.core.scope import Scope, network_wide, scope_apply, scoped
from crm.customers.models import Channel, Consent
from crm.customers.services import consent_record
from crm.network.models import Dealer
from leads.adf import AdfProspect
from leads.exceptions import InvalidSourceKey, RateLimited, SubmittedTooFast, UnknownDealer
from leads.models import Campaign, LeadSource, LeadType
from leads.services.capture import Capture, lead_capture

KEY_HEADER = "X-Lead-Source-Key"
MAX_KEY_LENGTH = 200


# --- Keys -------------------------------------------------------------------------------------------------


def source_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def lead_source_create(
    *, code: str, name: str, channel: str, dealer: Dealer | None = None, first_response_sla: bool = True
) -> tuple[LeadSource, str]:
    """Create a lead source and its intake key. Returns the source and the key, which is never stored
    (only its sha256) and so can be shown exactly once. The caller runs in a scope covering `dealer`."""
    key = secrets.token_urlsafe(32)
    source = LeadSource.objects.create(
        code=code,
        name=name,
        channel=channel,
        dealer=dealer,
        key_hash=source_key_hash(key),
        first_response_sla=first_response_sla,
    )
    return source, key


def source_authenticate(*, key: str | None) -> LeadSource:
    """The active source whose key this is, with its dealer; InvalidSourceKey (401) otherwise.

    The lookup runs network-wide because the caller is anonymous; it answers only "this key is source N"."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidSourceKey()
    digest = source_key_hash(key)
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


def intake_dealer(*, source: LeadSource, dealer_code: str = "") -> Dealer:
    """The dealer the lead goes to: the source's own, or for an OEM-wide source the active dealer the form
    names by code, which must carry one of the OEM's brands (UnknownDealer, 400, otherwise)."""
    if source.dealer is not None:
        if dealer_code and dealer_code != source.dealer.code:
            raise UnknownDealer(_("This source sends leads to its own dealer only."))
        return source.dealer
    if not dealer_code:
        raise UnknownDealer(
            _("dealer_code is required: this source is OEM-wide."), extra={"field": "dealer_code"}
        )
    dealer = Dealer.objects.filter(code=dealer_code, is_active=True, brands__is_oem_brand=True).first()
    if dealer is None:
        raise UnknownDealer(extra={"field": "dealer_code"})
    return dealer


# --- Spam resistance --------------------------------------------------------------------------------------


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def rate_limit_check(*, source: LeadSource, client_ip: str) -> None:
    """Fixed one-minute windows in the shared cache (Redis): per source and caller IP, and per source as a
    whole. RateLimited (429, `extra.retry_after` seconds) past either limit."""
    window = 60
    now = time.time()
    bucket = int(now // window)
    retry_after = max(1, int(window - now % window))
    limits = (
        (f"lead-intake:{source.id}:ip:{client_ip}:{bucket}", _limit("LEAD_INTAKE_RATE_PER_IP", 30)),
        (f"lead-intake:{source.id}:all:{bucket}", _limit("LEAD_INTAKE_RATE_PER_SOURCE", 1000)),
    )
    for key, limit in limits:
        cache.add(key, 0, timeout=window + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 5)
            count = 1
        if count > limit:
            raise RateLimited(extra={"retry_after": retry_after})


def fill_time_check(*, rendered_at: float | None) -> None:
    """A person needs a few seconds to fill a form; a bot posts at once. Only when the form says when it
    was shown (epoch seconds)."""
    if rendered_at is None:
        return
    minimum = _limit("LEAD_INTAKE_MIN_FILL_SECONDS", 3)
    if time.time() - rendered_at < minimum:
        raise SubmittedTooFast()


# --- Capture ---------------------------------------------------------------------------------------------

CONSENT_CHANNELS = {
    "consent_phone": Channel.PHONE,
    "consent_sms": Channel.SMS,
    "consent_email": Channel.EMAIL,
    "consent_wechat": Channel.WECHAT,
}


@dataclass
class IntakeResult:
    capture: Capture
    warnings: list[str] = field(default_factory=list)


def _campaign(*, code: str, dealer: Dealer, warnings: list[str]) -> Campaign | None:
    if not code:
        return None
    # Codes are unique: the one campaign with this code, if it is the OEM's or this dealer's own.
    campaign = Campaign.objects.filter(Q(dealer__isnull=True) | Q(dealer=dealer), code=code).first()
    if campaign is None:
        warnings.append(_("Unknown campaign code “%(code)s”: the lead was kept without it.") % {"code": code})
    return campaign


def _note(message: str, utm: dict) -> str:
    tags = " ".join(f"{key}={value}" for key, value in utm.items() if value)
    return "\n".join(part for part in (message, tags) if part)


def web_form_capture(*, source: LeadSource, dealer: Dealer, data: dict) -> IntakeResult:
    """Capture one web-form submission at `dealer` (already resolved from the source) in the dealer's
    scope, and record the consents the form gave. One transaction: InvalidPhone and friends leave nothing."""
    warnings: list[str] = []
    utm = {key: data.get(key, "") for key in ("utm_source", "utm_medium", "utm_campaign", "utm_term")}
    with scoped(Scope.dealers([dealer.id])):
        capture = lead_capture(
            dealer=dealer,
            by=None,
            name=data.get("name", ""),
            type=LeadType.INTERNET,
            phones=[data["phone"]] if data.get("phone") else [],
            emails=[data["email"]] if data.get("email") else [],
            source=source,
            campaign=_campaign(code=data.get("campaign", ""), dealer=dealer, warnings=warnings),
            external_id=data.get("external_id", ""),
            models_of_interest=data.get("models", []),
            note=_note(data.get("message", ""), utm),
            issued_by_oem=source.dealer_id is None,
            customer_details={"city": data["city"]} if data.get("city") else None,
        )
        for flag, channel in CONSENT_CHANNELS.items():
            if data.get(flag):
                consent_record(
                    customer=capture.lead.customer,
                    channel=channel,
                    purpose=Consent.Purpose.MARKETING,
                    status=Consent.Status.OPT_IN,
                    source=Consent.Source.WEB_FORM,
                    dealer=dealer,
                )
    return IntakeResult(capture=capture, warnings=warnings)


@dataclass
class ProspectResult:
    index: int
    status: str  # created | attached | rejected
    lead_id: int | None = None
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _prospect_models(prospect: AdfProspect) -> list[str]:
    chosen = [
        v for v in prospect.vehicles if v.interest in ("buy", "lease", "test-drive")
    ] or prospect.vehicles
    return [" ".join(part for part in (v.make, v.model) if part) for v in chosen if v.model or v.make]


def _prospect_note(prospect: AdfProspect) -> str:
    parts = [prospect.comments]
    parts += [v.comments for v in prospect.vehicles if v.comments]
    if prospect.timeframe:
        parts.append(_("Time frame: %(timeframe)s") % {"timeframe": prospect.timeframe})
    return "\n".join(p for p in parts if p)


def adf_capture(
    *, source: LeadSource, prospects: list[AdfProspect], dealer_code: str = ""
) -> list[ProspectResult]:
    """Capture every prospect of an ADF document, in one transaction, each prospect in its own savepoint
    (lead_capture's) and its dealer's scope: a prospect that fails (an invalid phone, nobody to contact, an
    unknown dealer) is reported and leaves nothing behind; the others stand. An OEM-wide source names the
    dealer with `dealer_code`, else each prospect's <vendor><id>.

    Work shared by the prospects is done once per document: each dealer code is looked up once (in the
    caller's scope, before any capture), and a dealer's scope is set only when the next prospect goes to
    another dealer than the one before it. The caller's scope is back in force afterwards."""
    results: list[ProspectResult] = []
    accepted: list[tuple[ProspectResult, AdfProspect, Dealer]] = []
    dealers: dict[str, Dealer | ApplicationError] = {}
    for prospect in prospects:
        result = ProspectResult(index=prospect.index, status="rejected", warnings=list(prospect.warnings))
        results.append(result)
        if not (prospect.phones or prospect.emails):
            result.errors.append(
                {"code": "not_contactable", "message": _("The prospect has no phone and no email.")}
            )
            continue
        code = dealer_code or (prospect.vendor_id if source.dealer_id is None else "")
        if code not in dealers:
            try:
                dealers[code] = intake_dealer(source=source, dealer_code=code)
            except ApplicationError as error:
                dealers[code] = error
        dealer = dealers[code]
        if isinstance(dealer, ApplicationError):
            result.errors.append(_error(dealer))
        else:
            accepted.append((result, prospect, dealer))
    if not accepted:
        return results

    scoped_dealer_id = accepted[0][2].id
    with scoped(Scope.dealers([scoped_dealer_id])):
        for result, prospect, dealer in accepted:
            if dealer.id != scoped_dealer_id:
                # Outside the prospect's savepoint: a prospect rolled back does not take the scope with it.
                scope_apply(scope=Scope.dealers([dealer.id]))
                scoped_dealer_id = dealer.id
            try:
                capture = lead_capture(
                    dealer=dealer,
                    by=None,
                    name=prospect.name or _("Unknown"),
                    type=LeadType.INTERNET,
                    phones=prospect.phones[:3],
                    emails=prospect.emails[:3],
                    source=source,
                    external_id=prospect.external_id[:100],
                    models_of_interest=_prospect_models(prospect),
                    arrived_at=min(prospect.request_date, timezone.now()) if prospect.request_date else None,
                    note=_prospect_note(prospect),
                    issued_by_oem=source.dealer_id is None,
                    customer_details={"city": prospect.address.city[:100]}
                    if prospect.address and prospect.address.city
                    else None,
                )
            except ApplicationError as error:
                result.errors.append(_error(error))
                continue
            result.status = "created" if capture.created else "attached"
            result.lead_id = capture.lead.id
    return results


def _error(error: ApplicationError) -> dict:
    return {"code": error.code, "message": str(error.message), **error.extra}
