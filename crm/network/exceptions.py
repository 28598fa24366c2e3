"""The network's typed errors."""

from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError


class UsernameTaken(ApplicationError):
    code = "username_taken"
    status = 409
    default_message = _("This username is already in use. Choose another one.")


class WeakPassword(ApplicationError):
    code = "weak_password"
    default_message = _("This password is too weak.")


class RoleNotForDealer(ApplicationError):
    code = "role_not_for_dealer"
    default_message = _("This role cannot be held at a dealer.")


class OwnRoleDeactivation(ApplicationError):
    code = "own_role_deactivation"
    default_message = _("You cannot deactivate your own role.")


class UnknownLanguage(ApplicationError):
    code = "unknown_language"
    default_message = _("This language is not available.")


class DealerChoiceRequired(ApplicationError):
    """The user works at several dealers and the request did not say for which one."""

    code = "dealer_required"
    field = "dealer"
    default_message = _("You work at several dealers: choose the dealer this is for.")


class StaffPhoneInvalid(ApplicationError):
    code = "staff_phone_invalid"
    field = "phone"
    default_message = _("This is not a valid phone number: the phone rings for click-to-call, so it must be real.")


class TwoFactorCodeWrong(ApplicationError):
    code = "two_factor_code_wrong"
    field = "code"
    default_message = _("This code is not right. Type the 6 digits your authenticator app shows now, or a recovery code.")


class TwoFactorLocked(ApplicationError):
    """Too many wrong codes in a row: codes are refused for a while (the password alone was right)."""

    code = "two_factor_locked"
    status = 429
    field = "code"
    default_message = _("Too many wrong codes. Wait a few minutes, then try again.")


class TwoFactorAlreadyOn(ApplicationError):
    code = "two_factor_already_on"
    status = 409
    default_message = _("Two-factor sign-in is already on for this account.")


class TwoFactorNotOn(ApplicationError):
    code = "two_factor_not_on"
    status = 409
    default_message = _("Two-factor sign-in is not on for this account.")


class TwoFactorRequired(ApplicationError):
    code = "two_factor_required"
    status = 409
    default_message = _("Your role requires two-factor sign-in: it cannot be turned off.")


class ApiTokenLifeInvalid(ApplicationError):
    code = "api_token_life_invalid"
    field = "expires_in_days"
    default_message = _("Choose how many days the token lasts: at least 1, at most the allowed maximum.")
