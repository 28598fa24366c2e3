from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError, PayloadTooLarge, RateLimited  # noqa: F401 - the intake's answers too


class LeadAlreadyClaimed(ApplicationError):
    code = "lead_already_claimed"
    status = 409
    default_message = _("Someone else claimed this lead a moment ago.")


class NotContactable(ApplicationError):
    code = "not_contactable"
    field = "phones"
    default_message = _("Give a phone number or an email address: nobody can follow up a lead without one.")


class LeadAwaitingAcceptance(ApplicationError):
    code = "lead_awaiting_acceptance"
    status = 409
    default_message = _(
        "The OEM issued this lead and the dealer has not accepted it yet: your sales manager accepts it and "
        "decides who follows it up."
    )


class LeadNotAwaitingAcceptance(ApplicationError):
    code = "lead_not_awaiting_acceptance"
    status = 409
    default_message = _("This lead is not waiting for acceptance.")


class RejectionReasonMissing(ApplicationError):
    code = "rejection_reason_missing"
    field = "reason"
    default_message = _("Say why the lead is rejected: the OEM reads it.")


class StageMoveNotAllowed(ApplicationError):
    code = "stage_move_not_allowed"
    status = 409
    default_message = _("A lead cannot move to that stage from where it is.")


class VisitTimeImplausible(ApplicationError):
    code = "visit_time_implausible"
    field = "arrived_at"
    default_message = _("This visit time is not plausible.")


class ContactTimeImplausible(ApplicationError):
    code = "contact_time_implausible"
    field = "at"
    default_message = _("A contact attempt happens between the lead's arrival and now.")


class LeadClosed(ApplicationError):
    code = "lead_closed"
    status = 409
    default_message = _("This lead is closed.")


class CadenceOutOfRange(ApplicationError):
    code = "cadence_out_of_range"
    default_message = _("The follow-up interval is outside the range the OEM allows for this grade.")


class DemoCarTaken(ApplicationError):
    code = "demo_car_taken"
    status = 409
    default_message = _("That demo car is already booked for part of this time.")


class NoSalespersonAvailable(ApplicationError):
    code = "no_salesperson_available"
    status = 409
    default_message = _("No active salesperson at this dealer can take the lead.")


class LostVerdictPending(ApplicationError):
    code = "lost_verdict_pending"
    status = 409
    default_message = _("A lost verdict for this lead is already waiting for the manager.")


class InvalidSourceKey(ApplicationError):
    code = "invalid_source_key"
    status = 401
    default_message = _("Unknown or inactive lead source key.")


class UploadExpired(ApplicationError):
    code = "upload_expired"
    default_message = _("The uploaded file is no longer available. Upload it again.")


class ReferrerIsTheFriend(ApplicationError):
    code = "referrer_is_the_friend"
    default_message = _("That phone number is the referrer's own: enter the friend's number.")


class QuestionnaireInvalid(ApplicationError):
    """`extra["problems"]` lists {"field", "message"}: `field` names the part of the draft at fault
    ("q-0-key", "q-1-options", "r-2-c-0-question", "title", …) or is empty for the whole draft."""

    code = "questionnaire_invalid"
    default_message = _("The questionnaire has mistakes; nothing was saved.")


class QuestionnaireConflict(ApplicationError):
    code = "questionnaire_conflict"
    status = 409
    default_message = _("Someone else changed the questionnaires at the same moment. Try again.")


class CadencePolicyInvalid(ApplicationError):
    code = "cadence_policy_invalid"
    default_message = _("Each grade needs 1 ≤ at least ≤ default ≤ at most days.")


class UnknownDealer(ApplicationError):
    code = "unknown_dealer"
    status = 400
    default_message = _("No active dealer carrying the brand has this dealer code.")


class SubmittedTooFast(ApplicationError):
    code = "submitted_too_fast"
    status = 400
    default_message = _("The form was sent too quickly after it was shown. Please try again.")


class StaffPhoneMissing(ApplicationError):
    code = "staff_phone_missing"
    field = "phone"
    default_message = _("Give your own mobile phone first: click-to-call rings it, then connects the customer.")


class CustomerPhoneMissing(ApplicationError):
    code = "customer_phone_missing"
    default_message = _("This customer has no valid phone number to call or text.")


class CallInProgress(ApplicationError):
    code = "call_in_progress"
    status = 409
    default_message = _("You have a call in progress: wait for it to end before calling again.")


class MessageEmpty(ApplicationError):
    code = "message_empty"
    field = "text"
    default_message = _("Write the message first.")
