"""Leads belong to the dealer; each open lead has one owner. Managers assign and reassign; round-robin
spreads new leads; the OEM issues leads to dealers, which accept or reject them."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import ApplicationError, PermissionDenied
from crm.core.names import staff_name
from crm.network.access import access_for
from crm.network.models import Dealer, Role
from crm.timeline.services import event_record
from leads import events
from leads.exceptions import (
    LeadAlreadyClaimed,
    LeadAwaitingAcceptance,
    LeadClosed,
    LeadNotAwaitingAcceptance,
    NoSalespersonAvailable,
    RejectionReasonMissing,
)
from leads.models import OPEN_STAGES, FollowUp, Lead, LeadSource, LeadType, Stage
from leads.permissions import can_manage_dealer, require
from leads.services.capture import Capture, lead_capture
from leads.services.common import lock_lead, require_open, stage_record

User = get_user_model()
# An OEM-issued lead is claimable once accepted; a dealer's own lead always.
CLAIMABLE_ACCEPTANCE = (Lead.Acceptance.NOT_ISSUED, Lead.Acceptance.ACCEPTED)


def _set_owner(*, lead: Lead, owner, by) -> None:
    now = timezone.now()
    Lead.objects.filter(id=lead.id).update(
        owner=owner, assigned_at=now, version=F("version") + 1, updated_at=now
    )
    FollowUp.objects.filter(lead=lead, done_at__isnull=True).update(assigned_to=owner)
    lead.owner = owner
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_ASSIGNED,
        dealer_id=lead.dealer_id,
        actor=by,
        data={"lead": lead.id, "owner": staff_name(owner), "owner_id": owner.pk},
    )


def _active_salespeople(dealer_id: int):
    return User.objects.filter(
        is_active=True,
        role_assignments__dealer_id=dealer_id,
        role_assignments__role=Role.SALESPERSON,
        role_assignments__is_active=True,
    ).distinct()


@transaction.atomic
def lead_claim(*, lead: Lead, by) -> Lead:
    """A salesperson takes an unowned lead. Of two claiming at the same instant exactly one wins: the
    owner is set by one conditional UPDATE, and the loser is told who has it. An OEM-issued lead waits for
    the dealer's manager to accept it first (LeadAwaitingAcceptance): the manager decides where it goes,
    and a lead never moves away from a salesperson who thought it theirs."""
    require(access_for(by).has_role(Role.SALESPERSON, dealer_id=lead.dealer_id))
    require_open(lead)
    if lead.acceptance == Lead.Acceptance.PENDING:
        raise LeadAwaitingAcceptance()
    now = timezone.now()
    won = Lead.objects.filter(
        id=lead.id, owner__isnull=True, stage__in=OPEN_STAGES, acceptance__in=CLAIMABLE_ACCEPTANCE
    ).update(owner=by, assigned_at=now, version=F("version") + 1, updated_at=now)
    if not won:
        current = Lead.objects.filter(id=lead.id).values("owner__username", "acceptance", "stage").first()
        if current and current["acceptance"] == Lead.Acceptance.PENDING:
            raise LeadAwaitingAcceptance()
        if current and current["stage"] not in OPEN_STAGES:
            raise LeadClosed()
        raise LeadAlreadyClaimed(extra={"owner": current["owner__username"] if current else None})
    lead = lock_lead(lead.id)
    FollowUp.objects.filter(lead=lead, done_at__isnull=True).update(assigned_to=by)
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_ASSIGNED,
        dealer_id=lead.dealer_id,
        actor=by,
        data={"lead": lead.id, "owner": staff_name(by), "owner_id": by.pk},
    )
    return lead


@transaction.atomic
def lead_assign(*, lead: Lead, to, by) -> Lead:
    """A manager gives a lead to one of the dealer's active salespeople."""
    lead = lock_lead(lead.id)
    require(can_manage_dealer(access_for(by), lead.dealer_id))
    require_open(lead)
    if not _active_salespeople(lead.dealer_id).filter(pk=to.pk).exists():
        raise ApplicationError(
            _("%(name)s is not an active salesperson at this dealer.") % {"name": to.get_username()}
        )
    if lead.owner_id != to.pk:
        _set_owner(lead=lead, owner=to, by=by)
    return lead


def round_robin_pick(*, dealer: Dealer, excluded=None):
    """The active salesperson given the fewest leads today (then the fewest open leads), so leads spread
    evenly. The dealer row is locked so two picks at once do not choose blindly."""
    Dealer.objects.select_for_update().filter(id=dealer.id).first()
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    mine = Q(owned_leads__dealer_id=dealer.id)
    candidates = _active_salespeople(dealer.id)
    if excluded is not None:
        candidates = candidates.exclude(pk=excluded.pk)
    candidate = (
        candidates.annotate(
            today=Count("owned_leads", filter=mine & Q(owned_leads__assigned_at__gte=today)),
            open_leads=Count("owned_leads", filter=mine & Q(owned_leads__stage__in=OPEN_STAGES)),
        )
        .order_by("today", "open_leads", "id")
        .first()
    )
    if candidate is None:
        raise NoSalespersonAvailable()
    return candidate


@transaction.atomic
def lead_assign_round_robin(*, lead: Lead, by) -> Lead:
    lead = lock_lead(lead.id)
    require(can_manage_dealer(access_for(by), lead.dealer_id))
    require_open(lead)
    _set_owner(lead=lead, owner=round_robin_pick(dealer=lead.dealer), by=by)
    return lead


@transaction.atomic
def leads_reassign_all(*, dealer: Dealer, from_user, by, to=None) -> int:
    """Move every open lead of a departing salesperson in one step, to one colleague or spread by
    round-robin; nothing is left without an owner. Returns how many moved."""
    require(can_manage_dealer(access_for(by), dealer.id))
    if to is not None and not _active_salespeople(dealer.id).filter(pk=to.pk).exists():
        raise ApplicationError(
            _("%(name)s is not an active salesperson at this dealer.") % {"name": to.get_username()}
        )
    leads = list(
        Lead.objects.select_for_update()
        .filter(dealer=dealer, owner=from_user, stage__in=OPEN_STAGES)
        .order_by("id")
    )
    for lead in leads:
        owner = to or round_robin_pick(dealer=dealer, excluded=from_user)
        _set_owner(lead=lead, owner=owner, by=by)
    return len(leads)


def dealer_for_issue(
    *, customer_id: int | None, city: str, brand_code: str, preferred_dealer: Dealer | None
) -> Dealer:
    """The customer's chosen dealer, else an active same-city dealer carrying the brand."""
    if preferred_dealer is not None and preferred_dealer.is_active:
        return preferred_dealer
    dealer = (
        Dealer.objects.filter(is_active=True, city=city, brands__code=brand_code).order_by("code").first()
    )
    if dealer is None:
        raise ApplicationError(
            _("No active dealer in %(city)s sells this brand: choose the dealer.") % {"city": city}
        )
    return dealer


@transaction.atomic
def lead_issue(
    *,
    by,
    source: LeadSource,
    name: str,
    phones: list[str],
    city: str,
    brand_code: str,
    preferred_dealer: Dealer | None = None,
    emails: list[str] = (),
    models_of_interest: list[str] = (),
    note: str = "",
    external_id: str = "",
) -> Capture:
    """The OEM (call centre, campaigns) issues a lead to a dealer; it waits for the dealer to accept it,
    with the first-response clock already running."""
    if not access_for(by).has_role(Role.OEM_ADMIN, Role.CALL_CENTRE_AGENT):
        raise PermissionDenied()
    dealer = dealer_for_issue(
        customer_id=None, city=city, brand_code=brand_code, preferred_dealer=preferred_dealer
    )
    capture = lead_capture(
        dealer=dealer,
        by=by,
        name=name,
        type=LeadType.PHONE if source.channel == LeadSource.Channel.CALL_CENTRE else LeadType.INTERNET,
        phones=phones,
        emails=emails,
        source=source,
        external_id=external_id,
        models_of_interest=models_of_interest,
        note=note,
        issued_by_oem=True,
        customer_details={"city": city},
    )
    if capture.created:
        event_record(
            customer_id=capture.lead.customer_id,
            kind=events.LEAD_ISSUED,
            dealer_id=dealer.id,
            actor=by,
            data={"lead": capture.lead.id, "dealer": dealer.name},
        )
    return capture


@transaction.atomic
def lead_accept(*, lead: Lead, by, assign_to=None) -> Lead:
    """The dealer accepts an issued lead and assigns it: to `assign_to` when the manager names someone, else
    to the salesperson who already holds it, else by round-robin. A lead never leaves its owner silently."""
    lead = lock_lead(lead.id)
    require(can_manage_dealer(access_for(by), lead.dealer_id))
    if lead.acceptance != Lead.Acceptance.PENDING:
        raise LeadNotAwaitingAcceptance()
    Lead.objects.filter(id=lead.id).update(acceptance=Lead.Acceptance.ACCEPTED)
    lead.acceptance = Lead.Acceptance.ACCEPTED
    if assign_to is not None or lead.owner_id is None:
        _set_owner(lead=lead, owner=assign_to or round_robin_pick(dealer=lead.dealer), by=by)
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_ACCEPTANCE,
        dealer_id=lead.dealer_id,
        actor=by,
        data={"lead": lead.id, "acceptance": Lead.Acceptance.ACCEPTED},
    )
    return lead


@transaction.atomic
def lead_reject(*, lead: Lead, by, reason: str) -> Lead:
    """The dealer refuses an issued lead with a reason the OEM sees; the lead closes."""
    lead = lock_lead(lead.id)
    require(can_manage_dealer(access_for(by), lead.dealer_id))
    if lead.acceptance != Lead.Acceptance.PENDING:
        raise LeadNotAwaitingAcceptance()
    if not reason.strip():
        raise RejectionReasonMissing()
    Lead.objects.filter(id=lead.id).update(
        acceptance=Lead.Acceptance.REJECTED, rejection_reason=reason.strip()[:300]
    )
    stage_record(lead=lead, to_stage=Stage.LOST, by=by)
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_ACCEPTANCE,
        dealer_id=lead.dealer_id,
        actor=by,
        data={"lead": lead.id, "acceptance": Lead.Acceptance.REJECTED, "reason": reason.strip()[:300]},
    )
    return lead
