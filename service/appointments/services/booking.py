"""Booking, moving, cancelling and checking in an appointment (see the package's guarantees)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from crm.core.exceptions import NotFound, PermissionDenied
from crm.core.scope import scope_current
from crm.customers.exceptions import InvalidEmail, InvalidPhone, InvalidVin, VinAlreadyRegistered
from crm.customers.models import CustomerDealer, Vehicle
from crm.customers.normalize import plate_normalize, vin_normalize
from crm.customers.services import customer_link, customer_resolve, vehicle_register
from crm.network.access import access_for
from crm.network.models import Dealer
from crm.timeline.services import event_record
from service.appointments import events, permissions, selectors
from service.appointments.exceptions import (
    AdvisorTaken,
    AppointmentNotActive,
    BayTaken,
    CheckInNotToday,
    ContactMissing,
    InThePast,
    NoCapacity,
    NotBookable,
    OutsideHours,
    ReasonMissing,
    TooFarAhead,
    VehicleMissing,
    VehicleOfAnotherOwner,
)
from service.models import (
    Appointment,
    AppointmentSource,
    ServiceBay,
)
from service.services import repair_order_open

Status = Appointment.Status
LANGUAGES = {code for code, _name in settings.LANGUAGES}
MAX_SLOTS = 8


@dataclass(frozen=True)
class Party:
    """Who books and for which car, as the caller knows them: a known vehicle (and customer) picked on a page,
    or the details a customer or an agent typed."""

    vehicle_id: int | None = None
    customer_id: int | None = None
    name: str = ""
    phone: str = ""
    email: str = ""
    vin: str = ""
    plate: str = ""
    make: str = ""
    model: str = ""


def _require_booker(by, dealer, source) -> None:
    if by is None:
        # A public booking: its source's key was checked, and the caller runs in the dealer's scope.
        if source is None or not scope_current().allows_dealer(dealer.id):
            raise PermissionDenied()
        return
    permissions.require(permissions.can_book(access_for(by), dealer.id))


def _channel(by, dealer) -> str:
    if by is None:
        return Appointment.Channel.ONLINE
    if permissions.can_check_in(access_for(by), dealer.id):  # the dealer's own workshop staff
        return Appointment.Channel.ADVISOR
    return Appointment.Channel.CALL_CENTRE


def _party_resolve(*, dealer: Dealer, by, party: Party, language: str, channel: str):
    """The customer and the car, found or created through the customer record (never a second record for a
    known phone, email or VIN)."""
    if party.vehicle_id is not None:
        vehicle = Vehicle.objects.select_related("owner").filter(id=party.vehicle_id).first()
        if vehicle is None or vehicle.owner is None:
            raise VehicleMissing()
        customer = vehicle.owner
        customer_link(customer_id=customer.id, dealer=dealer, reason=CustomerDealer.Reason.SERVICE, by=by)
        return customer, vehicle
    if not party.phone.strip() and not party.email.strip():
        raise ContactMissing()
    try:
        resolution = customer_resolve(
            by=by,
            dealer=dealer,
            name=party.name.strip()[:200] or party.phone.strip() or party.email.strip(),
            phones=[party.phone] if party.phone.strip() else [],
            emails=[party.email] if party.email.strip() else [],
            reason=CustomerDealer.Reason.SERVICE,
            source=f"appointment_{channel}",
            preferred_language=language,
        )
    except InvalidPhone as error:
        raise InvalidPhone(error.message, field="phone") from error
    except InvalidEmail as error:
        raise InvalidEmail(error.message, field="email") from error
    customer = resolution.customer
    plate = plate_normalize(party.plate)[:16]
    if party.vin.strip():
        try:
            vin = vin_normalize(party.vin)
        except InvalidVin as error:
            raise InvalidVin(error.message, field="vin") from error
        vehicle = Vehicle.objects.filter(vin=vin).first()
        if vehicle is not None:
            if not _dealer_knows_vehicle(dealer, vehicle, customer):
                # The caller sees the whole network (the call centre), the dealer would not see this car.
                raise VehicleOfAnotherOwner()
            return customer, vehicle
        try:
            with transaction.atomic():
                vehicle = vehicle_register(
                    by=by,
                    owner=customer,
                    vin=vin,
                    make=party.make.strip()[:60] or "—",
                    model=party.model.strip()[:60] or "—",
                    plate=plate,
                    dealer=dealer,
                )
        except VinAlreadyRegistered as error:
            raise VehicleOfAnotherOwner() from error
        return customer, vehicle
    if plate:
        vehicle = Vehicle.objects.filter(owner=customer, plate=plate).first()
        if vehicle is not None:
            return customer, vehicle
    raise VehicleMissing()


def _dealer_knows_vehicle(dealer: Dealer, vehicle: Vehicle, customer) -> bool:
    """The booking customer's own car, or one the dealer recorded, sold or whose owner it knows (a family
    member or a company driver books it): the dealer's staff can then see the car on their board."""
    if vehicle.owner_id == customer.id or dealer.id in (vehicle.recorded_by_dealer_id, vehicle.selling_dealer_id):
        return True
    return vehicle.owner_id is not None and CustomerDealer.objects.filter(
        customer_id=vehicle.owner_id, dealer_id=dealer.id
    ).exists()


def _aware(value: datetime, dealer: Dealer) -> datetime:
    """A time without an offset is the dealer's local time."""
    if timezone.is_naive(value):
        return value.replace(tzinfo=ZoneInfo(dealer.time_zone))
    return value


def _placement(*, dealer, starts_at: datetime, slots: int, bay, advisor, ignore: int | None = None, now=None):
    """(starts, ends, bay, advisor) for a booking: inside the opening hours and the advisor's working hours,
    with a free bay and a free advisor (the given ones, else the free bay listed first and the free advisor
    with the fewest bookings that day). The database has the last word on overlaps."""
    now = now or timezone.now()
    starts_at = _aware(starts_at, dealer)
    if starts_at <= now:
        raise InThePast()
    if starts_at > now + timedelta(days=selectors.BOOKING_HORIZON_DAYS):
        raise TooFarAhead(TooFarAhead.default_message % {"days": selectors.BOOKING_HORIZON_DAYS})
    slots = max(1, min(int(slots or 1), MAX_SLOTS))
    capacity = selectors.capacity_for(dealer, selectors.local_day_of(dealer, starts_at))
    ends_at = starts_at + timedelta(minutes=capacity.slot_minutes * slots)
    if not capacity.is_open(starts_at, ends_at):
        raise OutsideHours()
    if bay is not None:
        if bay.id not in {b.id for b in capacity.bays}:
            raise NotBookable(field="bay")
        if not capacity.bay_free(bay.id, starts_at, ends_at, ignore=ignore):
            raise BayTaken()
    else:
        free = capacity.free_bays(starts_at, ends_at, ignore=ignore)
        if not free:
            raise NoCapacity()
        bay = free[0]
    if advisor is not None:
        if advisor.id not in {a.id for a in capacity.advisors}:
            raise NotBookable(field="advisor")
        if not capacity.advisor_works(advisor.id, starts_at, ends_at):
            raise OutsideHours(field="advisor")
        if not capacity.advisor_free(advisor.id, starts_at, ends_at, ignore=ignore):
            raise AdvisorTaken()
    else:
        free = capacity.free_advisors(starts_at, ends_at, ignore=ignore)
        if not free:
            raise NoCapacity()
        load = {a.id: 0 for a in free}
        for booking in capacity.bookings:
            if booking.advisor_id in load:
                load[booking.advisor_id] += 1
        advisor = min(free, key=lambda a: load[a.id])
    return starts_at, ends_at, bay, advisor


def _overlap_error(error: IntegrityError):
    """The typed error for the exclusion constraint that refused the row (None: another constraint)."""
    name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "")
    return {"appointment_bay_not_double_booked": BayTaken, "appointment_advisor_not_double_booked": AdvisorTaken}.get(
        name
    )


def start_text(appointment: Appointment) -> str:
    return timezone.localtime(appointment.starts_at, ZoneInfo(appointment.dealer.time_zone)).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def appointment_book(
    *,
    dealer: Dealer,
    by,
    party: Party,
    starts_at: datetime,
    slots: int = 1,
    bay: ServiceBay | None = None,
    advisor=None,
    concern: str = "",
    language: str = "zh-hans",
    source: AppointmentSource | None = None,
    booked_at: datetime | None = None,
) -> Appointment:
    """Book a service appointment at `dealer` from `starts_at` for `slots` slot lengths. `by` is the advisor or
    call-centre agent; None for a public booking through `source` (the caller runs in the dealer's scope).
    Raises a typed error naming the field for bad input, BayTaken / AdvisorTaken / NoCapacity (409) when the
    time is taken — and then nothing is written. `booked_at` (default now) is when the booking was made: a
    time must lie after it (the demo back-dates bookings made days ago)."""
    _require_booker(by, dealer, source)
    language = language if language in LANGUAGES else "zh-hans"
    channel = _channel(by, dealer)
    starts_at, ends_at, bay, advisor = _placement(
        dealer=dealer, starts_at=starts_at, slots=slots, bay=bay, advisor=advisor, now=booked_at
    )
    customer, vehicle = _party_resolve(dealer=dealer, by=by, party=party, language=language, channel=channel)
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                dealer=dealer,
                customer=customer,
                vehicle=vehicle,
                bay=bay,
                advisor=advisor,
                starts_at=starts_at,
                ends_at=ends_at,
                channel=channel,
                source=source,
                language=language,
                concern=concern.strip()[:2000],
                booked_by=by,
            )
    except IntegrityError as error:
        typed = _overlap_error(error)
        if typed is None:
            raise
        raise typed() from error
    appointment.dealer = dealer
    event_record(
        customer_id=customer.id,
        kind=events.APPOINTMENT_BOOKED,
        dealer_id=dealer.id,
        actor=by,
        data={
            "appointment": appointment.id,
            "starts_at": starts_at.isoformat(),
            "starts_at_local": start_text(appointment),
            "vehicle": vehicle.id,
            "plate": vehicle.plate or vehicle.vin,
            "channel": channel,
        },
    )
    return appointment


def _lock(appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update(of=("self",)).select_related("dealer").filter(id=appointment_id).first()
    )
    if appointment is None:
        raise NotFound()
    return appointment


def _lock_booked(appointment_id: int, by) -> Appointment:
    appointment = _lock(appointment_id)
    permissions.require(permissions.can_book(access_for(by), appointment.dealer_id))
    if appointment.status != Status.BOOKED:
        raise AppointmentNotActive()
    return appointment


@transaction.atomic
def appointment_reschedule(
    *, appointment: Appointment, by, starts_at: datetime, reason: str, slots: int | None = None, bay=None, advisor=None
) -> Appointment:
    """Move a booked appointment to another time (and bay or advisor), saying why. The same capacity and
    overlap rules as a booking; the appointment's own old time does not count against it. The reminder
    goes again for the new day."""
    appointment = _lock_booked(appointment.id, by)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonMissing()
    if slots is None:
        length = (appointment.ends_at - appointment.starts_at).total_seconds() / 60
        slots = max(1, round(length / selectors.settings_for(appointment.dealer).slot_minutes))
    previous = start_text(appointment)
    starts_at, ends_at, bay, advisor = _placement(
        dealer=appointment.dealer, starts_at=starts_at, slots=slots, bay=bay, advisor=advisor, ignore=appointment.id
    )
    try:
        with transaction.atomic():
            Appointment.objects.filter(id=appointment.id).update(
                starts_at=starts_at,
                ends_at=ends_at,
                bay=bay,
                advisor=advisor,
                reminder_queued_at=None,
                reschedule_count=F("reschedule_count") + 1,
                version=F("version") + 1,
                updated_at=timezone.now(),
            )
    except IntegrityError as error:
        typed = _overlap_error(error)
        if typed is None:
            raise
        raise typed() from error
    appointment.refresh_from_db()
    event_record(
        customer_id=appointment.customer_id,
        kind=events.APPOINTMENT_RESCHEDULED,
        dealer_id=appointment.dealer_id,
        actor=by,
        data={
            "appointment": appointment.id,
            "starts_at": starts_at.isoformat(),
            "starts_at_local": start_text(appointment),
            "previous": previous,
            "reason": reason[:300],
        },
    )
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, by, reason: str) -> Appointment:
    """Cancel a booked appointment, saying why: its bay and advisor are free again at once."""
    appointment = _lock_booked(appointment.id, by)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonMissing()
    now = timezone.now()
    Appointment.objects.filter(id=appointment.id).update(
        status=Status.CANCELLED, cancelled_at=now, cancel_reason=reason[:300], version=F("version") + 1, updated_at=now
    )
    appointment.refresh_from_db()
    event_record(
        customer_id=appointment.customer_id,
        kind=events.APPOINTMENT_CANCELLED,
        dealer_id=appointment.dealer_id,
        actor=by,
        data={"appointment": appointment.id, "starts_at_local": start_text(appointment), "reason": reason[:300]},
    )
    return appointment


@transaction.atomic
def appointment_check_in(*, appointment: Appointment, by, mileage_in: int | None = None):
    """The car has come: open its repair order (the workshop's service, with the appointment's advisor and the
    customer's concern) and mark the appointment checked in, referring to the order. On the appointment's own
    local day only; a car that comes after being marked a no-show is checked in from the workshop screen."""
    appointment = _lock(appointment.id)
    permissions.require(permissions.can_check_in(access_for(by), appointment.dealer_id))
    if appointment.status != Status.BOOKED:
        raise AppointmentNotActive()
    if selectors.local_day_of(appointment.dealer, appointment.starts_at) != selectors.local_today(appointment.dealer):
        raise CheckInNotToday()
    repair_order = repair_order_open(
        dealer=appointment.dealer,
        vehicle=appointment.vehicle,
        by=by,
        customer=appointment.customer,
        advisor=appointment.advisor,
        mileage_in=mileage_in,
        concern=appointment.concern,
    )
    now = timezone.now()
    Appointment.objects.filter(id=appointment.id).update(
        status=Status.CHECKED_IN, repair_order=repair_order, checked_in_at=now, version=F("version") + 1, updated_at=now
    )
    appointment.refresh_from_db()
    event_record(
        customer_id=appointment.customer_id,
        kind=events.APPOINTMENT_CHECKED_IN,
        dealer_id=appointment.dealer_id,
        actor=by,
        data={"appointment": appointment.id, "repair_order": repair_order.id, "number": repair_order.number},
    )
    return appointment
