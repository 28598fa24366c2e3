"""The dealer's capacity: slot settings, bays, advisors' weekly hours and one-day exceptions."""

from datetime import date, time

from django.db import transaction

from crm.network.access import access_for
from crm.network.models import Dealer
from service.appointments import permissions, selectors
from service.appointments.exceptions import (
    NameMissing,
    NotBookable,
    OutsideHours,
    SpanOverlaps,
)
from service.models import (
    AdvisorException,
    AdvisorHours,
    AppointmentSettings,
    ServiceBay,
)


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
