"""The screening questionnaire grades a prospect automatically; a salesperson may override with a reason."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import ApplicationError
from crm.network.access import access_for
from crm.timeline.services import event_record
from leads import events
from leads.models import OPEN_GRADES, Lead, Questionnaire
from leads.permissions import can_work_dealer, require
from leads.services.common import follow_up_by_grade, lock_lead, require_open


def grade_from_answers(*, questionnaire: Questionnaire, answers: dict) -> str:
    """The first rule whose every condition the answers meet decides; else the questionnaire's default.

    A condition {"question": [allowed values]} is met when the answer (or, for a multiple choice, any
    of the answers) is one of the allowed values."""
    for rule in questionnaire.rules:
        conditions = rule.get("when", {})
        if all(_meets(answers.get(key), allowed) for key, allowed in conditions.items()):
            return rule["grade"]
    return questionnaire.default_grade


def _meets(answer, allowed: list) -> bool:
    if answer is None:
        return False
    given = answer if isinstance(answer, list) else [answer]
    return any(value in allowed for value in given)


def questionnaire_active() -> Questionnaire | None:
    return Questionnaire.objects.filter(is_active=True).first()


@transaction.atomic
def lead_answers_record(*, lead: Lead, by, answers: dict) -> Lead:
    """Store the screening answers and grade the lead with the questionnaire in use (the lead keeps that
    version). A grade set by hand stays until the salesperson changes it."""
    lead = lock_lead(lead.id)
    require(can_work_dealer(access_for(by), lead.dealer_id))
    require_open(lead)
    questionnaire = questionnaire_active()
    if questionnaire is None:
        raise ApplicationError(_("No screening questionnaire is in use."))
    grade = grade_from_answers(questionnaire=questionnaire, answers=answers)
    changes = {"answers": answers, "questionnaire": questionnaire}
    if not lead.grade_is_override:
        changes.update(
            grade=grade,
            grade_reason=_("Screening questionnaire v%(version)s") % {"version": questionnaire.version},
        )
    grade_apply(lead=lead, by=by, changes=changes)
    return lead


@transaction.atomic
def lead_grade(*, lead: Lead, by, grade: str, reason: str) -> Lead:
    """A salesperson's own grade, with the reason (required when it overrides the questionnaire)."""
    lead = lock_lead(lead.id)
    require(can_work_dealer(access_for(by), lead.dealer_id))
    require_open(lead)
    if grade not in OPEN_GRADES:
        raise ApplicationError(_("An open lead is graded O, H, A, B or C."))
    if lead.questionnaire_id and not reason.strip():
        raise ApplicationError(_("Say why you override the questionnaire's grade."))
    grade_apply(
        lead=lead,
        by=by,
        changes={
            "grade": grade,
            "grade_is_override": bool(lead.questionnaire_id),
            "grade_reason": reason.strip(),
        },
    )
    return lead


def grade_apply(*, lead: Lead, by, changes: dict) -> None:
    """Write grade changes (caller holds the lead's lock); a new grade is a timeline event and resets
    the follow-up cadence once the lead has had its first contact."""
    previous = lead.grade
    Lead.objects.filter(id=lead.id).update(**changes, version=F("version") + 1, updated_at=timezone.now())
    for key, value in changes.items():
        setattr(lead, key, value)
    if lead.grade != previous:
        event_record(
            customer_id=lead.customer_id,
            kind=events.LEAD_GRADED,
            dealer_id=lead.dealer_id,
            actor=by,
            data={"lead": lead.id, "grade": lead.grade, "from": previous},
        )
        # A new grade sets a new cadence, counted from now, unless a first response is still due.
        if lead.first_contact_at is not None:
            follow_up_by_grade(lead=lead, after=timezone.now())
