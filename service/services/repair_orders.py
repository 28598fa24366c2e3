"""Repair orders: opening, adding jobs and lines, moving through the workshop, settling, voiding, correcting.

Guarantees: every write is one transaction on the order locked first; the totals are recomputed from the
lines in that transaction (never adjusted by a delta), so they always add up — the database checks it too; a
settled or voided order takes no change (RepairOrderClosed), and a correction is a new order that refers to
the settled one. Opening and settling write timeline events (service.events) in the same transaction.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from crm.core.exceptions import NotFound
from crm.network.access import access_for
from crm.timeline.services import event_record
from service import events
from service.exceptions import (
    DiscountTooLarge,
    RepairOrderClosed,
    RepairOrderEmpty,
    RepairOrderMoveNotAllowed,
    RepairOrderNumberTaken,
    VehicleWithoutCustomer,
    VoidReasonMissing,
)
from service.maintenance.services import maintenance_recompute
from service.models import ChargeLine, Job, LabourLine, OdometerReading, PartLine, PayType, RepairOrder
from service.permissions import can_work_workshop, require
from service.services.history import summary_write
from service.services.odometer import odometer_record

CENT = Decimal("0.01")
Status = RepairOrder.Status
# The workshop's moves; settling and voiding have their own services.
WORKSHOP_MOVES = {
    Status.OPEN: {Status.IN_PROGRESS},
    Status.IN_PROGRESS: {Status.READY, Status.OPEN},
    Status.READY: {Status.IN_PROGRESS},
}


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _lock(repair_order_id: int) -> RepairOrder:
    """The order, locked for this transaction (visible to the caller's scope, else NotFound)."""
    repair_order = RepairOrder.objects.select_for_update().filter(id=repair_order_id).first()
    if repair_order is None:
        raise NotFound()
    return repair_order


def _lock_open(repair_order_id: int, by) -> RepairOrder:
    repair_order = _lock(repair_order_id)
    require(can_work_workshop(access_for(by), repair_order.dealer_id))
    if repair_order.is_closed:
        raise RepairOrderClosed()
    return repair_order


def _next_number(dealer) -> str:
    """The dealer's next workshop number (RO + local year + sequence). DMS imports keep their own numbers."""
    year = timezone.localdate().year
    prefix = f"RO{year}-"
    last = (
        RepairOrder.objects.filter(dealer=dealer, number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last.removeprefix(prefix)) + 1 if last and last.removeprefix(prefix).isdigit() else 1
    return f"{prefix}{sequence:05d}"


def totals_recompute(*, repair_order: RepairOrder) -> RepairOrder:
    """Derive every total from the order's lines (the caller holds the order's lock)."""

    def summed(model, *, customer_only: bool = False, **filters):
        rows = model.objects.filter(job__repair_order=repair_order, **filters)
        if customer_only:
            rows = rows.filter(job__pay_type=PayType.CUSTOMER)
        return rows.aggregate(total=Sum("amount"))["total"] or Decimal(0)

    def bill(*, customer_only: bool = False) -> dict:
        labour = summed(LabourLine, customer_only=customer_only)
        parts = summed(PartLine, customer_only=customer_only)
        charges = summed(ChargeLine, customer_only=customer_only, kind=ChargeLine.Kind.CHARGE)
        discounts = summed(ChargeLine, customer_only=customer_only, kind=ChargeLine.Kind.DISCOUNT)
        taxable = labour + parts + charges - discounts
        if taxable < 0:
            raise DiscountTooLarge()
        tax = money(taxable * repair_order.tax_rate)
        return {
            "labour_total": labour,
            "parts_total": parts,
            "charges_total": charges,
            "discount_total": discounts,
            "tax_total": tax,
            "total": taxable + tax,
        }

    totals = bill()
    totals["customer_pay_total"] = bill(customer_only=True)["total"]
    RepairOrder.objects.filter(id=repair_order.id).update(
        **totals, version=F("version") + 1, updated_at=timezone.now()
    )
    for name, value in totals.items():
        setattr(repair_order, name, value)
    repair_order.version += 1
    return repair_order


@transaction.atomic
def repair_order_open(
    *,
    dealer,
    vehicle,
    by,
    customer=None,
    advisor=None,
    mileage_in: int | None = None,
    promised_at=None,
    concern: str = "",
    number: str = "",
    opened_at=None,
    pay_type=PayType.CUSTOMER,
) -> RepairOrder:
    """Open an order for `vehicle` at `dealer`, for `customer` (default: the vehicle's owner), with a first job
    for the customer's concern when one is given. The mileage in is recorded in the vehicle's odometer series
    (a reading lower than the current one is kept as suspect). Raises RepairOrderNumberTaken for a number the
    dealer already used."""
    require(can_work_workshop(access_for(by), dealer.id))
    customer = customer or vehicle.owner
    if customer is None:
        raise VehicleWithoutCustomer()
    opened_at = opened_at or timezone.now()
    try:
        with transaction.atomic():
            repair_order = RepairOrder.objects.create(
                dealer=dealer,
                number=(number or _next_number(dealer)).strip()[:40],
                vehicle=vehicle,
                customer=customer,
                advisor=advisor or (by if getattr(by, "is_authenticated", False) else None),
                mileage_in=mileage_in,
                promised_at=promised_at,
                opened_at=opened_at,
            )
    except IntegrityError as error:
        raise RepairOrderNumberTaken() from error
    if concern.strip():
        Job.objects.create(
            repair_order=repair_order, dealer=dealer, position=1, concern=concern.strip(), pay_type=pay_type
        )
    if mileage_in is not None:
        odometer_record(
            vehicle=vehicle,
            km=mileage_in,
            read_at=opened_at,
            source=OdometerReading.Source.REPAIR_ORDER,
            dealer=dealer,
            repair_order=repair_order,
        )
    event_record(
        customer_id=customer.id,
        kind=events.REPAIR_ORDER_OPENED,
        dealer_id=dealer.id,
        actor=by,
        occurred_at=opened_at,
        data={
            "repair_order": repair_order.id,
            "number": repair_order.number,
            "vehicle": vehicle.id,
            "vin": vehicle.vin,
            "mileage_in": mileage_in,
            "opened_at": opened_at.isoformat(),
        },
    )
    return repair_order


@transaction.atomic
def job_add(
    *,
    repair_order: RepairOrder,
    by,
    concern: str = "",
    cause: str = "",
    correction: str = "",
    pay_type=PayType.CUSTOMER,
) -> Job:
    repair_order = _lock_open(repair_order.id, by)
    position = (Job.objects.filter(repair_order=repair_order).count() or 0) + 1
    job = Job.objects.create(
        repair_order=repair_order,
        dealer_id=repair_order.dealer_id,
        position=position,
        concern=concern.strip(),
        cause=cause.strip(),
        correction=correction.strip(),
        pay_type=pay_type,
    )
    if pay_type != PayType.CUSTOMER:
        totals_recompute(repair_order=repair_order)
    return job


@transaction.atomic
def job_update(*, job: Job, by, **changes) -> Job:
    """Change a job's words or its pay type (which moves what the customer pays)."""
    _lock_open(job.repair_order_id, by)
    allowed = {"concern", "cause", "correction", "pay_type"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown job fields: {sorted(unknown)}")
    Job.objects.filter(id=job.id).update(**changes)
    job.refresh_from_db()
    totals_recompute(repair_order=job.repair_order)
    return job


def _line_added(job: Job, by, model, **fields):
    repair_order = _lock_open(job.repair_order_id, by)
    line = model.objects.create(job=job, dealer_id=repair_order.dealer_id, **fields)
    totals_recompute(repair_order=repair_order)
    return line


@transaction.atomic
def labour_line_add(
    *,
    job: Job,
    by,
    hours,
    rate,
    operation_code: str = "",
    description: str = "",
    technician=None,
    technician_name: str = "",
    line_number: int | None = None,
) -> LabourLine:
    hours, rate = Decimal(hours), Decimal(rate)
    return _line_added(
        job,
        by,
        LabourLine,
        operation_code=operation_code.strip().upper()[:40],
        description=description.strip()[:300],
        hours=hours,
        rate=rate,
        amount=money(hours * rate),
        technician=technician,
        technician_name=technician_name.strip()[:100],
        line_number=line_number,
    )


@transaction.atomic
def part_line_add(
    *,
    job: Job,
    by,
    part_number: str,
    quantity,
    unit_price,
    description: str = "",
    line_number: int | None = None,
) -> PartLine:
    quantity, unit_price = Decimal(quantity), Decimal(unit_price)
    return _line_added(
        job,
        by,
        PartLine,
        part_number=part_number.strip().upper()[:60],
        description=description.strip()[:300],
        quantity=quantity,
        unit_price=unit_price,
        amount=money(quantity * unit_price),
        line_number=line_number,
    )


@transaction.atomic
def charge_line_add(
    *,
    job: Job,
    by,
    amount,
    kind=ChargeLine.Kind.CHARGE,
    description: str = "",
    line_number: int | None = None,
) -> ChargeLine:
    return _line_added(
        job,
        by,
        ChargeLine,
        kind=kind,
        description=description.strip()[:300],
        amount=money(amount),
        line_number=line_number,
    )


@transaction.atomic
def line_remove(*, line, by) -> None:
    repair_order = _lock_open(line.job.repair_order_id, by)
    type(line).objects.filter(id=line.id).delete()
    totals_recompute(repair_order=repair_order)


@transaction.atomic
def repair_order_move(*, repair_order: RepairOrder, by, to_status: str) -> RepairOrder:
    """The workshop's moves: open → in progress → ready (and back a step)."""
    repair_order = _lock_open(repair_order.id, by)
    if to_status not in WORKSHOP_MOVES.get(repair_order.status, set()):
        raise RepairOrderMoveNotAllowed()
    RepairOrder.objects.filter(id=repair_order.id).update(
        status=to_status, version=F("version") + 1, updated_at=timezone.now()
    )
    repair_order.refresh_from_db()
    return repair_order


def _has_lines(repair_order: RepairOrder) -> bool:
    return any(
        model.objects.filter(job__repair_order=repair_order).exists()
        for model in (LabourLine, PartLine, ChargeLine)
    )


@transaction.atomic
def repair_order_settle(*, repair_order: RepairOrder, by, settled_at=None) -> RepairOrder:
    """Settle the bill: the order is frozen from now on, and `service.repair_order_settled` tells the apps that
    react to it (loyalty, surveys, recalls, call-backs)."""
    repair_order = _lock_open(repair_order.id, by)
    if not _has_lines(repair_order):
        raise RepairOrderEmpty()
    totals_recompute(repair_order=repair_order)
    settled_at = settled_at or timezone.now()
    RepairOrder.objects.filter(id=repair_order.id).update(
        status=Status.SETTLED, settled_at=settled_at, version=F("version") + 1, updated_at=timezone.now()
    )
    repair_order.refresh_from_db()
    summary_write(repair_order=repair_order)
    operation_codes = sorted(
        set(
            LabourLine.objects.filter(job__repair_order=repair_order)
            .exclude(operation_code="")
            .values_list("operation_code", flat=True)
        )
    )
    pay_types = sorted(set(Job.objects.filter(repair_order=repair_order).values_list("pay_type", flat=True)))
    event_record(
        customer_id=repair_order.customer_id,
        kind=events.REPAIR_ORDER_SETTLED,
        dealer_id=repair_order.dealer_id,
        actor=by,
        occurred_at=settled_at,
        data={
            "repair_order": repair_order.id,
            "number": repair_order.number,
            "vehicle": repair_order.vehicle_id,
            "vin": repair_order.vehicle.vin,
            "advisor": repair_order.advisor_id,
            "total": str(repair_order.total),
            "customer_pay_total": str(repair_order.customer_pay_total),
            "pay_types": pay_types,
            "operation_codes": operation_codes,
            "settled_at": settled_at.isoformat(),
        },
    )
    return repair_order


@transaction.atomic
def repair_order_void(*, repair_order: RepairOrder, by, reason: str) -> RepairOrder:
    """Void an order that was never settled (a settled one is corrected by a new order instead)."""
    repair_order = _lock_open(repair_order.id, by)
    if not reason.strip():
        raise VoidReasonMissing()
    now = timezone.now()
    RepairOrder.objects.filter(id=repair_order.id).update(
        status=Status.VOIDED,
        voided_at=now,
        void_reason=reason.strip()[:300],
        version=F("version") + 1,
        updated_at=now,
    )
    repair_order.refresh_from_db()
    maintenance_recompute(vehicle_ids=[repair_order.vehicle_id])
    event_record(
        customer_id=repair_order.customer_id,
        kind=events.REPAIR_ORDER_VOIDED,
        dealer_id=repair_order.dealer_id,
        actor=by,
        data={
            "repair_order": repair_order.id,
            "number": repair_order.number,
            "reason": repair_order.void_reason,
        },
    )
    return repair_order


@transaction.atomic
def repair_order_correct(*, repair_order: RepairOrder, by) -> RepairOrder:
    """A correction of a settled order: a new open order with the same jobs and lines, referring to it, for
    the advisor to amend and settle. The settled order stays exactly as it was."""
    original = _lock(repair_order.id)
    require(can_work_workshop(access_for(by), original.dealer_id))
    if original.status != Status.SETTLED:
        raise RepairOrderMoveNotAllowed()
    correction = RepairOrder.objects.create(
        dealer_id=original.dealer_id,
        number=f"{original.number}-C{original.corrections.count() + 1}"[:40],
        vehicle_id=original.vehicle_id,
        customer_id=original.customer_id,
        advisor=original.advisor,
        advisor_name=original.advisor_name,
        mileage_in=original.mileage_in,
        tax_rate=original.tax_rate,
        corrects=original,
    )
    for job in Job.objects.filter(repair_order=original).order_by("position", "id"):
        lines = {model: list(model.objects.filter(job=job)) for model in (LabourLine, PartLine, ChargeLine)}
        job.pk, job.repair_order = None, correction
        job.save(force_insert=True)
        for model, rows in lines.items():
            for line in rows:
                line.pk, line.job = None, job
            model.objects.bulk_create(rows)
    return totals_recompute(repair_order=correction)
