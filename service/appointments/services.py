"""Service appointments: booking (by the advisor, the call centre or a public source), rescheduling,
cancelling, check-in, no-shows and the day-before reminder; and the dealer's capacity.

Guarantees
- A booking is one transaction: the customer and the car are found or created through the customer record's
  identity services (crm.customers: the same phone or email is the same person network-wide, the same VIN the
  same car), then the appointment is inserted. If anything is refused, nothing of it stays.
- No double booking: the services check the capacity first (to answer with a useful reason), but the
  database decides — two exclusion constraints refuse an overlapping active appointment of the same bay or
  advisor, even when two bookings race on two connections; the loser gets BayTaken / AdvisorTaken (409).
- Check-in opens the repair order through the workshop's own service, in the same transaction.
- Jobs (no-shows, reminders) lock the rows they change with SKIP LOCKED and check their state, so running
  them twice, or on two workers, changes each appointment once; a reminder is an outbox row whose
  idempotency key names the appointment and its start, so it is written once.
"""

import hashlib
import hmac
import secrets
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from crm.core.exceptions import NotFound, PermissionDenied
from crm.core.scope import network_wide, scope_current
from crm.customers.exceptions import InvalidEmail, InvalidPhone, InvalidVin, VinAlreadyRegistered
from crm.customers.models import ContactPoint, CustomerDealer, Vehicle
from crm.customers.normalize import plate_normalize, vin_normalize
from crm.customers.services import customer_link, customer_resolve, vehicle_register
from crm.messaging.models import Purpose
from crm.messaging.services.outbox import message_enqueue
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
    DealerNotOfSource,
    InThePast,
    InvalidSourceKey,
    NameMissing,
    NoCapacity,
    NotBookable,
    OutsideHours,
    RateLimited,
    ReasonMissing,
    SpanOverlaps,
    TooFarAhead,
    UnknownDealer,
    VehicleMissing,
    VehicleOfAnotherOwner,
)
from service.models import (
    AdvisorException,
    AdvisorHours,
    Appointment,
    AppointmentSettings,
    AppointmentSource,
    ServiceBay,
)
from service.services import repair_order_open

Status = Appointment.Status
LANGUAGES = {code for code, _name in settings.LANGUAGES}
MAX_SLOTS = 8


# --- Booking -------------------------------------------------------------------------------------------------


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


def _local_text(appointment: Appointment) -> str:
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
            "starts_at_local": _local_text(appointment),
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
    previous = _local_text(appointment)
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
            "starts_at_local": _local_text(appointment),
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
        data={"appointment": appointment.id, "starts_at_local": _local_text(appointment), "reason": reason[:300]},
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


# --- Jobs: no-shows and reminders (beat) ------------------------------------------------------------------------

JOB_BATCH = 1000


def appointments_mark_no_shows(*, now: datetime | None = None) -> int:
    """Mark as no-shows the booked appointments whose start plus their dealer's grace has passed without a
    check-in. Returns how many were marked now (a second run marks none of them again)."""
    now = now or timezone.now()
    marked = 0
    with network_wide(reason="appointments: mark the no-shows of every dealer"):
        rows = list(
            Appointment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("dealer")
            .filter(status=Status.BOOKED, starts_at__lt=now)
            .order_by("starts_at", "id")[:JOB_BATCH]
        )
        grace = dict(
            AppointmentSettings.objects.filter(dealer_id__in={r.dealer_id for r in rows}).values_list(
                "dealer_id", "no_show_grace_minutes"
            )
        )
        for appointment in rows:
            minutes = grace.get(appointment.dealer_id, AppointmentSettings.DEFAULT_GRACE_MINUTES)
            if appointment.starts_at + timedelta(minutes=minutes) >= now:
                continue
            Appointment.objects.filter(id=appointment.id, status=Status.BOOKED).update(
                status=Status.NO_SHOW, no_show_at=now, version=F("version") + 1, updated_at=now
            )
            event_record(
                customer_id=appointment.customer_id,
                kind=events.APPOINTMENT_NO_SHOW,
                dealer_id=appointment.dealer_id,
                data={"appointment": appointment.id, "starts_at_local": _local_text(appointment)},
            )
            marked += 1
    return marked


REMINDER_TEXT = {
    "en": "Reminder from {dealer}: your service appointment is tomorrow, {day} at {time}, for {car}. "
    "To change it, call {phone}.",
    "zh-hans": "【{dealer}】温馨提示：您的爱车（{car}）已预约明天 {day} {time} 进店保养/维修。如需改期，请致电 {phone}。",
}
REMINDER_SUBJECT = {"en": "Your service appointment tomorrow", "zh-hans": "明日保养预约提醒"}


def reminder_text(appointment: Appointment) -> str:
    local = timezone.localtime(appointment.starts_at, ZoneInfo(appointment.dealer.time_zone))
    language = appointment.language if appointment.language in REMINDER_TEXT else "zh-hans"
    day = f"{local.month}月{local.day}日" if language == "zh-hans" else local.strftime("%a %d %b").replace(" 0", " ")
    return REMINDER_TEXT[language].format(
        dealer=appointment.dealer.name,
        day=day,
        time=local.strftime("%H:%M"),
        car=appointment.vehicle.plate or f"{appointment.vehicle.model} {appointment.vehicle.vin[-6:]}",
        phone=appointment.dealer.phone or "—",
    )


def reminder_key(appointment: Appointment) -> str:
    # One reminder per appointment and start: a rescheduled appointment is reminded of its new time.
    return f"appointment:{appointment.id}:reminder:{appointment.starts_at.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M}"


def appointment_reminders_queue(*, now: datetime | None = None) -> int:
    """Queue the day-before reminder of every booked appointment due tomorrow in its dealer's zone, once that
    dealer's local clock has passed the reminder hour: an SMS to the customer's phone (else an email), in
    the language they booked in, as a service message (the outbox applies the consent rules when it sends).
    Returns how many were queued now."""
    now = now or timezone.now()
    hour = int(getattr(settings, "SERVICE_APPOINTMENT_REMINDER_HOUR", 10))
    queued = 0
    with network_wide(reason="appointments: day-before reminders of every dealer"):
        rows = list(
            Appointment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("dealer", "vehicle")
            .filter(
                status=Status.BOOKED,
                reminder_queued_at__isnull=True,
                starts_at__gt=now,
                starts_at__lt=now + timedelta(days=2, hours=14),
            )
            .order_by("starts_at", "id")[:JOB_BATCH]
        )
        due = []
        for appointment in rows:
            local_now = now.astimezone(ZoneInfo(appointment.dealer.time_zone))
            if local_now.hour < hour:
                continue
            if selectors.local_day_of(appointment.dealer, appointment.starts_at) != local_now.date() + timedelta(days=1):
                continue
            due.append(appointment)
        contacts: dict[int, dict[str, str]] = {}
        for customer_id, kind, value in (
            ContactPoint.objects.filter(customer_id__in={a.customer_id for a in due}, is_invalid=False)
            .order_by("customer_id", "kind", "-is_primary", "id")
            .values_list("customer_id", "kind", "value")
        ):
            contacts.setdefault(customer_id, {}).setdefault(kind, value)
        for appointment in due:
            found = contacts.get(appointment.customer_id, {})
            channel, recipient = (
                ("sms", found[ContactPoint.Kind.PHONE])
                if ContactPoint.Kind.PHONE in found
                else ("email", found.get(ContactPoint.Kind.EMAIL, ""))
            )
            if recipient:
                language = appointment.language if appointment.language in REMINDER_TEXT else "zh-hans"
                message_enqueue(
                    idempotency_key=reminder_key(appointment),
                    kind="appointment_reminder",
                    channel=channel,
                    purpose=Purpose.SERVICE,
                    recipient=recipient,
                    subject=REMINDER_SUBJECT[language] if channel == "email" else "",
                    body_text=reminder_text(appointment),
                    customer_id=appointment.customer_id,
                    dealer_id=appointment.dealer_id,
                    language=language,
                )
                queued += 1
            # Marked even without an address: nobody to remind, and no reason to look again every tick.
            Appointment.objects.filter(id=appointment.id).update(reminder_queued_at=now)
    return queued


# --- Capacity --------------------------------------------------------------------------------------------------


def _require_capacity(by, dealer_id: int) -> None:
    permissions.require(permissions.can_set_capacity(access_for(by), dealer_id))


@transaction.atomic
def appointment_settings_save(*, dealer: Dealer, by, slot_minutes: int, no_show_grace_minutes: int) -> AppointmentSettings:
    _require_capacity(by, dealer.id)
    found, _created = AppointmentSettings.objects.update_or_create(
        dealer=dealer, defaults={"slot_minutes": slot_minutes, "no_show_grace_minutes": no_show_grace_minutes}
    )
    return found


@transaction.atomic
def bay_add(*, dealer: Dealer, by, name: str) -> ServiceBay:
    _require_capacity(by, dealer.id)
    name = " ".join((name or "").split())[:60]
    if not name:
        raise NameMissing()
    existing = ServiceBay.objects.filter(dealer=dealer, name=name).first()
    if existing is not None:
        if not existing.is_active:
            ServiceBay.objects.filter(id=existing.id).update(is_active=True)
            existing.is_active = True
        return existing
    position = ServiceBay.objects.filter(dealer=dealer).count() + 1
    return ServiceBay.objects.create(dealer=dealer, name=name, position=position)


@transaction.atomic
def bay_set_active(*, bay: ServiceBay, by, is_active: bool) -> ServiceBay:
    """Take a bay out of booking (its appointments stay, and show on the board) or put it back."""
    _require_capacity(by, bay.dealer_id)
    ServiceBay.objects.filter(id=bay.id).update(is_active=is_active)
    bay.is_active = is_active
    return bay


def _require_advisor(dealer, advisor) -> None:
    if advisor.id not in {a.id for a in selectors.advisors_of(dealer)}:
        raise NotBookable(field="advisor")


@transaction.atomic
def advisor_hours_add(*, dealer: Dealer, by, advisor, weekday: int, starts: time, ends: time) -> AdvisorHours:
    """Add a span an advisor works every `weekday` (0 Monday): not overlapping their other spans that day."""
    _require_capacity(by, dealer.id)
    _require_advisor(dealer, advisor)
    if not 0 <= weekday <= 6:
        raise OutsideHours(field="weekday")
    if ends <= starts:
        raise OutsideHours(field="ends")
    if AdvisorHours.objects.filter(
        dealer=dealer, advisor=advisor, weekday=weekday, starts__lt=ends, ends__gt=starts
    ).exists():
        raise SpanOverlaps()
    return AdvisorHours.objects.create(dealer=dealer, advisor=advisor, weekday=weekday, starts=starts, ends=ends)


@transaction.atomic
def advisor_hours_remove(*, hours: AdvisorHours, by) -> None:
    _require_capacity(by, hours.dealer_id)
    AdvisorHours.objects.filter(id=hours.id).delete()


@transaction.atomic
def advisor_exception_save(
    *, dealer: Dealer, by, advisor, day: date, starts: time | None = None, ends: time | None = None, note: str = ""
) -> AdvisorException:
    """A day off (no times) or different hours on one day; a second one for the same day replaces the first.
    Appointments already booked that day stay: the board shows them for the advisor to move."""
    _require_capacity(by, dealer.id)
    _require_advisor(dealer, advisor)
    if (starts is None) != (ends is None) or (starts is not None and ends <= starts):
        raise OutsideHours(field="ends")
    found, _created = AdvisorException.objects.update_or_create(
        dealer=dealer, advisor=advisor, day=day, defaults={"starts": starts, "ends": ends, "note": note.strip()[:200]}
    )
    return found


@transaction.atomic
def advisor_exception_remove(*, exception: AdvisorException, by) -> None:
    _require_capacity(by, exception.dealer_id)
    AdvisorException.objects.filter(id=exception.id).delete()


# --- Public sources -------------------------------------------------------------------------------------------

KEY_HEADER = "X-Appointment-Source-Key"
MAX_KEY_LENGTH = 200


def source_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def appointment_source_create(*, code: str, name: str, dealer: Dealer | None = None) -> tuple[AppointmentSource, str]:
    """A public booking channel and its key, which is never stored (only its sha256) and so is shown once.
    The caller runs in a scope covering `dealer` (network-wide for an OEM source)."""
    key = secrets.token_urlsafe(32)
    source = AppointmentSource.objects.create(code=code, name=name, dealer=dealer, key_hash=source_key_hash(key))
    return source, key


def source_authenticate(*, key: str | None) -> AppointmentSource:
    """The active source whose key this is, with its dealer; InvalidSourceKey (401) otherwise. The lookup runs
    network-wide because the caller is anonymous; it answers only "this key is source N"."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidSourceKey()
    digest = source_key_hash(key)
    with network_wide(reason="public booking: find the appointment source its key belongs to"):
        source = AppointmentSource.objects.select_related("dealer").filter(key_hash=digest, is_active=True).first()
    if source is None or not hmac.compare_digest(source.key_hash, digest):
        raise InvalidSourceKey()
    if source.dealer is not None and not source.dealer.is_active:
        raise InvalidSourceKey()
    return source


def source_dealer(*, source: AppointmentSource, dealer_code: str = "") -> Dealer:
    """The source's own dealer; for an OEM-wide source, the active dealer with this code."""
    dealer_code = " ".join((dealer_code or "").split())
    if source.dealer is not None:
        if dealer_code and dealer_code != source.dealer.code:
            raise DealerNotOfSource()
        return source.dealer
    if not dealer_code:
        raise UnknownDealer()
    with network_wide(reason="public booking: the dealer an OEM-wide source names"):
        dealer = Dealer.objects.filter(code=dealer_code, is_active=True).first()
    if dealer is None:
        raise UnknownDealer()
    return dealer


def rate_limit_check(*, source: AppointmentSource, client_ip: str) -> None:
    """Fixed one-minute windows in the shared cache (Redis), per source and caller address and per source.
    RateLimited (429, `extra.retry_after` seconds) past either."""
    window = 60
    now = clock.time()
    bucket = int(now // window)
    retry_after = max(1, int(window - now % window))
    limits = (
        (f"appointment-intake:{source.id}:ip:{client_ip}:{bucket}", int(getattr(settings, "SERVICE_APPOINTMENT_RATE_PER_IP", 20))),
        (f"appointment-intake:{source.id}:all:{bucket}", int(getattr(settings, "SERVICE_APPOINTMENT_RATE_PER_SOURCE", 600))),
    )  # fmt: skip
    for key, limit in limits:
        cache.add(key, 0, timeout=window + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 5)
            count = 1
        if count > limit:
            raise RateLimited(extra={"retry_after": retry_after})
