"""The funnel's set-up writes: screening questionnaire versions and the follow-up cadence.

A questionnaire version is never changed once saved (a lead keeps the version it was graded with): an
edit is a new version, and putting a version in use switches the one active row in one transaction.
"""

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from crm.network.access import access_for
from crm.network.models import Dealer
from leads import permissions
from leads.exceptions import CadencePolicyInvalid, QuestionnaireConflict, QuestionnaireInvalid
from leads.models import OPEN_GRADES, CadencePolicy, DealerCadence, Questionnaire
from leads.permissions import can_manage_dealer, require

QUESTION_KINDS = ("choice", "multi", "text")
LANGUAGES = ("en", "zh-hans")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
VALUE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,59}$")
MAX_QUESTIONS = 40
MAX_OPTIONS = 40
MAX_RULES = 50
MAX_DAYS = 365


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def questionnaire_problems(*, title: str, questions: list, rules: list, default_grade: str) -> list[Problem]:
    """Every mistake in a draft, so the editor shows them all at once (empty when it can be saved)."""
    problems: list[Problem] = []
    if not (title or "").strip():
        problems.append(Problem("title", _("Give the questionnaire a title.")))
    if default_grade not in OPEN_GRADES:
        problems.append(Problem("default_grade", _("The default grade is O, H, A, B or C.")))
    if not questions:
        problems.append(Problem("", _("Add at least one question.")))
    if len(questions) > MAX_QUESTIONS:
        problems.append(Problem("", _("At most %(count)s questions.") % {"count": MAX_QUESTIONS}))
    options_by_key: dict[str, set[str]] = {}
    seen_keys: set[str] = set()
    for index, question in enumerate(questions):
        where = f"q-{index}"
        key = question.get("key", "")
        kind = question.get("kind", "")
        if not KEY_PATTERN.match(key):
            problems.append(
                Problem(
                    f"{where}-key",
                    _("A key is lower-case letters, digits and _ (starting with a letter), at most 40."),
                )
            )
        elif key in seen_keys:
            problems.append(
                Problem(f"{where}-key", _("Another question already uses the key “%(key)s”.") % {"key": key})
            )
        seen_keys.add(key)
        if kind not in QUESTION_KINDS:
            problems.append(Problem(f"{where}-kind", _("Choose single choice, multiple choice or text.")))
        for language in LANGUAGES:
            if not (question.get("label") or {}).get(language, "").strip():
                problems.append(
                    Problem(f"{where}-label-{language}", _("Write the question in both languages."))
                )
        options = question.get("options") or []
        if kind == "text" and options:
            problems.append(Problem(f"{where}-options", _("A text question has no options.")))
        if kind == "choice" and len(options) < 2:
            problems.append(
                Problem(f"{where}-options", _("A single-choice question needs at least 2 options."))
            )
        if len(options) > MAX_OPTIONS:
            problems.append(
                Problem(f"{where}-options", _("At most %(count)s options.") % {"count": MAX_OPTIONS})
            )
        values: set[str] = set()
        for position, option in enumerate(options):
            value = option.get("value", "")
            if not VALUE_PATTERN.match(value):
                problems.append(
                    Problem(
                        f"{where}-o-{position}-value",
                        _("A value is lower-case letters, digits and _, at most 60."),
                    )
                )
            elif value in values:
                problems.append(
                    Problem(
                        f"{where}-o-{position}-value",
                        _("Two options share the value “%(value)s”.") % {"value": value},
                    )
                )
            values.add(value)
            for language in LANGUAGES:
                if not (option.get("label") or {}).get(language, "").strip():
                    problems.append(
                        Problem(
                            f"{where}-o-{position}-label-{language}", _("Name the option in both languages.")
                        )
                    )
        if kind in ("choice", "multi") and options and key:
            options_by_key.setdefault(key, values)
    if len(rules) > MAX_RULES:
        problems.append(Problem("", _("At most %(count)s rules.") % {"count": MAX_RULES}))
    for index, rule in enumerate(rules):
        where = f"r-{index}"
        if rule.get("grade") not in OPEN_GRADES:
            problems.append(Problem(f"{where}-grade", _("A rule grades O, H, A, B or C.")))
        conditions = rule.get("when") or {}
        if not conditions:
            problems.append(
                Problem(where, _("A rule needs at least one condition (the default grade covers the rest)."))
            )
        for position, (key, allowed) in enumerate(conditions.items()):
            field = f"{where}-c-{position}"
            if key not in options_by_key:
                problems.append(
                    Problem(
                        f"{field}-question", _("Choose a question with options (single or multiple choice).")
                    )
                )
                continue
            if not allowed:
                problems.append(Problem(f"{field}-values", _("Tick at least one answer.")))
            unknown = [value for value in allowed if value not in options_by_key[key]]
            if unknown:
                problems.append(
                    Problem(
                        f"{field}-values",
                        _("“%(question)s” has no option %(values)s.")
                        % {"question": key, "values": ", ".join(unknown)},
                    )
                )
    return problems


def _lock_questionnaires() -> None:
    """Serialise writers: every version row locked, in primary-key order (the table is small)."""
    list(Questionnaire.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


def _activate(questionnaire: Questionnaire) -> None:
    # Off first, then on: the one-active constraint is checked row by row.
    Questionnaire.objects.filter(is_active=True).exclude(pk=questionnaire.pk).update(is_active=False)
    Questionnaire.objects.filter(pk=questionnaire.pk).update(is_active=True)
    questionnaire.is_active = True


@transaction.atomic
def questionnaire_version_create(
    *,
    by,
    title: str,
    questions: list,
    rules: list,
    default_grade: str,
    activate: bool = False,
) -> Questionnaire:
    """Save a draft as the next version (never changes a saved one). Only OEM admins. The draft must
    pass `questionnaire_problems` (else QuestionnaireInvalid, nothing saved). With `activate`, the new
    version is put in use in the same transaction."""
    require(permissions.can_edit_questionnaires(access_for(by)))
    problems = questionnaire_problems(
        title=title, questions=questions, rules=rules, default_grade=default_grade
    )
    if problems:
        raise QuestionnaireInvalid(
            extra={"problems": [{"field": p.field, "message": p.message} for p in problems]}
        )
    _lock_questionnaires()
    version = (Questionnaire.objects.aggregate(top=Max("version"))["top"] or 0) + 1
    try:
        with transaction.atomic():
            questionnaire = Questionnaire.objects.create(
                version=version,
                title=title.strip(),
                questions=questions,
                rules=rules,
                default_grade=default_grade,
                created_by=by,
            )
            if activate:
                _activate(questionnaire)
    except IntegrityError as error:
        raise QuestionnaireConflict() from error
    return questionnaire


@transaction.atomic
def questionnaire_activate(*, questionnaire: Questionnaire, by) -> Questionnaire:
    """Put `questionnaire` in use; the version in use before is retired (leads graded with it keep it).
    Only OEM admins. Exactly one version is active afterwards."""
    require(permissions.can_edit_questionnaires(access_for(by)))
    _lock_questionnaires()
    try:
        with transaction.atomic():
            _activate(questionnaire)
    except IntegrityError as error:
        raise QuestionnaireConflict() from error
    return questionnaire


@dataclass(frozen=True)
class PolicyChange:
    grade: str
    default_days: int
    min_days: int
    max_days: int


@transaction.atomic
def cadence_policies_set(*, by, policies: list[PolicyChange]) -> int:
    """The OEM's allowed range and default per grade. Only OEM admins. Dealers' own values that fall
    outside a new range are moved to its nearest end, so every dealer stays inside what the OEM allows.
    Returns how many dealer values moved."""
    require(permissions.can_set_cadence_policies(access_for(by)))
    for policy in policies:
        if policy.grade not in OPEN_GRADES or not (
            1 <= policy.min_days <= policy.default_days <= policy.max_days <= MAX_DAYS
        ):
            raise CadencePolicyInvalid(extra={"grade": policy.grade})
    moved = 0
    for policy in sorted(policies, key=lambda p: p.grade):
        CadencePolicy.objects.update_or_create(
            grade=policy.grade,
            defaults={
                "default_days": policy.default_days,
                "min_days": policy.min_days,
                "max_days": policy.max_days,
            },
        )
        moved += DealerCadence.objects.filter(grade=policy.grade, days__lt=policy.min_days).update(
            days=policy.min_days
        )
        moved += DealerCadence.objects.filter(grade=policy.grade, days__gt=policy.max_days).update(
            days=policy.max_days
        )
    return moved


@transaction.atomic
def dealer_cadence_reset(*, dealer: Dealer, grade: str, by) -> None:
    """The dealer goes back to the OEM default for `grade` (its sales managers and admins only)."""
    require(can_manage_dealer(access_for(by), dealer.id))
    DealerCadence.objects.filter(dealer=dealer, grade=grade).delete()
