from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError


class InvalidPhone(ApplicationError):
    code = "invalid_phone"
    default_message = _("This is not a valid phone number.")


class InvalidEmail(ApplicationError):
    code = "invalid_email"
    default_message = _("This is not a valid email address.")


class InvalidVin(ApplicationError):
    code = "invalid_vin"
    default_message = _("This is not a valid VIN.")


class VinAlreadyRegistered(ApplicationError):
    code = "vin_already_registered"
    status = 409
    default_message = _("A vehicle with this VIN is already registered.")


class ConsentWithdrawn(ApplicationError):
    code = "consent_withdrawn"
    status = 409
    default_message = _("The customer withdrew this consent; an imported list cannot give it back.")


class MergeNotAllowed(ApplicationError):
    code = "merge_not_allowed"
    default_message = _("These two customers cannot be merged.")


class ContactPointExists(ApplicationError):
    code = "contact_point_exists"
    status = 409
    default_message = _("The customer already has this contact point.")


class ImplausibleBirthday(ApplicationError):
    code = "implausible_birthday"
    default_message = _("A birthday lies between 1900-01-01 and today.")

    def __init__(self, message=None, *, extra: dict | None = None):
        super().__init__(message, extra=extra)
        self.extra.setdefault("fields", {"birthday": [str(self.message)]})
