"""Typed errors of service appointments: each says what went wrong in words a caller can act on."""

from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError, PayloadTooLarge  # noqa: F401 - booking's answer too
from crm.core.exceptions import RateLimited as CoreRateLimited


class SlotTaken(ApplicationError):
    """The database refused an overlapping booking (the bay's or the advisor's exclusion constraint)."""

    code = "slot_taken"
    status = 409
    field = "starts_at"
    default_message = _("That time was just taken: choose another slot.")


class BayTaken(SlotTaken):
    code = "bay_taken"
    default_message = _("The bay is already booked at that time: choose another bay or time.")


class AdvisorTaken(SlotTaken):
    code = "advisor_taken"
    default_message = _("The advisor is already booked at that time: choose another advisor or time.")


class NoCapacity(ApplicationError):
    code = "no_capacity"
    status = 409
    field = "starts_at"
    default_message = _("No bay and advisor are free for that whole time: choose another slot.")


class OutsideHours(ApplicationError):
    code = "outside_hours"
    field = "starts_at"
    default_message = _("That time is outside the workshop's hours or the advisor's working hours.")


class InThePast(ApplicationError):
    code = "in_the_past"
    field = "starts_at"
    default_message = _("That time has passed: choose a time still to come.")


class TooFarAhead(ApplicationError):
    code = "too_far_ahead"
    field = "starts_at"
    default_message = _("Appointments are booked at most %(days)s days ahead.")


class NotBookable(ApplicationError):
    code = "not_bookable"
    field = "advisor"
    default_message = _("This advisor or bay does not take appointments at this dealer.")


class AppointmentNotActive(ApplicationError):
    code = "appointment_not_active"
    status = 409
    default_message = _("This appointment is no longer booked: it was checked in, cancelled or missed.")


class CheckInNotToday(ApplicationError):
    code = "check_in_not_today"
    status = 409
    default_message = _("An appointment is checked in on its own day.")


class ReasonMissing(ApplicationError):
    code = "reason_missing"
    field = "reason"
    default_message = _("Say why.")


class NameMissing(ApplicationError):
    code = "name_missing"
    field = "name"
    default_message = _("Give the bay a name.")


class VehicleMissing(ApplicationError):
    code = "vehicle_missing"
    field = "vin"
    default_message = _("Give the car's VIN (or the plate of a car already on record for this customer).")


class VehicleOfAnotherOwner(ApplicationError):
    code = "vehicle_of_another_owner"
    field = "vin"
    default_message = _("This VIN is on record for another owner: check it, or ask the dealer to book.")


class ContactMissing(ApplicationError):
    code = "contact_missing"
    field = "phone"
    default_message = _("Give a phone number or an email address.")


class InvalidSourceKey(ApplicationError):
    code = "invalid_source_key"
    status = 401
    default_message = _("Unknown or inactive appointment source key.")


class UnknownDealer(ApplicationError):
    code = "unknown_dealer"
    field = "dealer_code"
    default_message = _("No active dealer has this dealer code.")


class DealerNotOfSource(UnknownDealer):
    code = "dealer_not_of_source"
    default_message = _("This source books at its own dealer only.")


class SpanOverlaps(ApplicationError):
    code = "span_overlaps"
    field = "starts"
    default_message = _("This span overlaps another span of the advisor on that weekday.")


class RateLimited(CoreRateLimited):
    default_message = _("Too many bookings from here. Wait a minute and try again.")


