"""A vehicle's service life across the network, as far as the viewer may see it (docs/decisions.md,
"Service history across dealers"): the repair orders of the viewer's own dealers (or region, or the whole
network for network roles) whole — lines, technicians, amounts — and every other dealer's settled order on a
vehicle the viewer may see only as its summary: station, date, mileage, operations and parts, no prices, no
people, no customer. Voided orders, and settled ones replaced by a settled correction, are history no more."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from crm.core.names import person_name
from crm.customers.models import Vehicle
from service.models import Job, LabourLine, PartLine, RepairOrder, RepairOrderSummary
from service.selectors.workshop import repair_orders_for_user, vehicles_for_user

HISTORY_LIMIT = 200


@dataclass
class HistoryEntry:
    done_on: date
    station: str
    mileage: int | None
    vehicle: Vehicle | None = None
    operations: list[tuple[str, str]] = field(default_factory=list)  # (operation code, description)
    parts: list[tuple[str, str, str]] = field(default_factory=list)  # (part number, description, quantity)
    # Only on orders the viewer may read whole:
    repair_order: RepairOrder | None = None
    technicians: list[str] = field(default_factory=list)
    total: Decimal | None = None

    @property
    def is_summary(self) -> bool:
        return self.repair_order is None


def _technician(line: LabourLine) -> str:
    if line.technician_id:
        user = line.technician
        return person_name(given=user.first_name, family=user.last_name) or user.username
    return line.technician_name


def _full_entry(order: RepairOrder) -> HistoryEntry:
    entry = HistoryEntry(
        done_on=timezone.localdate(order.settled_at or order.opened_at),
        station=order.dealer.name,
        mileage=order.mileage_in,
        vehicle=order.vehicle,
        repair_order=order,
        total=order.total,
    )
    for job in order.jobs.all():
        for line in job.labour_lines.all():
            entry.operations.append((line.operation_code, line.description))
            name = _technician(line)
            if name and name not in entry.technicians:
                entry.technicians.append(name)
        for line in job.part_lines.all():
            entry.parts.append((line.part_number, line.description, str(line.quantity.normalize())))
    return entry


def _summary_entry(summary: RepairOrderSummary) -> HistoryEntry:
    return HistoryEntry(
        done_on=summary.done_on,
        station=summary.dealer.name,
        mileage=summary.mileage,
        vehicle=summary.vehicle,
        operations=[(item.get("code", ""), item.get("description", "")) for item in summary.operations],
        parts=[
            (item.get("part_number", ""), item.get("description", ""), item.get("quantity", ""))
            for item in summary.parts
        ],
    )


def _history(user, *, vehicles, orders_filter: Q) -> list[HistoryEntry]:
    replaced = RepairOrder.objects.filter(corrects=OuterRef("pk"), status=RepairOrder.Status.SETTLED)
    orders = (
        repair_orders_for_user(user=user)
        .filter(orders_filter)
        .exclude(status=RepairOrder.Status.VOIDED)
        .exclude(Exists(replaced))
        .prefetch_related(
            Prefetch(
                "jobs",
                queryset=Job.objects.order_by("position", "id").prefetch_related(
                    Prefetch(
                        "labour_lines",
                        queryset=LabourLine.objects.select_related("technician").order_by("line_number", "id"),
                    ),
                    Prefetch("part_lines", queryset=PartLine.objects.order_by("line_number", "id")),
                ),
            )
        )
        .order_by("-opened_at", "-id")[:HISTORY_LIMIT]
    )
    entries = [_full_entry(order) for order in orders]
    whole = {entry.repair_order.id for entry in entries}
    summaries = (
        RepairOrderSummary.objects.filter(vehicle__in=vehicles)
        .select_related("dealer", "vehicle")
        .order_by("-done_on", "-id")[:HISTORY_LIMIT]
    )
    entries += [_summary_entry(s) for s in summaries if s.repair_order_id not in whole]
    entries.sort(key=lambda e: (e.done_on, e.repair_order.id if e.repair_order else 0), reverse=True)
    return entries[:HISTORY_LIMIT]


def vehicle_history(*, user, vehicle: Vehicle) -> list[HistoryEntry]:
    """The vehicle's history, newest first (the caller got `vehicle` from vehicle_get, so the user sees it)."""
    return _history(user, vehicles=[vehicle.id], orders_filter=Q(vehicle=vehicle))


def customer_service_history(*, user, customer) -> list[HistoryEntry]:
    """What was done on the customer's vehicles, and on any vehicle they brought to the user's dealers."""
    vehicle_ids = list(vehicles_for_user(user=user).filter(owner=customer).values_list("id", flat=True))
    return _history(user, vehicles=vehicle_ids, orders_filter=Q(vehicle_id__in=vehicle_ids) | Q(customer=customer))
