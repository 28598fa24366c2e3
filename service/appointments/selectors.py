"""Every read of service appointments: capacity and free slots in the dealer's time zone, the day's board per
bay or per advisor, today's appointments on the workshop screen. Querysets are scoped to the user here (and
again by row-level security)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.utils import timezone

from crm.core import key_figures as kf
from crm.core.exceptions import NotFound
from crm.network.access import access_for
from crm.network.models import WEEKDAYS, Dealer, Role, RoleAssignment
from service.appointments import permissions
from service.models import (
    AdvisorException,
    AdvisorHours,
    Appointment,
    AppointmentSettings,
    ServiceBay,
)
from service.models.appointments import ACTIVE_STATUSES

# How far ahead a booking may be made, in days.
BOOKING_HORIZON_DAYS = 90


# --- Capacity ----------------------------------------------------------------------------------------------


def settings_for(dealer) -> AppointmentSettings:
    """The dealer's booking settings (the defaults, unsaved, when it never set any)."""
    found = AppointmentSettings.objects.filter(dealer_id=dealer.id).first()
    return found or AppointmentSettings(dealer_id=dealer.id)


def bays_of(dealer, *, active_only: bool = True) -> list[ServiceBay]:
    bays = ServiceBay.objects.filter(dealer_id=dealer.id)
    return list(bays.filter(is_active=True) if active_only else bays)


def advisors_of(dealer) -> list:
    """The dealer's active service advisors, by name."""
    user_ids = RoleAssignment.objects.filter(
        dealer_id=dealer.id, role=Role.SERVICE_ADVISOR, is_active=True, user__is_active=True
    ).values("user_id")
    return list(get_user_model().objects.filter(id__in=user_ids).order_by("first_name", "last_name", "username"))


def _local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


def _parse(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours) % 24, int(minutes))


def business_spans(dealer, day: date) -> list[tuple[datetime, datetime]]:
    """The dealer's opening hours on its local `day`, as aware instants."""
    zone = ZoneInfo(dealer.time_zone)
    spans = (dealer.business_hours or {}).get(WEEKDAYS[day.weekday()], [])
    return [(_local(day, _parse(opens), zone), _local(day, _parse(closes), zone)) for opens, closes in spans]


@dataclass
class Capacity:
    """What a dealer can take on one local day: bays, advisors and when each works, the active bookings."""

    dealer: Dealer
    day: date
    slot_minutes: int
    grace_minutes: int
    opening: list[tuple[datetime, datetime]]
    bays: list[ServiceBay]
    advisors: list
    working: dict[int, list[tuple[datetime, datetime]]]  # advisor id -> spans
    bookings: list[Appointment]

    def bay_free(self, bay_id: int, starts: datetime, ends: datetime, *, ignore: int | None = None) -> bool:
        return not any(
            b.bay_id == bay_id and b.id != ignore and b.starts_at < ends and starts < b.ends_at for b in self.bookings
        )

    def advisor_free(self, advisor_id: int, starts: datetime, ends: datetime, *, ignore: int | None = None) -> bool:
        return not any(
            b.advisor_id == advisor_id and b.id != ignore and b.starts_at < ends and starts < b.ends_at
            for b in self.bookings
        )

    def is_open(self, starts: datetime, ends: datetime) -> bool:
        return any(opens <= starts and ends <= closes for opens, closes in self.opening)

    def advisor_works(self, advisor_id: int, starts: datetime, ends: datetime) -> bool:
        return any(opens <= starts and ends <= closes for opens, closes in self.working.get(advisor_id, []))

    def free_bays(self, starts, ends, *, ignore=None) -> list[ServiceBay]:
        return [bay for bay in self.bays if self.bay_free(bay.id, starts, ends, ignore=ignore)]

    def free_advisors(self, starts, ends, *, ignore=None) -> list:
        return [
            advisor
            for advisor in self.advisors
            if self.advisor_works(advisor.id, starts, ends) and self.advisor_free(advisor.id, starts, ends, ignore=ignore)
        ]


def capacity_for(dealer, day: date) -> Capacity:
    """The dealer's capacity on its local `day` (a few queries, whatever the number of bookings)."""
    zone = ZoneInfo(dealer.time_zone)
    options = settings_for(dealer)
    opening = business_spans(dealer, day)
    advisors = advisors_of(dealer)
    weekly: dict[int, list] = {}
    for row in AdvisorHours.objects.filter(dealer_id=dealer.id, weekday=day.weekday()):
        weekly.setdefault(row.advisor_id, []).append((_local(day, row.starts, zone), _local(day, row.ends, zone)))
    has_hours = set(AdvisorHours.objects.filter(dealer_id=dealer.id).values_list("advisor_id", flat=True).distinct())
    exceptions = {row.advisor_id: row for row in AdvisorException.objects.filter(dealer_id=dealer.id, day=day)}
    working = {}
    for advisor in advisors:
        exception = exceptions.get(advisor.id)
        if exception is not None:
            working[advisor.id] = (
                [] if exception.is_day_off else [(_local(day, exception.starts, zone), _local(day, exception.ends, zone))]
            )
        elif advisor.id in has_hours:
            working[advisor.id] = weekly.get(advisor.id, [])
        else:  # no hours of their own: the dealer's business hours
            working[advisor.id] = list(opening)
    day_start = _local(day, time.min, zone)
    day_end = _local(day + timedelta(days=1), time.min, zone)
    bookings = list(
        Appointment.objects.filter(
            dealer_id=dealer.id, status__in=ACTIVE_STATUSES, starts_at__lt=day_end, ends_at__gt=day_start
        )
    )
    return Capacity(
        dealer=dealer,
        day=day,
        slot_minutes=options.slot_minutes,
        grace_minutes=options.no_show_grace_minutes,
        opening=opening,
        bays=bays_of(dealer),
        advisors=advisors,
        working=working,
        bookings=bookings,
    )


@dataclass
class Slot:
    starts_at: datetime
    ends_at: datetime
    bays: list = field(default_factory=list)
    advisors: list = field(default_factory=list)
    is_past: bool = False

    @property
    def is_available(self) -> bool:
        return bool(self.bays and self.advisors) and not self.is_past


def slots_for(capacity: Capacity, *, now: datetime | None = None) -> list[Slot]:
    """The day's slot grid (from each opening, every slot length that fits before the closing), each with the
    bays and advisors still free for the whole slot."""
    now = now or timezone.now()
    length = timedelta(minutes=capacity.slot_minutes)
    slots = []
    for opens, closes in capacity.opening:
        starts = opens
        while starts + length <= closes:
            ends = starts + length
            slots.append(
                Slot(
                    starts_at=starts,
                    ends_at=ends,
                    bays=capacity.free_bays(starts, ends),
                    advisors=capacity.free_advisors(starts, ends),
                    is_past=starts <= now,
                )
            )
            starts = ends
    return slots


def available_slots(*, dealer, day: date, now: datetime | None = None) -> list[Slot]:
    return [slot for slot in slots_for(capacity_for(dealer, day), now=now) if slot.is_available]


def local_day_of(dealer, instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(dealer.time_zone)).date()


def local_today(dealer) -> date:
    return local_day_of(dealer, timezone.now())


# --- Appointments --------------------------------------------------------------------------------------------


def appointments_for_user(*, user) -> QuerySet[Appointment]:
    """The appointments the user may read: their dealers', or the network's for the call centre and the OEM
    admin, their regions' for a regional manager (the scope says which)."""
    access = access_for(user)
    if not access.is_authenticated or not permissions.can_read_appointments(access):
        return Appointment.objects.none()
    appointments = Appointment.objects.select_related(
        "dealer", "customer", "vehicle", "bay", "advisor", "repair_order", "source"
    )
    if access.scope.network_wide:
        return appointments
    return appointments.filter(dealer_id__in=access.scope.dealer_ids)


def appointment_get(*, user, appointment_id: int) -> Appointment:
    found = appointments_for_user(user=user).filter(id=appointment_id).first()
    if found is None:
        raise NotFound()
    return found


def dealers_for_appointments(*, user) -> QuerySet[Dealer]:
    """The dealers whose appointments the user works with: the call centre's and the OEM's whole scope, the
    workshop staff's own dealers."""
    access = access_for(user)
    dealers = Dealer.objects.filter(is_active=True).order_by("code")
    if not permissions.can_read_appointments(access):
        return dealers.none()
    if access.scope.network_wide:
        return dealers
    return dealers.filter(id__in=access.scope.dealer_ids)


def dealer_for_appointments(*, user, dealer_id) -> Dealer:
    dealer = dealers_for_appointments(user=user).filter(id=dealer_id).first() if str(dealer_id).isdigit() else None
    if dealer is None:
        raise NotFound()
    return dealer


@dataclass
class Board:
    """One dealer's day: the slot grid, and per column (a bay or an advisor) the appointments of each row."""

    dealer: Dealer
    day: date
    by: str  # "bay" | "advisor"
    columns: list
    rows: list  # [(slot, [[appointments of column 0 starting in the slot], …])]
    unplaced: list  # appointments of the day starting outside the grid (before opening, after a schedule change)
    counts: dict


def board_for(*, user, dealer, day: date, by: str = "bay") -> Board:
    """The day's board of `dealer`: every appointment of the day (cancelled ones too, struck through), placed
    in the row of the slot it starts in and the column of its bay or advisor."""
    capacity = capacity_for(dealer, day)
    zone = ZoneInfo(dealer.time_zone)
    day_start, day_end = _local(day, time.min, zone), _local(day + timedelta(days=1), time.min, zone)
    appointments = list(
        appointments_for_user(user=user).filter(dealer=dealer, starts_at__gte=day_start, starts_at__lt=day_end)
    )
    if by == "advisor":
        columns = list(capacity.advisors)
        known = {a.id for a in columns}
        columns += [a.advisor for a in appointments if a.advisor_id not in known and not known.add(a.advisor_id)]
        key = "advisor_id"
    else:
        columns = bays_of(dealer, active_only=False)
        used = {a.bay_id for a in appointments}
        columns = [bay for bay in columns if bay.is_active or bay.id in used]
        key = "bay_id"
    index = {column.id: position for position, column in enumerate(columns)}
    slots = slots_for(capacity)
    rows = [(slot, [[] for _ in columns]) for slot in slots]
    unplaced = []
    for appointment in appointments:
        row = next((r for r in rows if r[0].starts_at <= appointment.starts_at < r[0].ends_at), None)
        column = index.get(getattr(appointment, key))
        if row is None or column is None:
            unplaced.append(appointment)
        else:
            row[1][column].append(appointment)
    counts = {status: sum(1 for a in appointments if a.status == status) for status in Appointment.Status.values}
    return Board(dealer=dealer, day=day, by=by, columns=columns, rows=rows, unplaced=unplaced, counts=counts)


def today_for_workshop(*, user, dealer) -> list[Appointment]:
    """Today's appointments at the dealer (its local day), for the advisor's workshop screen."""
    zone = ZoneInfo(dealer.time_zone)
    day = local_today(dealer)
    return list(
        appointments_for_user(user=user)
        .filter(
            dealer=dealer,
            starts_at__gte=_local(day, time.min, zone),
            starts_at__lt=_local(day + timedelta(days=1), time.min, zone),
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .order_by("starts_at", "id")
    )


def booked_today_for_vehicle(*, user, dealer, vehicle) -> Appointment | None:
    """The vehicle's appointment today at the dealer still waiting for its car (check-in by plate finds it)."""
    return next(
        (
            a
            for a in today_for_workshop(user=user, dealer=dealer)
            if a.vehicle_id == vehicle.id and a.status == Appointment.Status.BOOKED
        ),
        None,
    )


def capacity_rows(*, dealer) -> dict:
    """What the capacity page lists: bays, advisors with their weekly spans, upcoming exceptions."""
    advisors = advisors_of(dealer)
    hours: dict[int, list] = {}
    for row in AdvisorHours.objects.filter(dealer_id=dealer.id).order_by("weekday", "starts"):
        hours.setdefault(row.advisor_id, []).append(row)
    exceptions = list(
        AdvisorException.objects.filter(dealer_id=dealer.id, day__gte=local_today(dealer))
        .select_related("advisor")
        .order_by("day", "advisor_id")[:100]
    )
    return {
        "settings": settings_for(dealer),
        "bays": bays_of(dealer, active_only=False),
        "advisors": [(advisor, hours.get(advisor.id, [])) for advisor in advisors],
        "exceptions": exceptions,
    }


def capacity_row_get(*, dealer, what: str, row_id: int):
    """A bay, a weekly span or an exception of this dealer (NotFound for any other)."""
    model = {"hours": AdvisorHours, "exception": AdvisorException, "bay": ServiceBay}.get(what)
    row = model and model.objects.filter(id=row_id, dealer_id=dealer.id).first()
    if row is None:
        raise NotFound()
    return row


# --- Key figure: appointment show rate ----------------------------------------------------------------------


def _settled_appointments_by_day(*, dealer_ids, first_day, last_day, shown: bool):
    """Appointments due on the dealer's local day whose outcome is known (checked in or a no-show)."""
    statuses = [Appointment.Status.CHECKED_IN] if shown else [Appointment.Status.CHECKED_IN, Appointment.Status.NO_SHOW]
    rows = kf.on_local_days(
        Appointment.objects.filter(status__in=statuses), "starts_at",
        dealer_ids=dealer_ids, first_day=first_day, last_day=last_day,
    )  # fmt: skip
    counted = rows.values("dealer_id", "local_day").annotate(count=Count("id")).order_by()
    return [(row["dealer_id"], row["local_day"], row["count"]) for row in counted]


def measure_appointments_due(*, dealer_ids, first_day, last_day):
    return _settled_appointments_by_day(dealer_ids=dealer_ids, first_day=first_day, last_day=last_day, shown=False)


def measure_appointments_shown(*, dealer_ids, first_day, last_day):
    return _settled_appointments_by_day(dealer_ids=dealer_ids, first_day=first_day, last_day=last_day, shown=True)
