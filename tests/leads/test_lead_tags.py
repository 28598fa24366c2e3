"""Screening answers read through the questionnaire's labels, not as stored keys and option values."""

from types import SimpleNamespace

from django.utils import translation

from leads.templatetags.lead_tags import answers_shown

QUESTIONNAIRE = SimpleNamespace(
    questions=[
        {
            "key": "timeframe",
            "label": {"en": "When will they buy?", "zh-hans": "计划什么时候购车？"},
            "kind": "choice",
            "options": [{"value": "within_7_days", "label": {"en": "Within 7 days", "zh-hans": "7 天内"}}],
        },
        {"key": "models", "label": {"en": "Models", "zh-hans": "意向车型"}, "kind": "multi", "options": []},
        {"key": "other", "label": {"en": "Other brands", "zh-hans": "对比的其他品牌"}, "kind": "text"},
    ]
)


def test_answers_read_in_the_readers_language():
    lead = SimpleNamespace(answers={"timeframe": "within_7_days", "models": ["A6", "X5"], "other": "BYD"})
    with translation.override("zh-hans"):
        assert answers_shown(lead, QUESTIONNAIRE) == [
            ("计划什么时候购车？", "7 天内"),
            ("意向车型", "A6, X5"),
            ("对比的其他品牌", "BYD"),
        ]
    with translation.override("en"):
        assert answers_shown(lead, QUESTIONNAIRE)[0] == ("When will they buy?", "Within 7 days")


def test_an_answer_to_a_question_no_longer_asked_still_shows():
    lead = SimpleNamespace(answers={"budget": "300k"})
    assert answers_shown(lead, QUESTIONNAIRE) == [("budget", "300k")]
    assert answers_shown(SimpleNamespace(answers={}), None) == []
