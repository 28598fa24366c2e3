"""Web-form intake: one submission, captured at the dealer the source or the form names."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from crm.core.scope import Scope, scoped
from crm.customers.models import Channel, Consent
from crm.customers.services import consent_record
from crm.network.models import Dealer
from leads.adf import is_placeholder_name
from leads.models import Campaign, LeadSource, LeadType
from leads.services.capture import Capture, lead_capture
from leads.services.intake.common import extension_note, unknown_models_warnings, unnamed_warning

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
    scope, and record the consents the form gave. One transaction: InvalidPhone and friends leave nothing.
    A placeholder for a name ("Unknown", "未知", "-") is not stored; the models are matched to the
    catalogue of the dealer's brands."""
    warnings: list[str] = []
    utm = {key: data.get(key, "") for key in ("utm_source", "utm_medium", "utm_campaign", "utm_term")}
    phone_note = extension_note(
        {data["phone"]: data["phone_extension"]} if data.get("phone_extension") else {}, warnings=warnings
    )
    typed_name = " ".join(data.get("name", "").split())
    name = "" if is_placeholder_name(typed_name) else typed_name
    with scoped(Scope.dealers([dealer.id])):
        capture = lead_capture(
            dealer=dealer,
            by=None,
            name=name,
            type=LeadType.INTERNET,
            phones=[data["phone"]] if data.get("phone") else [],
            emails=[data["email"]] if data.get("email") else [],
            source=source,
            campaign=_campaign(code=data.get("campaign", ""), dealer=dealer, warnings=warnings),
            external_id=data.get("external_id", ""),
            models_of_interest=data.get("models", []),
            note="\n".join(part for part in (phone_note, _note(data.get("message", ""), utm)) if part),
            issued_by_oem=source.dealer_id is None,
            customer_details={"city": data["city"]} if data.get("city") else None,
        )
        warnings += unknown_models_warnings(capture)
        if not name:
            warnings += unnamed_warning(capture=capture, typed_name=typed_name)
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
