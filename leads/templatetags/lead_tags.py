"""How the funnel's stored values read on its pages."""

from django import template

from leads.forms import QuestionnaireForm

register = template.Library()


@register.filter
def answers_shown(lead, questionnaire) -> list[tuple[str, str]]:
    """A lead's screening answers as (question, answer) in the reader's language: the stored keys and
    option values ("timeframe": "within_7_days") read through the labels of the questionnaire's form."""
    answers = lead.answers or {}
    if questionnaire is None:
        return [
            (key, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
            for key, value in answers.items()
        ]
    fields = QuestionnaireForm(questionnaire=questionnaire).fields
    rows = []
    for key, value in answers.items():
        field = fields.get(key)
        labels = dict(getattr(field, "choices", ()) or ())
        values = value if isinstance(value, list) else [value]
        rows.append(
            (field.label if field else key, ", ".join(str(labels.get(item, item)) for item in values))
        )
    return rows
