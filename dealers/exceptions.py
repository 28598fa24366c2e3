from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError


class TemplateInvalid(ApplicationError):
    code = "scorecard_template_invalid"
    default_message = _("The scorecard template is not valid.")


class WeightsNotHundred(TemplateInvalid):
    code = "scorecard_weights_not_hundred"
    field = "kpis"
    default_message = _("The weights of the key figures must add up to 100.")


class UnknownFigure(TemplateInvalid):
    code = "unknown_figure"
    field = "kpis"
    default_message = _("This key figure is not registered, or may not be put on a scorecard.")


class Frozen(ApplicationError):
    code = "frozen"
    status = 409
    default_message = _("This is published and frozen: make a new version instead.")


class NoTemplatePublished(ApplicationError):
    code = "no_scorecard_template"
    status = 409
    default_message = _("No scorecard template is published yet.")


class ChecklistInvalid(ApplicationError):
    code = "checklist_invalid"
    field = "items"
    default_message = _("A checklist needs at least one item, each with a category and a text.")


class AuditIncomplete(ApplicationError):
    code = "audit_incomplete"
    status = 409
    default_message = _("Give a result for every item (and evidence where the item requires it) first.")


class FindingWrongState(ApplicationError):
    code = "finding_wrong_state"
    status = 409
    default_message = _("The finding is not in a state that allows this (someone may have just changed it).")


class OwnerNotAtDealer(ApplicationError):
    code = "owner_not_at_dealer"
    field = "owner"
    default_message = _("The owner must work at the dealer.")


class EvidenceRefused(ApplicationError):
    code = "evidence_refused"
    field = "files"
    default_message = _("This file cannot be accepted as evidence.")


class AlreadyReconciled(ApplicationError):
    code = "already_reconciled"
    status = 409
    default_message = _("This mystery shop already has a finding.")


class CollisionInvalid(ApplicationError):
    code = "collision_invalid"
    status = 409
    default_message = _("This collision cannot be decided as asked.")
