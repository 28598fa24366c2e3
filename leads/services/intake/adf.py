"""ADF intake: every prospect of a document, each captured at its dealer or reported, with what was
decided about what the sender left unsaid."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import ApplicationError
from crm.core.scope import Scope, scope_apply, scoped
from crm.network.models import Dealer
from leads.adf import AdfProspect
from leads.exceptions import NotContactable
from leads.models import Lead, LeadSource, LeadType, TradeIn
from leads.services.capture import lead_capture
from leads.services.intake.common import extension_note, unknown_models_warnings, unnamed_warning
from leads.services.intake.sources import intake_dealer

# Vehicles the prospect wants; the others ("trade-in", "sell") are the prospect's own cars, offered.
WANTED_INTERESTS = ("buy", "lease", "test-drive")


@dataclass
class ProspectResult:
    index: int
    status: str  # created | attached | rejected
    lead_id: int | None = None
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _prospect_model_names(prospect: AdfProspect) -> list[str]:
    return [
        " ".join(part for part in (vehicle.make, vehicle.model) if part)
        for vehicle in prospect.vehicles
        if vehicle.interest in WANTED_INTERESTS and (vehicle.model or vehicle.make)
    ]


def _prospect_note(prospect: AdfProspect, *, warnings: list[str]) -> str:
    """The lead's note: phone extensions first (a contact point holds none, and the note is cut at 500
    characters on the timeline), then the comments, the wanted vehicles' comments, the time frame."""
    parts = [extension_note(prospect.phone_extensions, warnings=warnings), prospect.comments]
    parts += [v.comments for v in prospect.vehicles if v.comments and v.interest in WANTED_INTERESTS]
    if prospect.timeframe:
        parts.append(_("Time frame: %(timeframe)s") % {"timeframe": prospect.timeframe})
    return "\n".join(p for p in parts if p)


_TRADE_IN_FACTS = ("interest", "year", "make", "model", "trim", "vin", "colour", "odometer", "odometer_units")


def _prospect_trade_ins(prospect: AdfProspect) -> list[dict]:
    """The prospect's own cars offered ("trade-in", "sell"), as TradeIn rows record them."""
    return [
        {
            "interest": vehicle.interest,
            "year": vehicle.year,
            "make": vehicle.make[:100],
            "model": vehicle.model[:100],
            "trim": vehicle.trim[:100],
            "vin": vehicle.vin,
            "colour": vehicle.colour[:100],
            "odometer": vehicle.odometer,
            "odometer_units": vehicle.odometer_units,
            "comments": vehicle.comments[:2000],
        }
        for vehicle in prospect.vehicles
        if vehicle.interest not in WANTED_INTERESTS
    ]


@transaction.atomic
def lead_trade_ins_add(*, lead: Lead, trade_ins: list[dict]) -> list[TradeIn]:
    """Record the cars a prospect offers on the lead, each once: a resent document adds none twice (the
    lead row is locked while comparing). The caller runs in the lead's dealer's scope. Returns the rows
    added."""
    Lead.objects.select_for_update().filter(id=lead.id).values_list("id").get()
    known = {
        tuple(row) for row in TradeIn.objects.filter(lead=lead).values_list(*_TRADE_IN_FACTS, "comments")
    }
    added: list[TradeIn] = []
    for facts in trade_ins:
        key = tuple(facts[name] for name in (*_TRADE_IN_FACTS, "comments"))
        if key not in known:
            known.add(key)
            added.append(TradeIn(lead=lead, dealer_id=lead.dealer_id, **facts))
    return TradeIn.objects.bulk_create(added)


def _arrival(prospect: AdfProspect, *, dealer: Dealer, warnings: list[str]) -> datetime | None:
    """When the lead arrived: the request date, read in the dealer's time zone when the sender gave none
    (a lead site in Shanghai writes Shanghai time), and never later than now."""
    if prospect.request_date is None:
        return None
    if not prospect.request_date_has_zone:
        warnings.append(
            _(
                "The request date “%(date)s” has no time zone: it was read in the dealer's time zone, "
                "%(zone)s."
            )
            % {"date": prospect.request_date.isoformat(sep=" "), "zone": dealer.time_zone}
        )
    return min(prospect.request_date_in(ZoneInfo(dealer.time_zone)), timezone.now())


def adf_capture(
    *, source: LeadSource, prospects: list[AdfProspect], dealer_code: str = ""
) -> list[ProspectResult]:
    """Capture every prospect of an ADF document, in one transaction, each prospect in its own savepoint
    (lead_capture's) and its dealer's scope: a prospect that fails (an invalid phone, nobody to contact, an
    unknown dealer) is reported and leaves nothing behind; the others stand. An OEM-wide source names the
    dealer with `dealer_code`, else each prospect's <vendor>: its id, else its exact name (intake_dealer).

    What the document leaves unsaid or says loosely is decided here, and each decision is a warning in
    the prospect's result: a placeholder name stores no name; a phone extension goes to the lead's note;
    a date without a zone is read in the dealer's zone; model names are matched to the catalogue of the
    dealer's brands (kept as sent when unknown); trade-in vehicles are recorded on the lead.

    Work shared by the prospects is done once per document: each dealer is looked up once (in the
    caller's scope, before any capture), and so is each dealer's model catalogue; a dealer's scope is set
    only when the next prospect goes to another dealer than the one before it. The caller's scope is back
    in force afterwards."""
    results: list[ProspectResult] = []
    accepted: list[tuple[ProspectResult, AdfProspect, Dealer]] = []
    dealers: dict[tuple[str, str], Dealer | ApplicationError] = {}
    for prospect in prospects:
        result = ProspectResult(index=prospect.index, status="rejected", warnings=list(prospect.warnings))
        results.append(result)
        if not prospect.is_contactable:
            result.errors.append(
                {"code": NotContactable.code, "message": str(NotContactable.default_message)}
            )
            continue
        if dealer_code or source.dealer_id is not None:
            named_by = (dealer_code, "")
        else:
            named_by = (prospect.vendor_id, prospect.vendor_name)
        if named_by not in dealers:
            try:
                dealers[named_by] = intake_dealer(
                    source=source, dealer_code=named_by[0], dealer_name=named_by[1]
                )
            except ApplicationError as error:
                dealers[named_by] = error
        dealer = dealers[named_by]
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
            warnings: list[str] = []
            try:
                capture = lead_capture(
                    dealer=dealer,
                    by=None,
                    name=prospect.name,
                    type=LeadType.INTERNET,
                    phones=prospect.phones[:3],
                    emails=prospect.emails[:3],
                    source=source,
                    external_id=prospect.external_id[:100],
                    models_of_interest=_prospect_model_names(prospect),
                    arrived_at=_arrival(prospect, dealer=dealer, warnings=warnings),
                    note=_prospect_note(prospect, warnings=warnings),
                    issued_by_oem=source.dealer_id is None,
                    customer_details={"city": prospect.address.city[:100]}
                    if prospect.address and prospect.address.city
                    else None,
                )
            except ApplicationError as error:
                result.errors.append(_error(error))
                continue
            warnings += unknown_models_warnings(capture)
            trade_ins = _prospect_trade_ins(prospect)
            if trade_ins:
                lead_trade_ins_add(lead=capture.lead, trade_ins=trade_ins)
            if not prospect.name:
                # The parser has said which placeholder it ignored, if any.
                warnings += unnamed_warning(capture=capture, typed_name="")
            result.warnings += warnings
            result.status = "created" if capture.created else "attached"
            result.lead_id = capture.lead.id
    return results


def _error(error: ApplicationError) -> dict:
    return {"code": error.code, "message": str(error.message), **error.extra}
