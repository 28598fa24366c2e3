"""Typed errors of recalls."""

from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError


class RecallCodeTaken(ApplicationError):
    code = "recall_code_taken"
    status = 409
    field = "code"
    default_message = _("A recall campaign with this code already exists.")


class RecallRemedyMissing(ApplicationError):
    code = "recall_remedy_missing"
    field = "remedy_operation_codes"
    default_message = _("Give at least one remedy operation code: completion is recognised by it.")


class RecallRuleEmpty(ApplicationError):
    code = "recall_rule_empty"
    default_message = _("The rule selects nothing: give model codes, model years or a VIN range.")


class RecallRuleInvalid(ApplicationError):
    code = "recall_rule_invalid"
    default_message = _("The rule's range is reversed or its VINs are not 17 characters.")


class RecallNotActive(ApplicationError):
    code = "recall_not_active"
    status = 409
    default_message = _("This recall campaign is not active.")


class RecallVehicleNotOpen(ApplicationError):
    code = "recall_vehicle_not_open"
    status = 409
    default_message = _("This vehicle's recall is already completed or declined.")


class DeclineNoteMissing(ApplicationError):
    code = "decline_note_missing"
    field = "note"
    default_message = _("Say why the customer declines.")
