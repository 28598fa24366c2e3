"""Importing a dealer's DMS export of repair orders, idempotently.

Guarantees:
- An order is keyed by dealer + RO number, its lines by line number. Importing the same file (or the same
  rows in another file) again changes nothing: every row reports "unchanged".
- Within one file, the rows of an order's newest version (its DMS modified time) count; older versions'
  rows are reported "superseded", a repeated identical row "duplicate". Across imports, a version older
  than the one stored is "superseded" too; a newer or different one replaces the stored order whole (its
  jobs, lines, totals, odometer reading and summary) and its rows are "revised".
- A voided order is kept, voided with its reason, and so left out of history (no summary) and of figures.
- An order whose VIN is not a VIN (after folding case, spaces and full width), or whose vehicle cannot be
  found or recorded, is quarantined with its reason, never guessed; an order with a bad row is not
  imported at all ("rejected", each row saying why), so no order is ever half imported.
- An order opened in our own workshop is never overwritten by an import of the same number.
- Each order is written in its own savepoint, inside the import's one transaction; every row of the file
  is reported (DmsImportRow). A push with an Idempotency-Key already used returns the first import.
"""

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import ApplicationError
from crm.core.spreadsheets import Table
from crm.customers.exceptions import VinAlreadyRegistered
from crm.customers.models import CustomerDealer, Vehicle
from crm.customers.services import customer_resolve, vehicle_register
from crm.network.access import access_for
from crm.timeline.services import event_record
from service import events
from service.dms import DmsLine, column_mapping, columns_missing, parse_table
from service.exceptions import DmsColumnsMissing, DmsImportKeyReused
from service.maintenance.services import maintenance_recompute
from service.models import (
    ChargeLine,
    DmsImport,
    DmsImportRow,
    Job,
    LabourLine,
    OdometerReading,
    PartLine,
    RepairOrder,
)
from service.permissions import can_import_dms, require
from service.selectors import vehicles_for_user
from service.services.history import summary_write
from service.services.odometer import odometer_record
from service.services.repair_orders import totals_recompute

Outcome = DmsImportRow.Outcome
Status = RepairOrder.Status


class Quarantine(Exception):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass
class _Report:
    rows: dict[int, tuple[DmsLine, str, str]]

    def set(self, line: DmsLine, outcome: str, message: str = "") -> None:
        self.rows[line.row_number] = (line, outcome, message)


def dms_import_run(
    *,
    dealer,
    by,
    table: Table,
    file_name: str = "",
    source: str = DmsImport.Source.FILE,
    idempotency_key: str = "",
    mapping: dict[str, int | None] | None = None,
) -> DmsImport:
    """Import `table` (a DMS export read by crm.core.spreadsheets) for `dealer`. See the module's guarantees.
    `mapping` (field → column index) is suggested from the headers when not given (the API gives it).
    Raises DmsColumnsMissing when the file lacks a column it cannot do without."""
    require(can_import_dms(access_for(by), dealer.id))
    key = (idempotency_key or "").strip()[:100]
    fingerprint = _table_fingerprint(table)
    if key:
        earlier = DmsImport.objects.filter(dealer=dealer, idempotency_key=key).first()
        if earlier is not None:
            if earlier.read_as.rsplit(" ", 1)[-1] != fingerprint[:12]:
                raise DmsImportKeyReused()
            return earlier
    mapping = mapping if mapping is not None else column_mapping(table)
    missing = columns_missing(mapping)
    if missing:
        raise DmsColumnsMissing(
            DmsColumnsMissing.default_message % {"columns": ", ".join(missing)}, extra={"columns": missing}
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                dms_import = DmsImport.objects.create(
                    dealer=dealer,
                    source=source,
                    file_name=file_name[:200],
                    read_as=f"{table.encoding or table.sheet or ''} {fingerprint[:12]}".strip()[:60],
                    idempotency_key=key,
                    imported_by=by if getattr(by, "is_authenticated", False) else None,
                )
        except IntegrityError:  # the same key, pushed twice at once: the first one's answer
            earlier = DmsImport.objects.filter(dealer=dealer, idempotency_key=key).first()
            if earlier is None:
                raise
            return earlier
        report = _Report(rows={})
        lines = parse_table(table, mapping)
        by_order: dict[str, list[DmsLine]] = defaultdict(list)
        for line in lines:
            if not line.ro_number:
                report.set(line, Outcome.REJECTED, "; ".join(line.errors))
            else:
                by_order[line.ro_number].append(line)
        for number, order_lines in by_order.items():
            _import_order(dealer=dealer, by=by, number=number, lines=order_lines, report=report)
        DmsImportRow.objects.bulk_create(
            DmsImportRow(
                dms_import=dms_import,
                dealer=dealer,
                row_number=row_number,
                ro_number=line.ro_number,
                line_number=line.line_number,
                outcome=outcome,
                message=message[:300],
                values=line.values if outcome in (Outcome.QUARANTINED, Outcome.REJECTED) else {},
            )
            for row_number, (line, outcome, message) in sorted(report.rows.items())
        )
        dms_import.counts = dict(Counter(outcome for _line, outcome, _message in report.rows.values()))
        dms_import.save(update_fields=["counts"])
    return dms_import


def _table_fingerprint(table: Table) -> str:
    digest = hashlib.sha256()
    for row in [table.headers, *table.rows]:
        digest.update("\x1f".join(row).encode("utf-8", "surrogatepass") + b"\x1e")
    return digest.hexdigest()


def _import_order(*, dealer, by, number: str, lines: list[DmsLine], report: _Report) -> None:
    # The newest version in the file counts; a version without a modified time is older than any with one.
    def version(line: DmsLine):
        return line.modified_at or timezone.make_aware(timezone.datetime.min.replace(year=1900))

    newest = max(version(line) for line in lines)
    current = []
    for line in lines:
        if version(line) < newest:
            report.set(line, Outcome.SUPERSEDED, _("A newer version of this RO is in the same file."))
        else:
            current.append(line)
    kept: dict[int | None, DmsLine] = {}
    for line in current:
        if line.errors:
            continue
        first = kept.get(line.line_number)
        if first is None:
            kept[line.line_number] = line
        elif first.content() == line.content():
            report.set(line, Outcome.DUPLICATE, _("Same as row %(row)s.") % {"row": first.row_number})
        else:
            line.errors.append(
                _("Line %(line)s appears twice with different values (rows %(first)s and %(row)s).")
                % {"line": line.line_number, "first": first.row_number, "row": line.row_number}
            )
    bad = [line for line in current if line.errors]
    if bad:
        rows = ", ".join(str(line.row_number) for line in bad)
        for line in current:
            if line.errors:
                report.set(line, Outcome.REJECTED, "; ".join(line.errors))
            elif report.rows.get(line.row_number, (None, ""))[1] != Outcome.DUPLICATE:
                report.set(line, Outcome.REJECTED, _("RO not imported: fix rows %(rows)s.") % {"rows": rows})
        return
    order_lines = sorted(kept.values(), key=lambda line: line.line_number or 0)
    head = order_lines[0]
    try:
        with transaction.atomic():
            outcome = _write_order(dealer=dealer, by=by, number=number, head=head, lines=order_lines)
    except Quarantine as quarantine:
        for line in order_lines:
            report.set(line, Outcome.QUARANTINED, quarantine.reason)
        return
    except ApplicationError as error:
        for line in order_lines:
            report.set(line, Outcome.REJECTED, str(error.message))
        return
    outcome, message = outcome
    for line in order_lines:
        report.set(line, outcome, message)


def _vehicle_for(*, dealer, by, head: DmsLine) -> Vehicle:
    if head.vin_error:
        raise Quarantine(_("VIN “%(vin)s”: %(reason)s") % {"vin": head.vin, "reason": head.vin_error})
    vehicle = vehicles_for_user(user=by).filter(vin=head.vin).first()
    if vehicle is not None:
        return vehicle
    if not head.customer_phone:
        raise Quarantine(_("Vehicle %(vin)s is not known at this dealer and the row has no customer phone to record its owner.") % {"vin": head.vin})
    resolution = customer_resolve(
        by=by,
        dealer=dealer,
        name=head.customer_name or head.customer_phone,
        phones=[head.customer_phone],
        reason=CustomerDealer.Reason.SERVICE,
        source="import",
    )
    vehicle = vehicles_for_user(user=by).filter(vin=head.vin).first()
    if vehicle is not None:
        return vehicle
    try:
        with transaction.atomic():
            return vehicle_register(
                by=by,
                owner=resolution.customer,
                vin=head.vin,
                make=head.make or "—",
                model=head.model or "—",
                plate=head.plate,
                dealer=dealer,
            )
    except VinAlreadyRegistered:
        raise Quarantine(
            _("Vehicle %(vin)s belongs to an owner this dealer does not know: check the VIN.") % {"vin": head.vin}
        ) from None


def _stored_content(order: RepairOrder) -> tuple:
    rows = []
    for line in LabourLine.objects.filter(job__repair_order=order).select_related("job"):
        rows.append((line.line_number, "labour", line.operation_code, line.description, line.hours.normalize(), line.rate, line.amount, line.technician_name, line.job.pay_type))
    for line in PartLine.objects.filter(job__repair_order=order).select_related("job"):
        rows.append((line.line_number, "part", line.part_number, line.description, line.quantity.normalize(), line.unit_price, line.amount, "", line.job.pay_type))
    for line in ChargeLine.objects.filter(job__repair_order=order).select_related("job"):
        rows.append((line.line_number, line.kind, "", line.description, Decimal(1), line.amount, line.amount, "", line.job.pay_type))
    return tuple(sorted(rows, key=lambda r: r[0] or 0))


def _file_content(lines: list[DmsLine]) -> tuple:
    rows = []
    for line in lines:
        if line.kind in ("charge", "discount"):
            rows.append((line.line_number, line.kind, "", line.description, Decimal(1), line.amount, line.amount, "", line.pay_type))
        else:
            technician = line.technician if line.kind == "labour" else ""
            rows.append((line.line_number, line.kind, line.code, line.description, line.quantity, line.unit_price, line.amount, technician, line.pay_type))
    return tuple(sorted(rows, key=lambda r: r[0] or 0))


def _settled_at(head: DmsLine):
    return (head.settled_at or head.modified_at or head.opened_at) if head.status == "settled" else None


def _header(head: DmsLine) -> tuple:
    return (head.status, head.mileage, head.opened_at, _settled_at(head))


def _write_order(*, dealer, by, number: str, head: DmsLine, lines: list[DmsLine]) -> tuple[str, str]:
    existing = RepairOrder.objects.select_for_update().filter(dealer=dealer, number=number).first()
    if existing is not None:
        if existing.source != RepairOrder.Source.DMS:
            raise Quarantine(_("RO %(number)s was opened in the workshop here: an import does not overwrite it.") % {"number": number})
        if existing.external_modified_at and head.modified_at and head.modified_at < existing.external_modified_at:
            return Outcome.SUPERSEDED, _("A newer version (%(when)s) was imported before.") % {
                "when": timezone.localtime(existing.external_modified_at).strftime("%Y-%m-%d %H:%M")
            }
        stored_header = (
            existing.status if existing.status in (Status.SETTLED, Status.VOIDED) else "open",
            existing.mileage_in,
            existing.opened_at,
            existing.settled_at if existing.status == Status.SETTLED else None,
        )
        if stored_header == _header(head) and _stored_content(existing) == _file_content(lines):
            return Outcome.UNCHANGED, ""
    vehicle = _vehicle_for(dealer=dealer, by=by, head=head)
    if vehicle.owner_id is None:
        raise Quarantine(_("Vehicle %(vin)s has no owner on record.") % {"vin": head.vin})
    was_settled = existing is not None and existing.status == Status.SETTLED
    previous_vehicle_id = existing.vehicle_id if existing is not None else None
    was_voided = existing is not None and existing.status == Status.VOIDED
    status = {"settled": Status.SETTLED, "voided": Status.VOIDED}.get(head.status, Status.IN_PROGRESS)
    now = timezone.now()
    fields = {
        "vehicle": vehicle,
        "customer_id": existing.customer_id if existing is not None else vehicle.owner_id,
        "advisor_name": head.advisor,
        "status": status,
        "source": RepairOrder.Source.DMS,
        "opened_at": head.opened_at,
        "mileage_in": head.mileage,
        "settled_at": _settled_at(head),
        "voided_at": (head.modified_at or now) if status == Status.VOIDED else None,
        "void_reason": _("Voided in the DMS") if status == Status.VOIDED else "",
        "external_modified_at": head.modified_at,
    }
    if existing is None:
        order = RepairOrder.objects.create(dealer=dealer, number=number, **fields)
    else:
        order = existing
        Job.objects.filter(repair_order=order).delete()
        OdometerReading.objects.filter(repair_order=order).delete()
        RepairOrder.objects.filter(id=order.id).update(**fields, version=F("version") + 1, updated_at=now)
        order.refresh_from_db()
    _write_lines(order=order, head=head, lines=lines)
    totals_recompute(repair_order=order)
    if head.mileage is not None:
        odometer_record(
            vehicle=vehicle, km=head.mileage, read_at=head.opened_at, source=OdometerReading.Source.IMPORT,
            dealer=dealer, repair_order=order,
        )
    summary_write(repair_order=order)
    if previous_vehicle_id not in (None, vehicle.id):  # a revision moved the order to another VIN
        maintenance_recompute(vehicle_ids=[previous_vehicle_id])
    _tell_the_timeline(order=order, by=by, was_settled=was_settled, was_voided=was_voided)
    if status == Status.VOIDED:
        return Outcome.VOIDED, _("Voided in the DMS: kept, left out of history and figures.")
    return (Outcome.CREATED, "") if existing is None else (Outcome.REVISED, "")


def _write_lines(*, order: RepairOrder, head: DmsLine, lines: list[DmsLine]) -> None:
    jobs: dict[str, Job] = {}
    for line in lines:
        job = jobs.get(line.pay_type)
        if job is None:
            job = jobs[line.pay_type] = Job.objects.create(
                repair_order=order, dealer_id=order.dealer_id, position=len(jobs) + 1,
                concern=head.concern if not jobs else "", pay_type=line.pay_type,
            )
        common = {"job": job, "dealer_id": order.dealer_id, "line_number": line.line_number, "description": line.description}
        if line.kind == "labour":
            LabourLine.objects.create(
                **common, operation_code=line.code[:40], hours=line.quantity, rate=line.unit_price,
                amount=line.amount, technician_name=line.technician,
            )
        elif line.kind == "part":
            PartLine.objects.create(
                **common, part_number=line.code or "—", quantity=line.quantity, unit_price=line.unit_price,
                amount=line.amount,
            )
        else:
            kind = ChargeLine.Kind.DISCOUNT if line.kind == "discount" else ChargeLine.Kind.CHARGE
            ChargeLine.objects.create(**common, kind=kind, amount=line.amount)


def _tell_the_timeline(*, order: RepairOrder, by, was_settled: bool, was_voided: bool) -> None:
    """An imported order tells the apps above once when it is first settled (or voided), as a workshop one
    does; `source` says it came from the DMS (loyalty may not award points on years-old history)."""
    if order.status == Status.SETTLED and not was_settled:
        event_record(
            customer_id=order.customer_id,
            kind=events.REPAIR_ORDER_SETTLED,
            dealer_id=order.dealer_id,
            actor=by,
            occurred_at=order.settled_at,
            data={
                "repair_order": order.id,
                "number": order.number,
                "vehicle": order.vehicle_id,
                "vin": order.vehicle.vin,
                "advisor": None,
                "total": str(order.total),
                "customer_pay_total": str(order.customer_pay_total),
                "pay_types": sorted(set(order.jobs.values_list("pay_type", flat=True))),
                "operation_codes": sorted(
                    set(LabourLine.objects.filter(job__repair_order=order).exclude(operation_code="").values_list("operation_code", flat=True))
                ),
                "settled_at": order.settled_at.isoformat(),
                "source": "dms",
            },
        )
    elif order.status == Status.VOIDED and not was_voided:
        event_record(
            customer_id=order.customer_id,
            kind=events.REPAIR_ORDER_VOIDED,
            dealer_id=order.dealer_id,
            actor=by,
            data={"repair_order": order.id, "number": order.number, "reason": order.void_reason, "source": "dms"},
        )
