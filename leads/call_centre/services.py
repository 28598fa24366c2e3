"""The writes of the phone channels: a caller on the OEM's 800 line, a call taken at the dealer, and a
friend an owner refers. Each is one transaction composed of the funnel's own services."""

from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.names import customer_name
from crm.customers.models import Channel, Consent, Customer
from crm.customers.services import consent_record
from crm.network.access import access_for
from crm.network.models import Dealer
from leads.exceptions import ReferrerIsTheFriend
from leads.models import ContactAttempt, LeadSource, LeadType
from leads.permissions import can_work_dealer, require
from leads.services import Capture, contact_log, lead_capture, lead_grade, lead_issue

# The channels the agent asks about before the lead goes out (marketing calls and SMS).
CONSENT_CHANNELS = (Channel.SMS, Channel.PHONE)


@transaction.atomic
def phone_in_record(
    *,
    by,
    source: LeadSource,
    phone: str,
    name: str,
    city: str,
    brand_code: str,
    preferred_dealer: Dealer | None = None,
    models_of_interest: list[str] = (),
    note: str = "",
    consents: dict[str, str] | None = None,
) -> Capture:
    """A caller on the OEM's line: the lead is issued to the preferred dealer, else to a same-city dealer
    carrying the brand (lead_issue: it waits for the dealer's acceptance, the first-response clock runs),
    and the caller's answer about marketing contact is recorded per channel ("opt_in"/"opt_out"; a
    channel not asked is left as it was). Nothing is stored when no dealer can take the lead."""
    capture = lead_issue(
        by=by,
        source=source,
        name=name,
        phones=[phone],
        city=city,
        brand_code=brand_code,
        preferred_dealer=preferred_dealer,
        models_of_interest=list(models_of_interest),
        note=note,
    )
    for channel, status in (consents or {}).items():
        if channel in CONSENT_CHANNELS and status in Consent.Status.values:
            consent_record(
                customer=capture.lead.customer,
                channel=channel,
                purpose=Consent.Purpose.MARKETING,
                status=status,
                source=Consent.Source.PHONE,
                by=by,
            )
    return capture


@transaction.atomic
def dealer_phone_in_record(
    *,
    by,
    dealer: Dealer,
    phone: str,
    name: str = "",
    models_of_interest: list[str] = (),
    note: str = "",
    grade: str = "",
) -> Capture:
    """A salesperson takes a call at the dealer: a phone lead owned by them, and the call itself is its
    first contact (so the first-response time is measured and met at once; logged by hand, it is claimed). When the caller's
    open lead here belongs to a colleague, the call is only noted on that lead (Capture.owned_by_other)."""
    require(can_work_dealer(access_for(by), dealer.id))
    capture = lead_capture(
        dealer=dealer,
        by=by,
        name=name or phone,
        type=LeadType.PHONE,
        phones=[phone],
        models_of_interest=list(models_of_interest),
        owner=by,
        note=note,
    )
    if capture.owned_by_other is not None:
        return capture
    contact_log(
        lead=capture.lead,
        by=by,
        channel=ContactAttempt.Channel.CALL,
        outcome=ContactAttempt.Outcome.REACHED,
        note=note,
    )
    if grade:
        capture.lead = lead_grade(lead=capture.lead, by=by, grade=grade, reason=_("Graded on the phone call"))
    return capture


@transaction.atomic
def referral_record(
    *,
    by,
    dealer: Dealer,
    referrer: Customer,
    name: str,
    phone: str,
    models_of_interest: list[str] = (),
    note: str = "",
) -> Capture:
    """An owner brings a friend: a referral lead owned by the salesperson, naming the referrer in its note
    and in its answers ({"referred_by": customer id}), so loyalty can reward the referrer later."""
    require(can_work_dealer(access_for(by), dealer.id))
    text = _("Referred by %(name)s") % {"name": customer_name(referrer)}
    capture = lead_capture(
        dealer=dealer,
        by=by,
        name=name,
        type=LeadType.REFERRAL,
        phones=[phone],
        models_of_interest=list(models_of_interest),
        owner=by,
        note=f"{text}: {note.strip()}" if note.strip() else text,
        answers={"referred_by": referrer.id},
    )
    if capture.lead.customer_id == referrer.id:
        raise ReferrerIsTheFriend()
    return capture
