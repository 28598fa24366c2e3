"""How a buying intent enters the network: every channel lands in the one customer record, and a repeat
submission attaches to the open lead instead of creating a second one (no collided orders)."""

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from crm.customers.models import CustomerDealer
from crm.customers.normalize import is_contactable
from crm.customers.services import customer_resolve
from crm.network.models import Dealer
from crm.timeline.services import event_record
from leads import events, sla
from leads.exceptions import NotContactable
from leads.models import OPEN_STAGES, Campaign, FollowUp, Lead, LeadSource, LeadType, Stage, StageChange
from leads.services.common import first_response_minutes_setting, models_of_interest_normalise, user_or_none
from leads.services.grading import grade_from_answers, questionnaire_active

# Types whose first response is measured against the SLA when their source does not say otherwise.
SLA_TYPES = (LeadType.PHONE, LeadType.INTERNET)


@dataclass
class Capture:
    lead: Lead
    created: bool
    customer_created: bool
    # Set when the customer's open lead belongs to someone else: the caller tells the user whose it is.
    owned_by_other: object | None = None
    # Models of interest the dealer's brand model list does not know (kept as sent; intake warns).
    unknown_models: list[str] = field(default_factory=list)


def contact_points_required(*, phones, emails) -> None:
    """A lead must be contactable (crm.customers.normalize.is_contactable, the one definition): every channel
    — a visit, a call, a web form, an ADF document, an imported list, the API — meets it here, inside
    lead_capture; pages, the parser and imports ask the same function to report it early."""
    if not is_contactable(phones=phones, emails=emails):
        raise NotContactable()


def lead_capture(
    *,
    dealer: Dealer,
    by,
    name: str,
    type: str,  # noqa: A002 - the domain word
    phones: list[str] = (),
    emails: list[str] = (),
    source: LeadSource | None = None,
    campaign: Campaign | None = None,
    external_id: str = "",
    models_of_interest: list[str] = (),
    arrived_at: datetime | None = None,
    owner=None,
    answers: dict | None = None,
    note: str = "",
    issued_by_oem: bool = False,
    customer_details: dict | None = None,
) -> Capture:
    """Record a buying intent of a person at `dealer`, from any channel.

    Identity resolution runs first (the same person anywhere in the network is one customer). A resend
    (same source and external id) or a new touch by a customer who already has an open lead here
    attaches to that lead and shows on its timeline. Otherwise a new lead opens, with the first-response
    clock running for phone/internet/OEM sources, graded from `answers` if given. `by` is the staff user,
    or None for public intake already scoped to the dealer by its source key."""
    contact_points_required(phones=phones, emails=emails)
    models_of_interest, unknown_models = models_of_interest_normalise(
        dealer_id=dealer.id, texts=models_of_interest
    )
    arrived_at = arrived_at or timezone.now()
    source_label = source.name if source else str(LeadType(type).label)
    if source is not None and external_id:
        resent = Lead.objects.filter(source=source, external_id=external_id).first()
        if resent is not None:
            _touch(
                lead=resent,
                by=by,
                source_label=source_label,
                models_of_interest=models_of_interest,
                note=note,
            )
            return Capture(lead=resent, created=False, customer_created=False, unknown_models=unknown_models)

    resolution = customer_resolve(
        by=by,
        dealer=dealer,
        name=name,
        phones=list(phones),
        emails=list(emails),
        reason=CustomerDealer.Reason.WALK_IN if type == LeadType.WALK_IN else CustomerDealer.Reason.LEAD,
        source=source.channel if source else type,
        **(customer_details or {}),
    )
    customer = resolution.customer
    open_new = partial(
        _open_new,
        dealer=dealer,
        customer=customer,
        by=by,
        type=type,
        source=source,
        campaign=campaign,
        external_id=external_id,
        models_of_interest=models_of_interest,
        arrived_at=arrived_at,
        owner=owner,
        answers=answers,
        issued_by_oem=issued_by_oem,
        source_label=source_label,
        note=note,
    )
    if resolution.created:
        # Created in this transaction, the customer is invisible to every other one: nobody can have
        # opened a lead for them, so neither the lookup nor the savepoint for that race is needed.
        return Capture(lead=open_new(), created=True, customer_created=True, unknown_models=unknown_models)
    existing = _open_lead(customer_id=customer.id, dealer_id=dealer.id)
    if existing is None:
        try:
            with transaction.atomic():
                lead = open_new()
            return Capture(lead=lead, created=True, customer_created=False, unknown_models=unknown_models)
        except IntegrityError:
            # Someone opened a lead for this customer here at the same instant: theirs stands.
            existing = _open_lead(customer_id=customer.id, dealer_id=dealer.id)
            if existing is None:
                raise
    _touch(lead=existing, by=by, source_label=source_label, models_of_interest=models_of_interest, note=note)
    other = (
        existing.owner if existing.owner_id and owner is not None and existing.owner_id != owner.pk else None
    )
    return Capture(
        lead=existing,
        created=False,
        customer_created=resolution.created,
        owned_by_other=other,
        unknown_models=unknown_models,
    )


def _open_lead(*, customer_id: int, dealer_id: int) -> Lead | None:
    return (
        Lead.objects.select_for_update(of=("self",))
        .select_related("owner", "dealer")
        .filter(customer_id=customer_id, dealer_id=dealer_id, stage__in=OPEN_STAGES)
        .first()
    )


def _open_new(
    *,
    dealer,
    customer,
    by,
    type,
    source,
    campaign,
    external_id,
    models_of_interest,
    arrived_at,  # noqa: A002
    owner,
    answers,
    issued_by_oem,
    source_label,
    note="",
) -> Lead:
    sla_applies = type != LeadType.WALK_IN and (
        source.first_response_sla if source else type in SLA_TYPES or issued_by_oem
    )
    sla_due_at = (
        sla.business_deadline(
            arrived_at,
            first_response_minutes_setting(),
            business_hours=dealer.business_hours,
            time_zone=dealer.time_zone,
        )
        if sla_applies
        else None
    )
    grade, questionnaire = "", None
    if answers:
        active = questionnaire_active()
        # Only screening answers grade a lead; other facts kept in `answers` (e.g. who referred the
        # prospect) do not.
        if active is not None and {question["key"] for question in active.questions} & set(answers):
            questionnaire = active
            grade = grade_from_answers(questionnaire=questionnaire, answers=answers)
    lead = Lead.objects.create(
        # The first-response follow-up below is the lead's first: mirrored here, not by a second write.
        next_follow_up_at=sla_due_at,
        dealer=dealer,
        customer=customer,
        owner=owner,
        assigned_at=arrived_at if owner is not None else None,
        type=type,
        source=source,
        campaign=campaign,
        external_id=external_id,
        models_of_interest=models_of_interest,
        arrived_at=arrived_at,
        sla_due_at=sla_due_at,
        grade=grade,
        questionnaire=questionnaire,
        answers=answers or {},
        acceptance=Lead.Acceptance.PENDING if issued_by_oem else Lead.Acceptance.NOT_ISSUED,
    )
    lead.dealer = dealer
    # A new lead's first change: no stage left yet (empty time in stage), and its furthest stage is "new".
    StageChange.objects.create(
        lead=lead, dealer=dealer, from_stage="", to_stage=Stage.NEW, at=arrived_at, by=user_or_none(by)
    )
    event_record(
        customer_id=customer.id,
        kind=events.LEAD_CREATED,
        dealer_id=dealer.id,
        actor=by,
        occurred_at=arrived_at,
        data={
            "lead": lead.id,
            "source": source_label,
            "type": type,
            **({"note": note[:500]} if note else {}),
        },
    )
    if sla_due_at is not None:
        # What follow_up_schedule does, less what a lead created a moment ago cannot need: no open
        # follow-up to replace, and next_follow_up_at already written with the lead.
        FollowUp.objects.create(
            lead=lead,
            dealer_id=dealer.id,
            assigned_to=owner,
            reason=FollowUp.Reason.FIRST_RESPONSE,
            due_at=sla_due_at,
        )
    return lead


def _touch(*, lead: Lead, by, source_label: str, models_of_interest, note: str) -> None:
    new_models = [m for m in models_of_interest if m not in lead.models_of_interest]
    if new_models:
        Lead.objects.filter(id=lead.id).update(
            models_of_interest=[*lead.models_of_interest, *new_models],
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
        lead.models_of_interest = [*lead.models_of_interest, *new_models]
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_TOUCHED,
        dealer_id=lead.dealer_id,
        actor=by,
        data={"lead": lead.id, "source": source_label, "note": note[:500]},
    )
