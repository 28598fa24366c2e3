"""Typed errors of complaints and call-backs."""

from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError


class ComplaintFieldInvalid(ApplicationError):
    code = "complaint_field_invalid"
    default_message = _("Choose one of the offered values.")


class ComplaintSummaryMissing(ApplicationError):
    code = "complaint_summary_missing"
    field = "summary"
    default_message = _("Say what the customer complains about.")


class ComplaintRepairOrderMismatch(ApplicationError):
    code = "complaint_repair_order_mismatch"
    field = "repair_order"
    default_message = _("The repair order must be this dealer's and this customer's (and this vehicle's).")


class ComplaintClosed(ApplicationError):
    code = "complaint_closed"
    status = 409
    default_message = _("This complaint is closed.")


class ResolutionMissing(ApplicationError):
    code = "resolution_missing"
    field = "resolution"
    default_message = _("Describe the resolution offered to the customer.")


class NotResolvedYet(ApplicationError):
    code = "complaint_not_resolved"
    status = 409
    default_message = _("Record the resolution first; then close it with the customer's confirmation.")


class ConfirmationMissing(ApplicationError):
    code = "customer_confirmation_missing"
    field = "customer_confirmed"
    default_message = _("A complaint closes only when the customer confirms the resolution satisfies them.")


class OwnerNotAtDealer(ApplicationError):
    code = "owner_not_at_dealer"
    field = "owner"
    default_message = _("The owner must be a service advisor or manager of the dealer concerned.")


class CallBackByAdvisor(ApplicationError):
    code = "call_back_by_advisor"
    status = 409
    default_message = _("The advisor who served the customer does not make their satisfaction call.")


class CallBackDone(ApplicationError):
    code = "call_back_done"
    status = 409
    default_message = _("This call-back was already recorded.")


class CallBackOutcomeInvalid(ApplicationError):
    code = "call_back_outcome_invalid"
    field = "outcome"
    default_message = _("Choose the call's outcome.")


class CallBackNotesMissing(ApplicationError):
    code = "call_back_notes_missing"
    field = "notes"
    default_message = _("Note what the customer is dissatisfied with: it opens a complaint.")
