"""The service app's typed errors."""

from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError


class RepairOrderClosed(ApplicationError):
    code = "repair_order_closed"
    status = 409
    default_message = _(
        "This repair order is settled or voided and does not change: open a correction for a settled one."
    )


class RepairOrderMoveNotAllowed(ApplicationError):
    code = "repair_order_move_not_allowed"
    status = 409
    default_message = _("A repair order cannot move to that status from where it is.")


class RepairOrderNumberTaken(ApplicationError):
    code = "repair_order_number_taken"
    status = 409
    field = "number"
    default_message = _("This dealer already has a repair order with this number.")


class RepairOrderEmpty(ApplicationError):
    code = "repair_order_empty"
    status = 409
    default_message = _("A repair order with no labour, parts or charges cannot be settled.")


class DiscountTooLarge(ApplicationError):
    code = "discount_too_large"
    field = "amount"
    default_message = _("The discounts cannot exceed what the order charges.")


class VoidReasonMissing(ApplicationError):
    code = "void_reason_missing"
    field = "reason"
    default_message = _("Say why the repair order is voided.")


class VehicleWithoutCustomer(ApplicationError):
    code = "vehicle_without_customer"
    field = "customer"
    default_message = _("Say whose car it is: the vehicle has no owner on record.")


class ImplausibleMileage(ApplicationError):
    code = "implausible_mileage"
    field = "mileage_in"
    default_message = _("A mileage is a whole number of kilometres up to 3,000,000.")


class DmsColumnsMissing(ApplicationError):
    code = "dms_columns_missing"
    field = "file"
    default_message = _("The file has no column for: %(columns)s.")


class DmsImportKeyReused(ApplicationError):
    code = "dms_import_key_reused"
    status = 409
    default_message = _("This idempotency key was already used for another file.")
