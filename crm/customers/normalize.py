"""Turning what people type into the forms the database compares: E.164 phones, lower-case emails,
upper-case VINs and plates; and refusing what no person has (a birthday in year 1 or next year)."""

import re
import unicodedata
from datetime import date

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.customers.exceptions import InvalidBirthday, InvalidEmail, InvalidPhone, InvalidVin

_VIN_ALPHABET = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def phone_normalize(raw: str, *, region: str | None = None) -> str:
    """E.164 form of `raw`, read in `region` (default: settings.DEFAULT_PHONE_REGION) unless it has a +."""
    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(_("“%(value)s” is not a phone number.") % {"value": raw}) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_("“%(value)s” is not a valid phone number.") % {"value": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """How a number reads to the people of its own country: 138 1234 5678, (415) 555-0100."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == settings.DEFAULT_PHONE_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def email_normalize(raw: str) -> str:
    text = (raw or "").strip().lower()
    try:
        validate_email(text)
    except ValidationError as error:
        raise InvalidEmail(_("“%(value)s” is not a valid email address.") % {"value": raw}) from error
    return text


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[char] * weight for char, weight in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_normalize(raw: str, *, region: str | None = None) -> str:
    """Upper-case 17-character VIN; in regions that use it (China, North America) the check digit in
    position 9 must be right."""
    vin = re.sub(r"[\s-]", "", width_fold(raw)).upper()
    if not _VIN_ALPHABET.match(vin):
        raise InvalidVin(_("A VIN has 17 letters and digits, without I, O or Q."))
    if (region or settings.DEFAULT_PHONE_REGION) in settings.VIN_CHECK_DIGIT_REGIONS and vin[
        8
    ] != vin_check_digit(vin):
        raise InvalidVin(_("The VIN’s check digit (9th character) does not match: check for a typing error."))
    return vin


def width_fold(raw: str) -> str:
    """Full-width letters, digits and spaces (typed with a Chinese input method, or sent by a scanner in
    that mode) as their ASCII forms: ＬＳＶ１２３ → LSV123. Chinese characters stay as they are."""
    return unicodedata.normalize("NFKC", raw or "")


def plate_normalize(raw: str) -> str:
    return re.sub(r"[\s·・.\-]", "", width_fold(raw)).upper()


def digits(raw: str) -> str:
    return re.sub(r"\D", "", raw or "")


EARLIEST_BIRTHDAY = date(1900, 1, 1)


def birthday_check(value: date | None) -> None:
    """A birthday is a real past day of a living person's life: from 1900 to today (local date)."""
    if value is not None and not EARLIEST_BIRTHDAY <= value <= timezone.localdate():
        raise InvalidBirthday(
            _("A birthday falls between %(earliest)s and today.") % {"earliest": EARLIEST_BIRTHDAY.isoformat()}
        )


def is_contactable(*, phones, emails) -> bool:
    """The one definition of someone the network can follow up: at least one phone number or email address.
    (Each is then normalised where it is stored, and an invalid one is refused there.)"""
    return any(str(phone or "").strip() for phone in phones) or any(str(email or "").strip() for email in emails)
