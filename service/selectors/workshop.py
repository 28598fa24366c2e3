"""The workshop's reads: the vehicles a user may see, check-in by plate or VIN, today's board, one order
with everything its page shows. Every queryset is scoped here (and again by row-level security)."""

import re
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from crm.core.exceptions import NotFound
from crm.customers.models import CustomerDealer, Vehicle
from crm.customers.normalize import plate_normalize, width_fold
from crm.network.access import access_for
from service.models import ChargeLine, Job, LabourLine, PartLine, RepairOrder
from service.permissions import can_read_service

_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VIN_TAIL = re.compile(r"^[A-HJ-NPR-Z0-9]{6,16}$")
_PLATE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-Z0-9]{4,6}$")
CHECK_IN_LIMIT = 10
ACTIVE = (RepairOrder.Status.OPEN, RepairOrder.Status.IN_PROGRESS, RepairOrder.Status.READY)


def vehicles_for_user(*, user) -> QuerySet[Vehicle]:
    """Vehicles the user may see: at a dealer, those it recorded or sold, or whose owner it knows."""
    access = access_for(user)
    if not access.is_authenticated or not can_read_service(access):
        return Vehicle.objects.none()
    vehicles = Vehicle.objects.select_related("owner", "selling_dealer")
    if access.scope.network_wide:
        return vehicles
    dealer_ids = list(access.scope.dealer_ids)
    knows_owner = CustomerDealer.objects.filter(customer_id=OuterRef("owner_id"), dealer_id__in=dealer_ids)
    return vehicles.filter(
        Q(recorded_by_dealer_id__in=dealer_ids) | Q(selling_dealer_id__in=dealer_ids) | Exists(knows_owner)
    )


def vehicle_get(*, user, vehicle_id: int) -> Vehicle:
    vehicle = vehicles_for_user(user=user).filter(id=vehicle_id).first()
    if vehicle is None:
        raise NotFound()
    return vehicle


@dataclass(frozen=True)
class CheckInQuery:
    kind: str  # vin | vin_tail | plate | empty | unreadable
    value: str


def check_in_query_parse(text: str) -> CheckInQuery:
    """What the advisor typed or scanned: a whole VIN, the end of one, or a plate — in any width or case,
    with spaces, dots or dashes (a scanner sends the VIN of a windscreen barcode with a leading I or a
    trailing newline on some models: both are dropped)."""
    compact = re.sub(r"[\s·・.\-]", "", width_fold(text)).upper()
    if not compact:
        return CheckInQuery("empty", "")
    if len(compact) == 18 and compact.startswith("I"):  # Code 39 VIN labels carry a leading import marker
        compact = compact[1:]
    if _PLATE.match(compact):
        return CheckInQuery("plate", plate_normalize(compact))
    if _VIN.match(compact):
        return CheckInQuery("vin", compact)
    if _VIN_TAIL.match(compact) and any(c.isdigit() for c in compact):
        return CheckInQuery("vin_tail", compact)
    return CheckInQuery("unreadable", compact)


def check_in_lookup(*, user, text: str) -> tuple[CheckInQuery, list[Vehicle]]:
    """Vehicles matching a plate or VIN the user typed, among those the user may see."""
    query = check_in_query_parse(text)
    vehicles = vehicles_for_user(user=user)
    if query.kind == "plate":
        found = vehicles.filter(plate=query.value)
    elif query.kind == "vin":
        found = vehicles.filter(vin=query.value)
    elif query.kind == "vin_tail":
        tail = query.value[::-1]
        found = vehicles.filter(
            Q(vin_reversed__gte=tail, vin_reversed__lt=tail[:-1] + chr(ord(tail[-1]) + 1)) | Q(plate=query.value)
        )
    else:
        return query, []
    return query, list(found.order_by("id")[:CHECK_IN_LIMIT])


def repair_orders_for_user(*, user) -> QuerySet[RepairOrder]:
    """Repair orders the user may read whole: their dealers' (row-level security says the same)."""
    access = access_for(user)
    if not access.is_authenticated or not can_read_service(access):
        return RepairOrder.objects.none()
    orders = RepairOrder.objects.select_related("dealer", "vehicle", "customer", "advisor")
    if access.scope.network_wide:
        return orders
    return orders.filter(dealer_id__in=access.scope.dealer_ids)


@dataclass
class WorkshopBoard:
    open: list = field(default_factory=list)
    in_progress: list = field(default_factory=list)
    ready: list = field(default_factory=list)
    settled_today: list = field(default_factory=list)


def workshop_board(*, user, dealer) -> WorkshopBoard:
    """The dealer's orders still in the workshop (whenever they were opened: a car left overnight is still
    today's work), and those settled today."""
    today = timezone.localdate()
    orders = repair_orders_for_user(user=user).filter(dealer=dealer)
    board = WorkshopBoard()
    for order in orders.filter(status__in=ACTIVE).order_by("promised_at", "opened_at", "id")[:200]:
        getattr(board, order.status).append(order)
    board.settled_today = list(
        orders.filter(status=RepairOrder.Status.SETTLED, settled_at__date=today).order_by("-settled_at")[:50]
    )
    return board


def repair_order_get(*, user, repair_order_id: int) -> RepairOrder:
    order = repair_orders_for_user(user=user).filter(id=repair_order_id).select_related("corrects").first()
    if order is None:
        raise NotFound()
    return order


def repair_order_page(*, user, repair_order_id: int) -> RepairOrder:
    """The order with its jobs and their lines, in a fixed number of queries."""
    order = (
        repair_orders_for_user(user=user)
        .filter(id=repair_order_id)
        .select_related("corrects")
        .prefetch_related(
            Prefetch(
                "jobs",
                queryset=Job.objects.order_by("position", "id").prefetch_related(
                    Prefetch("labour_lines", queryset=LabourLine.objects.select_related("technician")),
                    Prefetch("part_lines", queryset=PartLine.objects.all()),
                    Prefetch("charge_lines", queryset=ChargeLine.objects.all()),
                ),
            ),
            "corrections",
        )
        .first()
    )
    if order is None:
        raise NotFound()
    return order


def line_get(*, repair_order: RepairOrder, kind: str, line_id: int):
    """A labour, parts or charge line of this order (NotFound for any other)."""
    model = {"labour": LabourLine, "part": PartLine, "charge": ChargeLine}.get(kind)
    line = model and model.objects.select_related("job").filter(id=line_id, job__repair_order=repair_order).first()
    if line is None:
        raise NotFound()
    return line


def job_get(*, repair_order: RepairOrder, job_id) -> Job:
    job = Job.objects.filter(id=job_id, repair_order=repair_order).first() if str(job_id).isdigit() else None
    if job is None:
        raise NotFound()
    return job


def recent_customers_of_vehicle(*, user, vehicle) -> list:
    """Who brought this vehicle before at the user's dealers, newest first: besides its owner, the customer
    at that time may be a company's driver or a family member."""
    seen, customers = set(), []
    if vehicle.owner_id:
        seen.add(vehicle.owner_id)
        customers.append(vehicle.owner)
    for order in repair_orders_for_user(user=user).filter(vehicle=vehicle).order_by("-opened_at")[:20]:
        if order.customer_id not in seen:
            seen.add(order.customer_id)
            customers.append(order.customer)
    return customers
