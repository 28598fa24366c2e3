"""One <prospect> element read into an `AdfProspect`: its id, status and dates, the contacts (see
leads.adf.contact), the vehicles wanted, and the warnings about what was dropped or assumed."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from crm.customers.normalize import is_contactable
from leads.adf.contact import read_address, read_emails, read_name, read_phones
from leads.adf.document import AdfProspect, AdfVehicle
from leads.adf.text import attribute, child_text, element_text, parse_datetime, plain_texts, shorten

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

_PROSPECT_STATUSES = frozenset({"new", "resend"})
_VEHICLE_INTERESTS = {
    "buy": "buy",
    "purchase": "buy",
    "lease": "lease",
    "sell": "sell",
    "trade-in": "trade-in",
    "tradein": "trade-in",
    "trade in": "trade-in",
    "trade": "trade-in",
    "test-drive": "test-drive",
    "testdrive": "test-drive",
    "test drive": "test-drive",
    "test_drive": "test-drive",
}
_VEHICLE_STATUSES = {
    "new": "new",
    "used": "used",
    "pre-owned": "used",
    "preowned": "used",
    "certified": "used",
}
_PURCHASE_INTERESTS = ("buy", "lease")
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def read_prospect(element: Element, index: int) -> AdfProspect:
    warnings: list[str] = []
    identifier = next((item for item in element.findall("id") if element_text(item)), None)
    status = attribute(element, "status") or "new"
    if status not in _PROSPECT_STATUSES:
        warnings.append(
            _('The prospect status "%(value)s" is unknown; "new" was assumed.') % {"value": status}
        )
        status = "new"
    request_date_text = child_text(element, "requestdate")
    request_date = parse_datetime(request_date_text)
    if request_date_text and request_date is None:
        warnings.append(
            _('The request date "%(value)s" could not be read; it was left empty.')
            % {"value": shorten(request_date_text)}
        )
    customer = element.find("customer")
    # The primary contact first; ADF allows several contacts per customer.
    contacts = sorted(
        customer.findall("contact") if customer is not None else [],
        key=lambda contact: attribute(contact, "primarycontact") != "1",
    )
    name, first_name, last_name, is_business = "", "", "", False
    for contact in contacts:
        name, first_name, last_name, is_business = read_name(contact, warnings)
        if name:
            break
    phones, phone_extensions = read_phones(contacts, warnings)
    emails = read_emails(contacts, warnings)
    if not is_contactable(phones=phones, emails=emails):
        warnings.append(_("No way to contact this prospect: it has no phone number and no email address."))
    vendor = element.find("vendor")
    provider = element.find("provider")
    return AdfProspect(
        index=index,
        external_id=element_text(identifier),
        id_source=(identifier.get("source", "").strip() if identifier is not None else ""),
        status=status,
        request_date=request_date,
        name=name,
        first_name=first_name,
        last_name=last_name,
        is_business=is_business,
        phones=phones,
        emails=emails,
        address=next((address for address in map(read_address, contacts) if address is not None), None),
        vehicles=_read_vehicles(element.findall("vehicle"), warnings),
        comments=plain_texts(
            (customer.findall("comments") if customer is not None else []) + element.findall("comments")
        ),
        timeframe=_read_timeframe(customer.find("timeframe") if customer is not None else None),
        vendor_name=child_text(vendor, "vendorname"),
        vendor_id=child_text(vendor, "id"),
        provider_name=(
            " ".join(text for text in map(element_text, provider.findall("name")) if text)
            if provider is not None
            else ""
        ),
        provider_service=child_text(provider, "service"),
        warnings=list(dict.fromkeys(warnings)),
        phone_extensions=phone_extensions,
    )


def _read_timeframe(timeframe: Element | None) -> str:
    """The description, then the date range: "within a month (2024-03-10 – 2024-04-10)"."""
    if timeframe is None:
        return ""
    description = element_text(timeframe.find("description"))
    dates = []
    for name in ("earliestdate", "latestdate"):
        value = child_text(timeframe, name)
        parsed = parse_datetime(value)
        dates.append(parsed.date().isoformat() if parsed is not None else value)
    date_range = " – ".join(value or "…" for value in dates) if any(dates) else ""
    if description and date_range:
        return f"{description} ({date_range})"
    return description or date_range


def _read_vehicles(elements: list[Element], warnings: list[str]) -> list[AdfVehicle]:
    """Vehicles in order, empty ones left out; the first to buy or lease (else to test-drive) is primary."""
    vehicles = [
        vehicle
        for vehicle in (_read_vehicle(element, warnings) for element in elements)
        if any(
            (
                vehicle.year,
                vehicle.make,
                vehicle.model,
                vehicle.trim,
                vehicle.vin,
                vehicle.colour,
                vehicle.comments,
            )
        )
    ]
    for interests in (_PURCHASE_INTERESTS, ("test-drive",)):
        position = next((i for i, vehicle in enumerate(vehicles) if vehicle.interest in interests), None)
        if position is not None:
            vehicles[position] = replace(vehicles[position], is_primary=True)
            break
    return vehicles


def _read_vehicle(element: Element, warnings: list[str]) -> AdfVehicle:
    interest_value = attribute(element, "interest")
    interest = _VEHICLE_INTERESTS.get(interest_value or "buy")
    if interest is None:
        warnings.append(
            _('The vehicle interest "%(value)s" is unknown; "buy" was assumed.') % {"value": interest_value}
        )
        interest = "buy"
    status_value = attribute(element, "status")
    status = _VEHICLE_STATUSES.get(status_value or "new")
    if status is None:
        warnings.append(
            _('The vehicle status "%(value)s" is unknown; "new" was assumed.') % {"value": status_value}
        )
        status = "new"
    year_text = child_text(element, "year")
    year = (
        int(year_text)
        if year_text.isascii() and year_text.isdigit() and 1900 <= int(year_text) <= 2100
        else None
    )
    if year_text and year is None:
        warnings.append(
            _('The vehicle year "%(value)s" is not a year and was dropped.') % {"value": shorten(year_text)}
        )
    vin_text = child_text(element, "vin")
    vin = re.sub(r"[\s-]", "", vin_text).upper()
    if vin and not _VIN.fullmatch(vin):
        warnings.append(
            _('The VIN "%(value)s" is not 17 valid characters and was dropped.')
            % {"value": shorten(vin_text)}
        )
        vin = ""
    return AdfVehicle(
        interest=interest,
        status=status,
        year=year,
        make=child_text(element, "make"),
        model=child_text(element, "model"),
        trim=child_text(element, "trim"),
        vin=vin,
        colour=_read_colour(element),
        comments=plain_texts(element.findall("comments")),
        is_primary=False,
        **_read_odometer(element.find("odometer"), warnings),
    )


_ODOMETER_UNITS = {
    "km": "km",
    "kms": "km",
    "kilometer": "km",
    "kilometers": "km",
    "kilometre": "km",
    "kilometres": "km",
    "公里": "km",
    "千米": "km",
    "mi": "mi",
    "mile": "mi",
    "miles": "mi",
    "英里": "mi",
}
_ODOMETER = re.compile(r"(\d{1,3}(?:[,\s]\d{3})+|\d+)(\.\d+)?\s*(万)?\s*([^\d\s.,]*)")


def _read_odometer(element: Element | None, warnings: list[str]) -> dict:
    """The reading and its units ("km", "mi", "" when unsaid) from <odometer units="km">90,000</odometer>;
    units written after the number count when the attribute is missing."""
    text = unicodedata.normalize("NFKC", element_text(element))
    if not text:
        return {}
    found = _ODOMETER.fullmatch(text)
    units_written = _ODOMETER_UNITS.get(found.group(4).casefold()) if found else None
    if found is None or (found.group(4) and units_written is None):
        warnings.append(
            _('The odometer reading "%(value)s" is not a number and was dropped.') % {"value": shorten(text)}
        )
        return {}
    # "12.5万公里": Chinese counts in ten thousands.
    number = float(re.sub(r"\D", "", found.group(1)) + (found.group(2) or ""))
    reading = round(number * (10_000 if found.group(3) else 1))
    if reading > 10_000_000:
        warnings.append(
            _('The odometer reading "%(value)s" is not plausible and was dropped.') % {"value": shorten(text)}
        )
        return {}
    units_attribute = attribute(element, "units")
    units = _ODOMETER_UNITS.get(units_attribute, "") if units_attribute else (units_written or "")
    if units_attribute and not units:
        warnings.append(
            _('The odometer units "%(value)s" are unknown; the reading was kept without units.')
            % {"value": shorten(units_attribute)}
        )
    return {"odometer": reading, "odometer_units": units}


def _read_colour(vehicle: Element) -> str:
    """Exterior colour of the most preferred colour combination (lowest <preference>, else the first)."""
    combinations = vehicle.findall("colorcombination")

    def preference(combination: Element) -> int:
        value = child_text(combination, "preference")
        return int(value) if value.isascii() and value.isdigit() else 1_000

    for combination in sorted(combinations, key=preference):
        colour = child_text(combination, "exteriorcolor")
        if colour:
            return colour
    return ""
