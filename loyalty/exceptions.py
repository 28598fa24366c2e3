"""The loyalty app's typed errors (club and points ledger).

Loyalty's typed errors (stable codes; the API renders them, pages show their message).
"""

from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError


class InsufficientPoints(ApplicationError):
    code = "insufficient_points"
    status = 409
    field = "points"
    default_message = _("The member does not have that many points to spend.")


class PointsAmountInvalid(ApplicationError):
    code = "points_amount_invalid"
    field = "points"
    default_message = _("Enter a whole number of points greater than zero.")


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    status = 409
    default_message = _("This request key was already used for a different change.")


class AlreadyReversed(ApplicationError):
    code = "already_reversed"
    status = 409
    default_message = _("This entry has already been reversed.")


class NothingToReverse(ApplicationError):
    code = "nothing_to_reverse"
    status = 409
    default_message = _("Nothing of this entry is left to reverse (its points expired).")


class ApprovalRequired(ApplicationError):
    code = "approval_required"
    field = "approver"
    default_message = _("An adjustment needs a reason and a second person who approves it.")


class AlreadyMember(ApplicationError):
    code = "already_member"
    status = 409
    default_message = _("This customer is already a club member.")


class ConsentRequired(ApplicationError):
    code = "consent_required"
    field = "consent"
    default_message = _("The customer must agree to join the owner club.")


class NotAMember(ApplicationError):
    code = "not_a_member"
    status = 409
    default_message = _("This customer is not a club member.")


class RepairOrderNotRedeemable(ApplicationError):
    code = "repair_order_not_redeemable"
    status = 409
    default_message = _("Points can only be redeemed on an open repair order with a customer-pay job.")


class RedemptionTooLarge(ApplicationError):
    code = "redemption_too_large"
    status = 409
    field = "points"
    default_message = _("The discount would be larger than what the customer pays on this repair order.")


class SurveyAlreadyAnswered(ApplicationError):
    code = "survey_already_answered"
    status = 409
    default_message = _("This survey has already been answered. Thank you!")


class SurveyExpired(ApplicationError):
    code = "survey_expired"
    status = 410
    default_message = _("This survey link has expired.")


class SurveyAnswersInvalid(ApplicationError):
    """`extra["errors"]`: {question id: message} for the fields to show beside."""

    code = "survey_answers_invalid"
    status = 400
    default_message = _("Some answers need your attention.")


class QuestionnaireFrozen(ApplicationError):
    code = "questionnaire_frozen"
    status = 409
    default_message = _("A published version cannot change. Start a new draft from it.")


class QuestionnaireInvalid(ApplicationError):
    code = "questionnaire_invalid"
    status = 400
    default_message = _("The questionnaire could not be saved.")
class NoTierDiscount(ApplicationError):
    code = "no_tier_discount"
    status = 409
    default_message = _("The member's tier has no service discount.")
