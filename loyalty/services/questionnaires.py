"""The OEM admin's questionnaire builder: questionnaires, versions and their questions.

Guarantees: a version is a draft until published; publishing freezes it (the database's trigger refuses
any change to a published version or its questions, whatever path the change takes); a questionnaire has
at most one draft; the active questionnaire of a kind (one per kind, a unique key) is what new invitations
use, in its latest published version. Only the OEM admin builds.
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.network.access import access_for
from loyalty.exceptions import QuestionnaireFrozen, QuestionnaireInvalid
from loyalty.models import Questionnaire, QuestionnaireVersion, SurveyKind, SurveyQuestion
from loyalty.permissions import can_build_questionnaires, require


@transaction.atomic
def questionnaire_create(*, by, kind: str, name_en: str, name_zh: str) -> Questionnaire:
    """A new questionnaire with an empty draft version 1. Not sent to anyone until a version is published
    and the questionnaire is made the active one of its kind."""
    require(can_build_questionnaires(access_for(by)))
    if kind not in SurveyKind.values:
        raise QuestionnaireInvalid(_("Choose a kind of survey."), field="kind")
    if not name_en.strip() or not name_zh.strip():
        raise QuestionnaireInvalid(_("Give the questionnaire a name in both languages."), field="name_en")
    questionnaire = Questionnaire.objects.create(
        kind=kind, name_en=name_en.strip(), name_zh=name_zh.strip(), created_by=by
    )
    QuestionnaireVersion.objects.create(questionnaire=questionnaire, number=1)
    return questionnaire


def _draft(version: QuestionnaireVersion) -> QuestionnaireVersion:
    version = QuestionnaireVersion.objects.select_for_update().get(id=version.id)
    if version.is_published:
        raise QuestionnaireFrozen()
    return version


def _clean_choices(choices: list[dict]) -> list[dict]:
    cleaned, codes = [], set()
    for choice in choices:
        en, zh = str(choice.get("en", "")).strip(), str(choice.get("zh", "")).strip()
        if not en and not zh:
            continue
        code = str(choice.get("code") or f"c{len(cleaned) + 1}")[:40]
        if code in codes:
            raise QuestionnaireInvalid(_("Two choices have the same code."), field="choices")
        codes.add(code)
        cleaned.append({"code": code, "en": en or zh, "zh": zh or en})
    return cleaned


@transaction.atomic
def question_add(
    *,
    by,
    version: QuestionnaireVersion,
    type: str,
    text_en: str,
    text_zh: str,
    is_required: bool = False,
    scale_min: int | None = None,
    scale_max: int | None = None,
    choices: list[dict] | None = None,
) -> SurveyQuestion:
    """Append a question to a draft version. NPS questions are always 0–10; a scale needs its lowest and
    highest score; choice questions need at least two choices, each named in English and/or Chinese."""
    require(can_build_questionnaires(access_for(by)))
    version = _draft(version)
    if type not in SurveyQuestion.Type.values:
        raise QuestionnaireInvalid(_("Choose a type of question."), field="type")
    if not text_en.strip() or not text_zh.strip():
        raise QuestionnaireInvalid(_("Write the question in both languages."), field="text_en")
    cleaned_choices: list[dict] = []
    if type == SurveyQuestion.Type.NPS:
        scale_min, scale_max = 0, 10
    elif type == SurveyQuestion.Type.SCALE:
        if scale_min is None or scale_max is None or scale_max <= scale_min or scale_max - scale_min > 10:
            raise QuestionnaireInvalid(
                _("A scale goes from a lowest to a higher score, at most 10 steps apart (1 to 5, 1 to 10)."),
                field="scale_max",
            )
    else:
        scale_min = scale_max = None
        if type in (SurveyQuestion.Type.SINGLE, SurveyQuestion.Type.MULTIPLE):
            cleaned_choices = _clean_choices(choices or [])
            if len(cleaned_choices) < 2:
                raise QuestionnaireInvalid(_("Give at least two choices."), field="choices")
    position = (version.questions.aggregate(last=Max("position"))["last"] or 0) + 1
    return SurveyQuestion.objects.create(
        version=version,
        position=position,
        type=type,
        text_en=text_en.strip(),
        text_zh=text_zh.strip(),
        is_required=is_required,
        scale_min=scale_min,
        scale_max=scale_max,
        choices=cleaned_choices,
    )


@transaction.atomic
def question_remove(*, by, question: SurveyQuestion) -> None:
    require(can_build_questionnaires(access_for(by)))
    _draft(question.version)
    SurveyQuestion.objects.filter(id=question.id).delete()


@transaction.atomic
def version_publish(*, by, version: QuestionnaireVersion) -> QuestionnaireVersion:
    """Freeze a draft: from now on the database refuses any change to it or its questions. Invitations
    created after this use it (the questionnaire's latest published version)."""
    require(can_build_questionnaires(access_for(by)))
    version = _draft(version)
    if not version.questions.exists():
        raise QuestionnaireInvalid(_("Add at least one question before publishing."))
    version.status = QuestionnaireVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = by
    version.save(update_fields=["status", "published_at", "published_by"])
    return version


@transaction.atomic
def version_draft_from(*, by, version: QuestionnaireVersion) -> QuestionnaireVersion:
    """A new draft (the next number) with a copy of `version`'s questions, to change and publish later.
    A questionnaire has at most one draft: asking again returns the existing one."""
    require(can_build_questionnaires(access_for(by)))
    questionnaire = Questionnaire.objects.select_for_update().get(id=version.questionnaire_id)
    existing = questionnaire.versions.filter(status=QuestionnaireVersion.Status.DRAFT).first()
    if existing is not None:
        return existing
    number = (questionnaire.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    draft = QuestionnaireVersion.objects.create(questionnaire=questionnaire, number=number)
    SurveyQuestion.objects.bulk_create(
        SurveyQuestion(
            version=draft,
            position=question.position,
            type=question.type,
            text_en=question.text_en,
            text_zh=question.text_zh,
            is_required=question.is_required,
            scale_min=question.scale_min,
            scale_max=question.scale_max,
            choices=question.choices,
        )
        for question in version.questions.order_by("position")
    )
    return draft


@transaction.atomic
def questionnaire_activate(*, by, questionnaire: Questionnaire) -> Questionnaire:
    """Make `questionnaire` the one sent for its kind of survey (the previous one stops being sent;
    invitations already out keep their version)."""
    require(can_build_questionnaires(access_for(by)))
    questionnaire = Questionnaire.objects.select_for_update().get(id=questionnaire.id)
    if not questionnaire.versions.filter(status=QuestionnaireVersion.Status.PUBLISHED).exists():
        raise QuestionnaireInvalid(_("Publish a version before sending this questionnaire."))
    Questionnaire.objects.filter(kind=questionnaire.kind, is_active=True).exclude(id=questionnaire.id).update(
        is_active=False
    )
    Questionnaire.objects.filter(id=questionnaire.id).update(is_active=True)
    questionnaire.is_active = True
    return questionnaire


def current_version(kind: str) -> QuestionnaireVersion | None:
    """The latest published version of the active questionnaire of `kind`, or None (nothing to send)."""
    return (
        QuestionnaireVersion.objects.filter(
            questionnaire__kind=kind,
            questionnaire__is_active=True,
            status=QuestionnaireVersion.Status.PUBLISHED,
        )
        .order_by("-number")
        .first()
    )
