"""Every write of complaints and call-backs (plain functions, keyword-only, one transaction each).

Guarantees
- A complaint's deadlines (first contact, resolution) are set from its severity when it opens
  (settings.SERVICE_COMPLAINT_DEADLINE_HOURS) and never move; every step adds an entry to its story.
- A complaint closes only with a resolution and the customer's confirmation (the database checks it too).
- Escalation (`complaints_escalate`, run by beat) raises a complaint's level at most once per level, with a
  conditional update on the locked row, and notifies each recipient once per level (the notification key);
  running it twice, or two at once, changes nothing more.
- A call-back is scheduled once per settled repair order (the subscriber; one row per order in the
  database), never assigned to, nor recorded by, the advisor who served the customer (checked here and by
  the database); a dissatisfied answer opens a complaint in the same transaction.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.core.exceptions import NotFound
from crm.core.names import customer_name
from crm.core.scope import network_wide
from crm.customers.models import CustomerDealer
from crm.customers.services import customer_link
from crm.messaging.services.notifications import staff_notify
from crm.network.access import access_for
from crm.network.models import Role, RoleAssignment
from crm.timeline.services import event_record
from service.care import events
from service.care.exceptions import (
    CallBackByAdvisor,
    CallBackDone,
    CallBackNotesMissing,
    CallBackOutcomeInvalid,
    ComplaintClosed,
    ComplaintFieldInvalid,
    ComplaintRepairOrderMismatch,
    ComplaintSummaryMissing,
    ConfirmationMissing,
    NotResolvedYet,
    OwnerNotAtDealer,
    ResolutionMissing,
)
from service.care.permissions import (
    CALL_BACK_DEALER_ROLES,
    can_log_complaint,
    can_make_call_back,
    can_own_complaint,
    can_work_complaint,
    logs_complaints_anywhere,
    require,
)
from service.models import CallBack, Complaint, ComplaintEntry, RepairOrder

logger = logging.getLogger(__name__)
User = get_user_model()
Status = Complaint.Status
Entry = ComplaintEntry.Kind


# --- Complaints -------------------------------------------------------------------------------------------


def complaint_deadlines(*, severity: str, opened_at: datetime) -> tuple[datetime, datetime]:
    first_hours, resolution_hours = settings.SERVICE_COMPLAINT_DEADLINE_HOURS[severity]
    return opened_at + timedelta(hours=first_hours), opened_at + timedelta(hours=resolution_hours)


def _check_choice(value: str, choices, field: str) -> None:
    if value not in {key for key, _label in choices}:
        raise ComplaintFieldInvalid(field=field)


def _entry(complaint: Complaint, kind: str, *, by=None, text: str = "", at: datetime | None = None) -> None:
    ComplaintEntry.objects.create(
        complaint=complaint,
        dealer_id=complaint.dealer_id,
        kind=kind,
        text=text,
        by=by if getattr(by, "is_authenticated", False) else None,
        at=at or timezone.now(),
    )


@transaction.atomic
def complaint_open(
    *,
    dealer,
    customer,
    vehicle=None,
    repair_order=None,
    category: str,
    severity: str,
    source: str,
    summary: str,
    opened_by=None,
) -> Complaint:
    """Put a customer's complaint about `dealer` on record, with deadlines from its severity.

    `opened_by` is the staff member logging it (checked: the call centre anywhere, a dealer's staff at their
    dealer), or None when the system opens it (a survey's or a call-back's answer, already scoped by its
    caller). The dealer gets to know the customer (a relationship) so that it can see whom to call. Its owner
    is the person who logged it when they work at that dealer; otherwise nobody yet (the dealer's manager is
    told if a deadline is missed)."""
    access = access_for(opened_by) if opened_by is not None else None
    if access is not None:
        require(can_log_complaint(access, dealer.id))
        if (
            not logs_complaints_anywhere(access)
            and not CustomerDealer.objects.filter(customer_id=customer.id, dealer_id=dealer.id).exists()
        ):
            # A dealer logs complaints of its own customers only: it must not gain a customer this way.
            raise NotFound()
    _check_choice(category, Complaint.Category.choices, "category")
    _check_choice(severity, Complaint.Severity.choices, "severity")
    _check_choice(source, Complaint.Source.choices, "source")
    summary = (summary or "").strip()
    if not summary:
        raise ComplaintSummaryMissing()
    if repair_order is not None:
        if repair_order.dealer_id != dealer.id or repair_order.customer_id != customer.id:
            raise ComplaintRepairOrderMismatch()
        if vehicle is not None and vehicle.id != repair_order.vehicle_id:
            raise ComplaintRepairOrderMismatch()
        vehicle = vehicle or repair_order.vehicle
    now = timezone.now()
    first_due, resolution_due = complaint_deadlines(severity=severity, opened_at=now)
    is_at_dealer = access is not None and can_own_complaint(access, dealer.id)
    complaint = Complaint.objects.create(
        dealer=dealer,
        customer=customer,
        vehicle=vehicle,
        repair_order=repair_order,
        category=category,
        severity=severity,
        source=source,
        summary=summary,
        owner=opened_by if is_at_dealer else None,
        opened_by=opened_by,
        opened_at=now,
        first_contact_due_at=first_due,
        resolution_due_at=resolution_due,
    )
    _entry(complaint, Entry.OPENED, by=opened_by, text=summary, at=now)
    if not CustomerDealer.objects.filter(customer_id=customer.id, dealer_id=dealer.id).exists():
        with network_wide(reason="complaint: the dealer concerned gets to know the customer"):
            customer_link(
                customer_id=customer.id, dealer=dealer, reason=CustomerDealer.Reason.CALL_CENTRE, by=opened_by
            )
    event_record(
        customer_id=customer.id,
        kind=events.COMPLAINT_OPENED,
        dealer_id=dealer.id,
        actor=opened_by,
        occurred_at=now,
        data={"complaint": complaint.id, "category": category, "severity": severity, "source": source},
    )
    return complaint


def _lock(complaint_id: int, by) -> Complaint:
    complaint = Complaint.objects.select_for_update().filter(id=complaint_id).first()
    if complaint is None:
        raise NotFound()
    require(can_work_complaint(access_for(by), complaint.dealer_id))
    return complaint


def _lock_open(complaint_id: int, by) -> Complaint:
    complaint = _lock(complaint_id, by)
    if complaint.is_closed:
        raise ComplaintClosed()
    return complaint


@transaction.atomic
def complaint_note(*, complaint: Complaint, by, text: str, is_contact: bool = False) -> Complaint:
    """A note on the complaint; with `is_contact`, the customer was reached (the first one stops the
    first-contact clock)."""
    complaint = _lock_open(complaint.id, by)
    text = (text or "").strip()
    if not text and not is_contact:
        raise ComplaintSummaryMissing(_("Write the note."), field="text")
    now = timezone.now()
    _entry(complaint, Entry.CONTACT if is_contact else Entry.NOTE, by=by, text=text, at=now)
    if is_contact and complaint.first_contacted_at is None:
        complaint.first_contacted_at = now
        if complaint.status == Status.OPEN:
            complaint.status = Status.CONTACTED
        complaint.save(update_fields=["first_contacted_at", "status"])
    return complaint


@transaction.atomic
def complaint_assign(*, complaint: Complaint, by, owner) -> Complaint:
    complaint = _lock_open(complaint.id, by)
    if owner is None or not can_own_complaint(access_for(owner), complaint.dealer_id):
        raise OwnerNotAtDealer()
    complaint.owner = owner
    complaint.save(update_fields=["owner"])
    _entry(complaint, Entry.ASSIGNED, by=by, text=str(owner.get_username()))
    return complaint


@transaction.atomic
def complaint_resolve(*, complaint: Complaint, by, resolution: str) -> Complaint:
    """The resolution offered to the customer; the complaint then waits for their confirmation. Reaching
    the customer with a resolution is a contact too."""
    complaint = _lock_open(complaint.id, by)
    resolution = (resolution or "").strip()
    if not resolution:
        raise ResolutionMissing()
    now = timezone.now()
    complaint.resolution = resolution
    complaint.resolved_at = now
    complaint.status = Status.RESOLVED
    complaint.first_contacted_at = complaint.first_contacted_at or now
    complaint.save(update_fields=["resolution", "resolved_at", "status", "first_contacted_at"])
    _entry(complaint, Entry.RESOLVED, by=by, text=resolution, at=now)
    return complaint


@transaction.atomic
def complaint_close(*, complaint: Complaint, by, customer_confirmed: bool, note: str = "") -> Complaint:
    """Close a resolved complaint with the customer's confirmation (ConfirmationMissing without it)."""
    complaint = _lock_open(complaint.id, by)
    if complaint.status != Status.RESOLVED or not complaint.resolution:
        raise NotResolvedYet()
    if customer_confirmed is not True:
        raise ConfirmationMissing()
    now = timezone.now()
    complaint.status = Status.CLOSED
    complaint.customer_confirmed_at = now
    complaint.closed_at = now
    complaint.closed_by = by
    complaint.save(update_fields=["status", "customer_confirmed_at", "closed_at", "closed_by"])
    _entry(complaint, Entry.CLOSED, by=by, text=(note or "").strip(), at=now)
    event_record(
        customer_id=complaint.customer_id,
        kind=events.COMPLAINT_CLOSED,
        dealer_id=complaint.dealer_id,
        actor=by,
        occurred_at=now,
        data={"complaint": complaint.id, "resolution": complaint.resolution[:200]},
    )
    return complaint


@transaction.atomic
def complaint_reopen(*, complaint: Complaint, by, note: str) -> Complaint:
    """The customer is not satisfied with the resolution: back to work (the resolution deadline stands)."""
    complaint = _lock_open(complaint.id, by)
    if complaint.status != Status.RESOLVED:
        raise NotResolvedYet()
    note = (note or "").strip()
    if not note:
        raise ComplaintSummaryMissing(_("Say what the customer is still not satisfied with."), field="note")
    complaint.status = Status.CONTACTED
    complaint.resolved_at = None
    complaint.save(update_fields=["status", "resolved_at"])
    _entry(complaint, Entry.REOPENED, by=by, text=note)
    return complaint


# --- Escalation (beat) ------------------------------------------------------------------------------------


def complaint_missed_at(complaint: Complaint) -> datetime | None:
    """When the complaint first missed a deadline that is still unmet (None: none missed yet)."""
    missed = []
    if complaint.first_contacted_at is None:
        missed.append(complaint.first_contact_due_at)
    if complaint.resolved_at is None:
        missed.append(complaint.resolution_due_at)
    return min(missed) if missed else None


def complaint_level_due(complaint: Complaint, now: datetime) -> int:
    missed_at = complaint_missed_at(complaint)
    if missed_at is None or missed_at > now:
        return Complaint.Escalation.NONE
    region_after = timedelta(hours=settings.SERVICE_COMPLAINT_REGION_ESCALATION_HOURS)
    if missed_at + region_after <= now:
        return Complaint.Escalation.OEM_REGION
    return Complaint.Escalation.DEALER_MANAGER


def escalation_recipients(complaint: Complaint, level: int) -> list:
    """Level 1: the dealer's admins (its managers) and the complaint's owner; level 2: the OEM regional
    managers of the dealer's region."""
    if level == Complaint.Escalation.DEALER_MANAGER:
        holders = RoleAssignment.objects.filter(role=Role.DEALER_ADMIN, dealer_id=complaint.dealer_id)
    else:
        holders = RoleAssignment.objects.filter(
            role=Role.REGIONAL_MANAGER, region_id=complaint.dealer.region_id
        )
    user_ids = set(holders.filter(is_active=True).values_list("user_id", flat=True))
    if level == Complaint.Escalation.DEALER_MANAGER and complaint.owner_id:
        user_ids.add(complaint.owner_id)
    return list(User.objects.filter(id__in=user_ids, is_active=True).select_related("staff_profile"))


def _notify_escalation(complaint: Complaint, level: int) -> int:
    link = reverse("service_care:complaint_detail", args=[complaint.id])
    sent = 0
    for user in escalation_recipients(complaint, level):
        profile = getattr(user, "staff_profile", None)
        language = profile.language if profile is not None else settings.LANGUAGE_CODE
        with translation.override(language):
            title = (
                _("Complaint #%(id)s at %(dealer)s missed its deadline")
                if level == Complaint.Escalation.DEALER_MANAGER
                else _("Complaint #%(id)s at %(dealer)s is still overdue: escalated to the region")
            ) % {"id": complaint.id, "dealer": complaint.dealer.name}
            body = _("%(customer)s: %(summary)s") % {
                "customer": customer_name(complaint.customer),
                "summary": complaint.summary[:300],
            }
            sent += staff_notify(
                user=user,
                key=f"complaint:{complaint.id}:level{level}:{user.id}",
                kind="complaint_escalated",
                title=title,
                body=body,
                link=link,
                email=True,
                language=language,
            )
    return sent


def _overdue_candidates(now: datetime):
    missed = Q(first_contacted_at__isnull=True, first_contact_due_at__lte=now) | Q(
        resolved_at__isnull=True, resolution_due_at__lte=now
    )
    return (
        Complaint.objects.exclude(status=Status.CLOSED)
        .filter(escalation__lt=Complaint.Escalation.OEM_REGION)
        .filter(missed)
        .order_by("id")
    )


def complaint_escalate(*, complaint_id: int, now: datetime | None = None) -> int:
    """Raise one complaint to the level its missed deadlines call for, notifying each level's people once.
    Returns the level reached now (0 when nothing changed). Network-wide: a beat job."""
    now = now or timezone.now()
    with network_wide(reason="complaint escalation"):
        complaint = (
            Complaint.objects.select_for_update(skip_locked=True)
            .select_related("dealer", "customer")
            .filter(id=complaint_id)
            .first()
        )
        if complaint is None or complaint.is_closed:
            return 0
        wanted = complaint_level_due(complaint, now)
        if wanted <= complaint.escalation:
            return 0
        for level in range(complaint.escalation + 1, wanted + 1):
            _notify_escalation(complaint, level)
            _entry(complaint, Entry.ESCALATED, text=str(Complaint.Escalation(level).label), at=now)
        Complaint.objects.filter(id=complaint.id, escalation__lt=wanted).update(
            escalation=wanted, escalated_at=now
        )
        return wanted


def complaints_escalate(*, now: datetime | None = None, limit: int = 500) -> int:
    """The beat scan: every open complaint past a deadline, escalated as far as it is due. Returns how many
    moved up."""
    now = now or timezone.now()
    with network_wide(reason="complaint escalation scan"):
        ids = list(_overdue_candidates(now).values_list("id", flat=True)[:limit])
    moved = 0
    for complaint_id in ids:
        try:
            moved += bool(complaint_escalate(complaint_id=complaint_id, now=now))
        except Exception:  # one broken row must not hold up the others
            logger.exception("complaint %s escalation failed", complaint_id)
    return moved


# --- Call-backs -------------------------------------------------------------------------------------------


def _call_back_assignee(*, dealer_id: int, advisor_id: int | None):
    """Another service staff member of the dealer, the one with the fewest call-backs waiting; None (the
    call-centre queue) when the call centre makes them or nobody else is there."""
    if settings.SERVICE_CALL_BACKS_BY_CALL_CENTRE:
        return None
    staff_ids = set(
        RoleAssignment.objects.filter(
            dealer_id=dealer_id, role__in=CALL_BACK_DEALER_ROLES, is_active=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    staff_ids.discard(advisor_id)
    if not staff_ids:
        return None
    return (
        User.objects.filter(id__in=staff_ids)
        .annotate(
            waiting=Count(
                "assigned_call_backs", filter=Q(assigned_call_backs__recorded_at__isnull=True), distinct=True
            )
        )
        .order_by("waiting", "id")
        .first()
    )


@transaction.atomic
def call_back_schedule(*, repair_order: RepairOrder, settled_at: datetime | None = None) -> CallBack | None:
    """The satisfaction call for a settled repair order (once per order: a second call returns the first).
    Corrections and internal-only orders get none. The caller's scope must see the order (the subscriber
    runs network-wide)."""
    existing = CallBack.objects.filter(repair_order_id=repair_order.id).first()
    if existing is not None:
        return existing
    if repair_order.status != RepairOrder.Status.SETTLED or repair_order.corrects_id:
        return None
    pay_types = set(repair_order.jobs.values_list("pay_type", flat=True))
    if pay_types and pay_types <= {"internal"}:
        return None
    settled_at = settled_at or repair_order.settled_at or timezone.now()
    first_day, last_day = settings.SERVICE_CALL_BACK_DAYS
    call_back, _created = CallBack.objects.get_or_create(
        repair_order=repair_order,
        defaults={
            "dealer_id": repair_order.dealer_id,
            "customer_id": repair_order.customer_id,
            "advisor_id": repair_order.advisor_id,
            "assigned_to": _call_back_assignee(
                dealer_id=repair_order.dealer_id, advisor_id=repair_order.advisor_id
            ),
            "due_at": settled_at + timedelta(days=first_day),
            "due_by": settled_at + timedelta(days=last_day),
        },
    )
    return call_back


def call_back_on_settled(event) -> None:
    """Timeline subscriber (service.repair_order_settled): schedule the order's call-back."""
    repair_order = RepairOrder.objects.filter(id=event.data.get("repair_order")).first()
    if repair_order is None:
        return
    call_back_schedule(repair_order=repair_order, settled_at=repair_order.settled_at)


@transaction.atomic
def call_back_record(*, call_back: CallBack, by, outcome: str, notes: str = "") -> CallBack:
    """Record the call. Never by the advisor who served the customer (CallBackByAdvisor); a dissatisfied
    customer's words open a complaint (source "call_back") about the order, linked to the call-back."""
    call_back = CallBack.objects.select_for_update().filter(id=call_back.id).first()
    if call_back is None:
        raise NotFound()
    require(can_make_call_back(access_for(by), call_back.dealer_id))
    if call_back.is_done:
        raise CallBackDone()
    if call_back.advisor_id is not None and call_back.advisor_id == by.id:
        raise CallBackByAdvisor()
    if outcome not in CallBack.Outcome.values:
        raise CallBackOutcomeInvalid()
    notes = (notes or "").strip()
    if outcome == CallBack.Outcome.DISSATISFIED and not notes:
        raise CallBackNotesMissing()
    call_back.outcome = outcome
    call_back.notes = notes
    call_back.recorded_by = by
    call_back.recorded_at = timezone.now()
    if outcome == CallBack.Outcome.DISSATISFIED:
        repair_order = call_back.repair_order
        call_back.complaint = complaint_open(
            dealer=repair_order.dealer,
            customer=call_back.customer,
            repair_order=repair_order,
            category=Complaint.Category.REPAIR_QUALITY,
            severity=Complaint.Severity.MEDIUM,
            source=Complaint.Source.CALL_BACK,
            summary=notes,
            opened_by=by,
        )
    call_back.save(update_fields=["outcome", "notes", "recorded_by", "recorded_at", "complaint"])
    return call_back
