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
