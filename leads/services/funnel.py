"""Moving a lead through the funnel: the rules of movement in one place, test drives, quotes and orders,
delivery (which creates the customer's vehicle and schedules the call-backs), and "lost" verdicts that
need a manager."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import ApplicationError, NotFound
from crm.customers.services import vehicle_register
from crm.network.access import access_for
from crm.network.models import Role, RoleAssignment
from crm.timeline.services import event_record
from leads import events
from leads.exceptions import DemoCarTaken, LostVerdictPending, StageMoveNotAllowed
from leads.models import OPEN_STAGES, DemoCar, FollowUp, Grade, Lead, LostVerdict, Order, Stage, TestDrive
from leads.permissions import can_manage_dealer, can_work_dealer, require
from leads.services.common import (
    follow_up_by_grade,
    lead_lock_for,
    lock_lead,
    require_open,
    stage_advance,
    stage_record,
)

# The moves a person may make by hand. Ordered, delivered, lost and frozen are reached only through
# their own services (an order, a delivery, an approved verdict), so their rules are enforced there.
MANUAL_MOVES = {
    Stage.NEW: {Stage.CONTACTED, Stage.VISITED, Stage.TEST_DRIVE, Stage.NEGOTIATION},
    Stage.CONTACTED: {Stage.VISITED, Stage.TEST_DRIVE, Stage.NEGOTIATION},
    Stage.VISITED: {Stage.TEST_DRIVE, Stage.NEGOTIATION},
    Stage.TEST_DRIVE: {Stage.NEGOTIATION},
    Stage.NEGOTIATION: {Stage.TEST_DRIVE},
    Stage.ORDERED: {Stage.NEGOTIATION},  # the order fell through; back to negotiating
}


@transaction.atomic
def lead_move(*, to_stage: str, by, lead: Lead | None = None, lead_id: int | None = None) -> Lead:
    """Move the lead by hand along MANUAL_MOVES. Give `lead_id` (pages and the API, from the URL) or a
    `lead` already held: either way the lead is read once, locked and within `by`'s scope, and written
    once (stage_record); the returned lead is that locked row, up to date, with its customer, owner,
    dealer and source, so the caller needs no read after it."""
    lead = lead_lock_for(lead_id=lead_id if lead is None else lead.id, by=by)
    require(can_work_dealer(access_for(by), lead.dealer_id))
    require_open(lead)
    if to_stage not in MANUAL_MOVES.get(lead.stage, set()):
        raise StageMoveNotAllowed(extra={"from": lead.stage, "to": to_stage})
    stage_record(lead=lead, to_stage=to_stage, by=by)
    return lead


@transaction.atomic
def test_drive_book(
    *, lead: Lead, by, demo_car: DemoCar, starts_at: datetime, minutes: int = 30
) -> TestDrive:
    """Book a demo car for a slot; the database refuses an overlapping booking of the same car."""
    lead = lock_lead(lead.id)
    require(can_work_dealer(access_for(by), lead.dealer_id))
    require_open(lead)
    if demo_car.dealer_id != lead.dealer_id or not demo_car.is_active:
        raise NotFound()
    try:
        with transaction.atomic():
            drive = TestDrive.objects.create(
                lead=lead,
                dealer_id=lead.dealer_id,
                demo_car=demo_car,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                booked_by=by,
            )
    except IntegrityError as error:
        raise DemoCarTaken() from error
    stage_advance(lead=lead, to_stage=Stage.TEST_DRIVE, by=by)
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_TEST_DRIVE,
        dealer_id=lead.dealer_id,
        actor=by,
        data={"lead": lead.id, "car": str(demo_car), "starts_at": starts_at.isoformat()},
    )
    return drive


@transaction.atomic
def test_drive_outcome(*, drive: TestDrive, by, status: str, outcome: str = "") -> TestDrive:
    lead = lock_lead(drive.lead_id)
    require(can_work_dealer(access_for(by), lead.dealer_id))
    TestDrive.objects.filter(id=drive.id).update(status=status, outcome=outcome.strip())
    drive.refresh_from_db()
    return drive


@transaction.atomic
def order_quote(
    *,
    lead: Lead,
    by,
    model: str,
    list_price: Decimal,
    trim: str = "",
    colour: str = "",
    discount: Decimal = Decimal(0),
    add_ons: list | None = None,
    deposit: Decimal = Decimal(0),
    promised_delivery_on: date | None = None,
) -> Order:
    """A quote moves the lead into negotiation."""
    lead = lock_lead(lead.id)
    require(can_work_dealer(access_for(by), lead.dealer_id))
    require_open(lead)
    if discount > list_price:
        raise ApplicationError(_("The discount cannot exceed the price."))
    order = Order.objects.create(
        lead=lead,
        dealer_id=lead.dealer_id,
        model=model,
        trim=trim,
        colour=colour,
        list_price=list_price,
        discount=discount,
        add_ons=add_ons or [],
        deposit=deposit,
        promised_delivery_on=promised_delivery_on,
        created_by=by,
    )
    stage_advance(lead=lead, to_stage=Stage.NEGOTIATION, by=by)
    return order


@transaction.atomic
def order_place(
    *, order: Order, by, deposit: Decimal | None = None, promised_delivery_on: date | None = None
) -> Order:
    """The customer signs: the lead is ordered (grade O) and followed up until delivery."""
    lead = lock_lead(order.lead_id)
    require(can_work_dealer(access_for(by), lead.dealer_id))
    require_open(lead)
    Order.objects.filter(id=order.id, status=Order.Status.QUOTED).update(
        status=Order.Status.ORDERED,
        ordered_at=timezone.now(),
        **({"deposit": deposit} if deposit is not None else {}),
        **({"promised_delivery_on": promised_delivery_on} if promised_delivery_on else {}),
    )
    order.refresh_from_db()
    if lead.stage != Stage.ORDERED:
        stage_record(lead=lead, to_stage=Stage.ORDERED, by=by)
    Lead.objects.filter(id=lead.id).update(grade=Grade.O, version=F("version") + 1)
    lead.grade = Grade.O
    follow_up_by_grade(lead=lead, after=timezone.now())
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_ORDERED,
        dealer_id=lead.dealer_id,
        actor=by,
        data={
            "lead": lead.id,
            "order": order.id,
            "model": f"{order.model} {order.trim}".strip(),
            "price": str(order.price),
        },
    )
    return order


@transaction.atomic
def order_deliver(
    *, order: Order, by, vin: str, plate: str = "", year: int | None = None, make: str = ""
) -> Order:
    """Hand over the car: the customer's vehicle record is created, the lead is delivered (grade D), a
    "delivered" event is written for loyalty and surveys to react to, and the sales call-backs are
    scheduled: day 3 by the salesperson, day 7 by the sales manager, and a one-month check."""
    lead = lock_lead(order.lead_id)
    require(can_work_dealer(access_for(by), lead.dealer_id))
    if order.status != Order.Status.ORDERED or lead.stage != Stage.ORDERED:
        raise StageMoveNotAllowed(_("Only an ordered car can be delivered."))
    now = timezone.now()
    vehicle = vehicle_register(
        by=by,
        owner=lead.customer,
        vin=vin,
        make=make or lead.dealer.brands.values_list("name", flat=True).first() or "",
        model=order.model,
        trim=order.trim,
        colour=order.colour,
        year=year,
        plate=plate,
        purchase_date=now.date(),
        dealer=lead.dealer,
        selling_dealer=lead.dealer,
    )
    Order.objects.filter(id=order.id).update(status=Order.Status.DELIVERED, delivered_at=now, vehicle=vehicle)
    order.refresh_from_db()
    stage_record(lead=lead, to_stage=Stage.DELIVERED, by=by, at=now)
    Lead.objects.filter(id=lead.id).update(grade=Grade.D, version=F("version") + 1)
    manager = (
        RoleAssignment.objects.filter(dealer_id=lead.dealer_id, role=Role.SALES_MANAGER, is_active=True)
        .order_by("id")
        .values_list("user_id", flat=True)
        .first()
    )
    for reason, days, assignee in (
        (FollowUp.Reason.DELIVERY_DAY_3, 3, lead.owner_id),
        (FollowUp.Reason.DELIVERY_DAY_7, 7, manager or lead.owner_id),
        (FollowUp.Reason.DELIVERY_MONTH_1, 30, lead.owner_id),
    ):
        FollowUp.objects.create(
            lead=lead,
            dealer_id=lead.dealer_id,
            assigned_to_id=assignee,
            reason=reason,
            due_at=now + timedelta(days=days),
        )
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_DELIVERED,
        dealer_id=lead.dealer_id,
        actor=by,
        occurred_at=now,
        data={
            "lead": lead.id,
            "order": order.id,
            "vehicle": vehicle.id,
            "vin": vehicle.vin,
            "model": order.model,
        },
    )
    return order


@transaction.atomic
def lost_propose(
    *, lead: Lead, by, reason: str, competitor_brand: str = "", note: str = "", freeze_only: bool = False
) -> LostVerdict:
    """The salesperson proposes "lost" (or "frozen": not in the market for now) with a reason; the lead
    stays open until a manager decides."""
    lead = lock_lead(lead.id)
    require(can_work_dealer(access_for(by), lead.dealer_id))
    require_open(lead)
    if reason == LostVerdict.Reason.COMPETITOR_BRAND and not competitor_brand.strip():
        raise ApplicationError(_("Name the brand the customer bought."))
    try:
        with transaction.atomic():
            verdict = LostVerdict.objects.create(
                lead=lead,
                dealer_id=lead.dealer_id,
                reason=reason,
                competitor_brand=competitor_brand.strip(),
                note=note.strip(),
                freeze_only=freeze_only,
                proposed_by=by,
            )
    except IntegrityError as error:
        raise LostVerdictPending() from error
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_LOST_PROPOSED,
        dealer_id=lead.dealer_id,
        actor=by,
        data={"lead": lead.id, "reason": reason, "verdict": verdict.id},
    )
    return verdict


@transaction.atomic
def lost_decide(*, verdict: LostVerdict, by, approve: bool, note: str = "") -> LostVerdict:
    """A manager approves (the lead closes as lost, F1, or frozen, F2) or sends it back (the salesperson
    keeps following up)."""
    lead = lock_lead(verdict.lead_id)
    require(can_manage_dealer(access_for(by), lead.dealer_id))
    updated = LostVerdict.objects.filter(id=verdict.id, status=LostVerdict.Status.PROPOSED).update(
        status=LostVerdict.Status.APPROVED if approve else LostVerdict.Status.RETURNED,
        decided_by=by,
        decided_at=timezone.now(),
        decision_note=note.strip(),
    )
    if not updated:
        raise ApplicationError(_("This verdict was already decided."))
    verdict.refresh_from_db()
    if approve and lead.stage in OPEN_STAGES:
        to_stage, grade = (Stage.FROZEN, Grade.F2) if verdict.freeze_only else (Stage.LOST, Grade.F1)
        stage_record(lead=lead, to_stage=to_stage, by=by)
        Lead.objects.filter(id=lead.id).update(grade=grade, version=F("version") + 1)
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_LOST_DECIDED,
        dealer_id=lead.dealer_id,
        actor=by,
        data={"lead": lead.id, "status": verdict.status, "verdict": verdict.id},
    )
    return verdict
