"""Forms of the set-up pages.

The questionnaire editor posts its whole draft on every step (add, remove or move a question, an option,
a rule or a condition; try answers; save), so it works with HTMX and without it, and nothing is stored
until the admin saves. Input names: `q-<i>-key|kind|label-en|label-zh-hans`,
`q-<i>-o-<j>-value|label-en|label-zh-hans`, `r-<k>-grade`, `r-<k>-c-<m>-question|values`; the same names
are the `field` of the service's problems, so each error shows beside its input.
"""

import re

from django import forms
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from crm.core.forms import BootstrapFormMixin
from leads.models import OPEN_GRADES, Grade, Questionnaire
from leads.services import grade_from_answers
from leads.setup.services import LANGUAGES, MAX_DAYS, PolicyChange, Problem, questionnaire_problems

KIND_CHOICES = [
    ("choice", gettext_lazy("Single choice")),
    ("multi", gettext_lazy("Multiple choice")),
    ("text", gettext_lazy("Text")),
]
GRADE_CHOICES = [(grade, Grade(grade).label) for grade in OPEN_GRADES]
MAX_INDEX = 200

_QUESTION = re.compile(r"^q-(\d+)-(key|kind|label-en|label-zh-hans)$")
_OPTION = re.compile(r"^q-(\d+)-o-(\d+)-(value|label-en|label-zh-hans)$")
_RULE = re.compile(r"^r-(\d+)-grade$")
_CONDITION = re.compile(r"^r-(\d+)-c-(\d+)-question$")
_OP = re.compile(
    r"^(add-question|add-rule|refresh|try|save|save-activate|"
    r"(remove|up|down)-q-\d+|add-option-\d+|(remove|up|down)-o-\d+-\d+|"
    r"(remove|up|down)-r-\d+|add-condition-\d+|remove-c-\d+-\d+)$"
)


def _draft_name(language: str) -> str:
    """Where the draft keeps a label ("label_en", "label_zh_hans": names a template can read)."""
    return "label_" + language.replace("-", "_")


def label_in_language(label, fallback: str = "") -> str:
    if isinstance(label, dict):
        language = (get_language() or "en").lower()
        return label.get(language) or label.get(language.split("-")[0]) or label.get("en") or fallback
    return str(label or fallback)


def _blank_question() -> dict:
    return {
        "key": "",
        "kind": "choice",
        "label_en": "",
        "label_zh_hans": "",
        "options": [_blank_option(), _blank_option()],
    }


def _blank_option() -> dict:
    return {"value": "", "label_en": "", "label_zh_hans": ""}


def draft_from_questionnaire(questionnaire: Questionnaire | None) -> dict:
    """The editor's draft, starting from a saved version (or empty)."""
    if questionnaire is None:
        return {"title": "", "default_grade": Grade.C, "questions": [_blank_question()], "rules": []}
    questions = []
    for question in questionnaire.questions:
        label = (
            question.get("label")
            if isinstance(question.get("label"), dict)
            else {"en": question.get("label", "")}
        )
        questions.append(
            {
                "key": question.get("key", ""),
                "kind": question.get("kind", "text"),
                **{_draft_name(language): label.get(language, "") for language in LANGUAGES},
                "options": [
                    {
                        "value": option.get("value", ""),
                        **{
                            _draft_name(language): (option.get("label") or {}).get(language, "")
                            if isinstance(option.get("label"), dict)
                            else str(option.get("label", ""))
                            for language in LANGUAGES
                        },
                    }
                    for option in question.get("options", [])
                ],
            }
        )
    rules = [
        {
            "grade": rule.get("grade", ""),
            "conditions": [
                {"question": key, "values": list(values)} for key, values in rule.get("when", {}).items()
            ],
        }
        for rule in questionnaire.rules
    ]
    return {
        "title": questionnaire.title,
        "default_grade": questionnaire.default_grade,
        "questions": questions,
        "rules": rules,
    }


def draft_from_post(data) -> dict:
    """The draft as posted (indexes need not be contiguous; anything past MAX_INDEX is ignored)."""
    questions: dict[int, dict] = {}
    options: dict[tuple[int, int], dict] = {}
    rules: dict[int, dict] = {}
    conditions: dict[tuple[int, int], dict] = {}
    for name in data:
        if match := _QUESTION.match(name):
            index = int(match[1])
            if index <= MAX_INDEX:
                questions.setdefault(index, {})[match[2].replace("-", "_")] = data.get(name, "").strip()[:300]
        elif match := _OPTION.match(name):
            index, position = int(match[1]), int(match[2])
            if index <= MAX_INDEX and position <= MAX_INDEX:
                options.setdefault((index, position), {})[match[3].replace("-", "_")] = data.get(
                    name, ""
                ).strip()[:200]
        elif match := _RULE.match(name):
            index = int(match[1])
            if index <= MAX_INDEX:
                rules[index] = {"grade": data.get(name, ""), "conditions": []}
        elif match := _CONDITION.match(name):
            index, position = int(match[1]), int(match[2])
            if index <= MAX_INDEX and position <= MAX_INDEX:
                conditions[(index, position)] = {
                    "question": data.get(name, ""),
                    "values": [value for value in data.getlist(f"r-{index}-c-{position}-values") if value][
                        :MAX_INDEX
                    ],
                }
    draft_questions = []
    for index in sorted(questions):
        question = {"key": "", "kind": "choice", "label_en": "", "label_zh_hans": "", **questions[index]}
        question["options"] = [
            {"value": "", "label_en": "", "label_zh_hans": "", **options[key]}
            for key in sorted(key for key in options if key[0] == index)
        ]
        draft_questions.append(question)
    draft_rules = []
    for index in sorted(rules):
        rule = rules[index]
        rule["conditions"] = [conditions[key] for key in sorted(key for key in conditions if key[0] == index)]
        draft_rules.append(rule)
    return {
        "title": data.get("title", "").strip()[:200],
        "default_grade": data.get("default_grade", ""),
        "questions": draft_questions,
        "rules": draft_rules,
    }


def _move(items: list, index: int, step: int) -> None:
    target = index + step
    if 0 <= index < len(items) and 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]


def _remove(items: list, index: int) -> None:
    if 0 <= index < len(items):
        del items[index]


def operation(data) -> str:
    op = data.get("op", "")
    return op if _OP.match(op) else "refresh"


def draft_apply(draft: dict, op: str) -> None:
    """One editing step on the draft (nothing is stored)."""
    numbers = [int(n) for n in re.findall(r"\d+", op)]
    questions, rules = draft["questions"], draft["rules"]
    if op == "add-question":
        questions.append(_blank_question())
    elif op == "add-rule":
        rules.append({"grade": Grade.H, "conditions": [{"question": "", "values": []}]})
    elif op.startswith(("remove-q-", "up-q-", "down-q-")):
        if op.startswith("remove"):
            _remove(questions, numbers[0])
        else:
            _move(questions, numbers[0], -1 if op.startswith("up") else 1)
    elif op.startswith("add-option-"):
        if numbers[0] < len(questions):
            questions[numbers[0]]["options"].append(_blank_option())
    elif op.startswith(("remove-o-", "up-o-", "down-o-")):
        if numbers[0] < len(questions):
            items = questions[numbers[0]]["options"]
            if op.startswith("remove"):
                _remove(items, numbers[1])
            else:
                _move(items, numbers[1], -1 if op.startswith("up") else 1)
    elif op.startswith(("remove-r-", "up-r-", "down-r-")):
        if op.startswith("remove"):
            _remove(rules, numbers[0])
        else:
            _move(rules, numbers[0], -1 if op.startswith("up") else 1)
    elif op.startswith("add-condition-"):
        if numbers[0] < len(rules):
            rules[numbers[0]]["conditions"].append({"question": "", "values": []})
    elif op.startswith("remove-c-") and numbers[0] < len(rules):
        _remove(rules[numbers[0]]["conditions"], numbers[1])


def draft_payload(draft: dict) -> tuple[list, list, list[Problem]]:
    """The draft in the stored shape (questions, rules) and the problems only the editor can see (two
    conditions on one question in a rule would collapse into one)."""
    questions = []
    for question in draft["questions"]:
        stored = {
            "key": question["key"],
            "kind": question["kind"],
            "label": {language: question[_draft_name(language)] for language in LANGUAGES},
        }
        if question["kind"] != "text" or question["options"]:
            stored["options"] = [
                {
                    "value": option["value"],
                    "label": {language: option[_draft_name(language)] for language in LANGUAGES},
                }
                for option in question["options"]
            ]
        questions.append(stored)
    rules, problems = [], []
    for index, rule in enumerate(draft["rules"]):
        when: dict[str, list[str]] = {}
        for position, condition in enumerate(rule["conditions"]):
            if condition["question"] in when:
                problems.append(
                    Problem(
                        f"r-{index}-c-{position}-question",
                        _("This rule already has a condition on this question."),
                    )
                )
                continue
            when[condition["question"]] = list(dict.fromkeys(condition["values"]))
        rules.append({"grade": rule["grade"], "when": when})
    return questions, rules, problems


def draft_problems(draft: dict) -> list[Problem]:
    questions, rules, problems = draft_payload(draft)
    return problems + questionnaire_problems(
        title=draft["title"], questions=questions, rules=rules, default_grade=draft["default_grade"]
    )


def draft_attach_errors(draft: dict, problems: list[Problem]) -> list[str]:
    """Put each problem beside its input (`errors` of the question, option, rule, condition); returns the
    ones that belong to the whole draft."""
    general: list[str] = []
    draft["errors"] = {}
    for question in draft["questions"]:
        question["errors"] = {}
        for option in question["options"]:
            option["errors"] = {}
    for rule in draft["rules"]:
        rule["errors"] = {}
        for condition in rule["conditions"]:
            condition["errors"] = {}
    for problem in problems:
        parts = problem.field.split("-", 2) if problem.field else []
        target, attribute = None, ""
        if problem.field in ("title", "default_grade"):
            target, attribute = draft, problem.field
        elif (
            parts
            and parts[0] == "q"
            and len(parts) > 1
            and parts[1].isdigit()
            and int(parts[1]) < len(draft["questions"])
        ):
            question = draft["questions"][int(parts[1])]
            rest = parts[2] if len(parts) > 2 else ""
            option = re.match(r"^o-(\d+)-(.+)$", rest)
            if option and int(option[1]) < len(question["options"]):
                target, attribute = question["options"][int(option[1])], option[2]
            else:
                target, attribute = question, rest
        elif (
            parts
            and parts[0] == "r"
            and len(parts) > 1
            and parts[1].isdigit()
            and int(parts[1]) < len(draft["rules"])
        ):
            rule = draft["rules"][int(parts[1])]
            rest = parts[2] if len(parts) > 2 else ""
            condition = re.match(r"^c-(\d+)-(.+)$", rest)
            if condition and int(condition[1]) < len(rule["conditions"]):
                target, attribute = rule["conditions"][int(condition[1])], condition[2]
            else:
                target, attribute = rule, rest or "rule"
        if target is None:
            general.append(problem.message)
        else:
            target.setdefault("errors", {}).setdefault(attribute.replace("-", "_"), []).append(
                problem.message
            )
    return general


def draft_try(draft: dict, data) -> tuple[dict, str | None]:
    """The answers picked in the "try it" panel and the grade the draft's rules give them (None while the
    rules cannot be read)."""
    answers: dict = {}
    for question in draft["questions"]:
        key = question["key"]
        if not key or question["kind"] == "text":
            continue
        picked = [value for value in data.getlist(f"try-{key}") if value]
        if picked:
            answers[key] = picked if question["kind"] == "multi" else picked[0]
    _questions, rules, _problems = draft_payload(draft)
    if draft["default_grade"] not in OPEN_GRADES:
        return answers, None
    trial = Questionnaire(rules=rules, default_grade=draft["default_grade"])
    try:
        return answers, grade_from_answers(questionnaire=trial, answers=answers)
    except (KeyError, TypeError, AttributeError):
        return answers, None


# Cadence ------------------------------------------------------------------------------------------------


class CadencePolicyForm(forms.Form):
    """The OEM's range and default for every open grade, in one form (one save)."""

    def __init__(self, *args, policies, **kwargs):
        super().__init__(*args, **kwargs)
        self.grades = [policy.grade for policy in policies]
        for policy in policies:
            for part in ("min", "default", "max"):
                self.fields[f"{policy.grade}-{part}"] = forms.IntegerField(
                    min_value=1,
                    max_value=MAX_DAYS,
                    initial=getattr(policy, f"{part}_days"),
                    widget=forms.NumberInput(
                        attrs={"class": "form-control form-control-sm", "inputmode": "numeric"}
                    ),
                )

    def rows(self):
        return [
            {
                "grade": grade,
                "label": Grade(grade).label,
                "min": self[f"{grade}-min"],
                "default": self[f"{grade}-default"],
                "max": self[f"{grade}-max"],
            }
            for grade in self.grades
        ]

    def clean(self):
        data = super().clean()
        for grade in self.grades:
            low, default, high = (data.get(f"{grade}-{part}") for part in ("min", "default", "max"))
            if None in (low, default, high):
                continue
            if not low <= default <= high:
                self.add_error(
                    f"{grade}-default",
                    _("%(grade)s: at least ≤ default ≤ at most.") % {"grade": grade},
                )
        return data

    def changes(self) -> list[PolicyChange]:
        data = self.cleaned_data
        return [
            PolicyChange(
                grade=grade,
                min_days=data[f"{grade}-min"],
                default_days=data[f"{grade}-default"],
                max_days=data[f"{grade}-max"],
            )
            for grade in self.grades
        ]


class DealerCadenceForm(BootstrapFormMixin, forms.Form):
    grade = forms.ChoiceField(choices=GRADE_CHOICES, widget=forms.HiddenInput)
    days = forms.IntegerField(
        label=gettext_lazy("Every (days)"), min_value=1, max_value=MAX_DAYS, required=False
    )
    action = forms.ChoiceField(choices=[("set", "set"), ("reset", "reset")], required=False)

    def clean(self):
        data = super().clean()
        data["action"] = data.get("action") or "set"
        if data["action"] == "set" and data.get("days") is None and "days" not in self.errors:
            self.add_error("days", _("How many days between follow-ups?"))
        return data
