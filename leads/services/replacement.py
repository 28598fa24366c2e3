"""Replacement window: when a repair order opens on a vehicle old enough or driven far enough that its owner
may buy their next car (the OEM's setting: LEADS_REPLACEMENT_AGE_YEARS, LEADS_REPLACEMENT_KM), the dealer's
sales team gets a lead of type "service" for the customer.

`service` writes `service.repair_order_opened` on the timeline and knows nothing of leads; this subscriber
(registered in leads/registrations.py) reads the event's contract (vehicle, mileage_in) and the vehicle from
the customer record, and opens the lead through lead_capture, so a customer who already has an open lead at
the dealer gets that lead touched rather than a second one. The timeline's delivery record makes it once per
event."""

from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.customers.models import ContactPoint, Vehicle
from crm.network.models import Dealer
from leads.models import LeadType
from leads.services.capture import Capture, lead_capture

REPAIR_ORDER_OPENED = "service.repair_order_opened"  # service.events' kind, named here by its contract
SUBSCRIBER = "leads.replacement_window"


def vehicle_age_years(vehicle: Vehicle, today: date) -> float | None:
    """Years since purchase, else since the start of its model year; None when neither is known."""
    start = vehicle.purchase_date or (date(vehicle.year, 1, 1) if vehicle.year else None)
    if start is None:
        return None
    return (today - start).days / 365.25


def in_replacement_window(*, vehicle: Vehicle, mileage_km: int | None, today: date) -> bool:
    age = vehicle_age_years(vehicle, today)
    old_enough = age is not None and age >= settings.LEADS_REPLACEMENT_AGE_YEARS
    far_enough = mileage_km is not None and mileage_km >= settings.LEADS_REPLACEMENT_KM
    return old_enough or far_enough


def replacement_lead_capture(event) -> Capture | None:
    """Open (or touch) the customer's service lead at the dealer of the repair order, when its vehicle is in
    the replacement window. Nothing for a dealer-less event, an unknown vehicle or a customer nobody can call."""
    if not event.dealer_id:
        return None
    data = event.data or {}
    vehicle = Vehicle.objects.filter(id=data.get("vehicle")).first()
    if vehicle is None:
        return None
    today = timezone.localdate()
    if not in_replacement_window(vehicle=vehicle, mileage_km=data.get("mileage_in"), today=today):
        return None
    customer = event.customer
    points = ContactPoint.objects.filter(customer=customer, is_invalid=False).order_by("-is_primary", "id")
    phones = [p.value for p in points if p.kind == ContactPoint.Kind.PHONE]
    emails = [p.value for p in points if p.kind == ContactPoint.Kind.EMAIL]
    if not phones and not emails:
        return None
    age = vehicle_age_years(vehicle, today)
    note = _("In the workshop (repair order %(number)s) with a %(model)s: %(age)s years, %(km)s km.") % {
        "number": data.get("number", ""),
        "model": f"{vehicle.make} {vehicle.model}".strip(),
        "age": f"{age:.1f}" if age is not None else "?",
        "km": data.get("mileage_in") if data.get("mileage_in") is not None else "?",
    }
    return lead_capture(
        dealer=Dealer.objects.get(id=event.dealer_id),
        by=None,
        name=customer.name,
        type=LeadType.SERVICE,
        phones=phones,
        emails=emails,
        models_of_interest=[],
        note=note,
    )
