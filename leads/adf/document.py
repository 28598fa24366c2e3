"""What `parse_adf` returns: frozen values nothing can make raise later, and the one error it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from django.utils.translation import gettext_lazy

from crm.core.exceptions import ApplicationError
from crm.customers.normalize import is_contactable


class AdfError(ApplicationError):
    """The whole ADF document is refused: unsafe, unreadable, or not an ADF document."""

    code = "invalid_adf"
    status = 400
    default_message = gettext_lazy("The ADF lead document is invalid.")


@dataclass(frozen=True)
class AdfAddress:
    address_type: str  # the ADF `type` attribute: "home", "work" or "" when absent
    street: str  # street lines in `line` order, joined with a newline
    apartment: str
    city: str
    regioncode: str
    postalcode: str
    country: str


@dataclass(frozen=True)
class AdfVehicle:
    interest: str  # "buy", "lease", "sell", "trade-in" or "test-drive"
    status: str  # "new" or "used"
    year: int | None
    make: str
    model: str
    trim: str
    vin: str  # upper case, 17 characters, or "" when absent or not a plausible VIN
    colour: str  # exterior colour of the preferred colour combination
    comments: str  # plain text, HTML tags stripped
    is_primary: bool  # the vehicle the prospect wants to buy or lease; at most one per prospect
    odometer: int | None = None  # the reading, in `odometer_units`
    odometer_units: str = ""  # "km", "mi", or "" when the sender did not say


@dataclass(frozen=True)
class AdfProspect:
    index: int  # 1-based position of the prospect in the document, for row-by-row reports
    external_id: str
    id_source: str
    status: str  # "new" or "resend"
    # As written: aware when the sender named the zone, naive when it did not. Read it with request_date_in.
    request_date: datetime | None
    name: str  # display name: the business name, else the full name, else composed from parts
    first_name: str
    last_name: str
    is_business: bool
    phones: list[str]  # raw numbers, labels and extensions stripped, best first
    emails: list[str]  # lower case, best first
    address: AdfAddress | None
    vehicles: list[AdfVehicle]
    comments: str  # plain text, HTML tags stripped
    timeframe: str
    vendor_name: str
    vendor_id: str
    provider_name: str
    provider_service: str
    warnings: list[str]
    # Extensions cut off the phone numbers ("ext. 12", "x12", "转12", "#12"): number as in `phones` -> digits.
    phone_extensions: dict[str, str] = field(default_factory=dict)

    @property
    def request_date_has_zone(self) -> bool:
        return self.request_date is not None and self.request_date.tzinfo is not None

    def request_date_in(self, zone: tzinfo) -> datetime | None:
        """The request date, aware: a date written without a zone is read in `zone` (the receiver's)."""
        if self.request_date is None or self.request_date_has_zone:
            return self.request_date
        return self.request_date.replace(tzinfo=zone)

    @property
    def is_contactable(self) -> bool:
        """False when the prospect has no phone and no email: nobody can follow it up."""
        return is_contactable(phones=self.phones, emails=self.emails)


@dataclass(frozen=True)
class AdfDocument:
    prospects: list[AdfProspect]
    warnings: list[str]  # about the whole document; each prospect carries its own warnings
