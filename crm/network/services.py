"""Writes to the network that the browser offers: adding and deactivating dealer staff, a user's language
and phone."""

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm.core.exceptions import NotFound, PermissionDenied
from crm.network.access import access_for
from crm.network.exceptions import (
    OwnRoleDeactivation,
    RoleNotForDealer,
    StaffPhoneInvalid,
    UnknownLanguage,
    UsernameTaken,
    WeakPassword,
)
from crm.network.models import DEALER_ROLES, Dealer, RoleAssignment, StaffProfile
from crm.network.permissions import can_manage_dealer_staff

User = get_user_model()


@transaction.atomic
def staff_add(
    *,
    by,
    dealer: Dealer,
    role: str,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
):
    """Create a user and give them `role` at `dealer`.

    Preconditions: `by` is an OEM admin or a dealer admin of `dealer` (else PermissionDenied); `role` is a
    dealer role. An existing username is refused (UsernameTaken): a dealer admin must not be able to take
    over another dealer's account by naming it. Returns the new RoleAssignment."""
    if not can_manage_dealer_staff(access_for(by), dealer.id):
        raise PermissionDenied()
    if role not in DEALER_ROLES:
        raise RoleNotForDealer()
    username = username.strip()
    candidate = User(
        username=username, first_name=first_name.strip(), last_name=last_name.strip(), email=email
    )
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise WeakPassword(" ".join(error.messages)) from error
    phone = staff_phone_normalize(phone) if phone.strip() else ""
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken()
    try:
        with transaction.atomic():
            candidate.set_password(password)
            candidate.save()
    except IntegrityError as error:
        raise UsernameTaken() from error
    StaffProfile.objects.create(user=candidate, language=settings.LANGUAGE_CODE, phone=phone)
    return RoleAssignment.objects.create(user=candidate, role=role, dealer=dealer)


@transaction.atomic
def staff_deactivate(*, by, assignment: RoleAssignment) -> RoleAssignment:
    """Switch one role assignment off (the user keeps their account and other roles)."""
    if assignment.dealer_id is None or not can_manage_dealer_staff(access_for(by), assignment.dealer_id):
        raise NotFound()
    if assignment.user_id == by.pk:
        raise OwnRoleDeactivation()
    RoleAssignment.objects.filter(id=assignment.id).update(is_active=False)
    assignment.refresh_from_db()
    return assignment


@transaction.atomic
def staff_language_set(*, user, language: str) -> StaffProfile:
    """Remember the language `user` reads the product in (the profile is created if missing)."""
    if language not in dict(settings.LANGUAGES):
        raise UnknownLanguage()
    profile, _created = StaffProfile.objects.update_or_create(user=user, defaults={"language": language})
    return profile


def staff_phone_normalize(raw: str) -> str:
    """A staff phone in E.164, read in DEFAULT_PHONE_REGION unless it has a +, like customers' phones
    (crm/customers/normalize.py, which the network sits below). StaffPhoneInvalid when it is no number."""
    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise StaffPhoneInvalid() from error
    if not phonenumbers.is_valid_number(number):
        raise StaffPhoneInvalid()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@transaction.atomic
def staff_phone_set(*, user, phone: str) -> StaffProfile:
    """The phone click-to-call rings first for `user` (their own; empty clears it). Stored in E.164."""
    phone = staff_phone_normalize(phone) if phone.strip() else ""
    profile, _created = StaffProfile.objects.update_or_create(user=user, defaults={"phone": phone})
    return profile
