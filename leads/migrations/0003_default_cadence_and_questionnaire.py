"""The OEM's starting point: follow-up cadence per grade (H every 2 days, A 4, B 7, C 15, O 2, each with
the range a dealer may choose in) and a first screening questionnaire. OEM admins change both later."""

from django.db import migrations

CADENCE = [
    # grade, default, min, max (days)
    ("O", 2, 1, 3),
    ("H", 2, 1, 3),
    ("A", 4, 3, 7),
    ("B", 7, 5, 14),
    ("C", 15, 10, 30),
]

QUESTIONS = [
    {
        "key": "timeframe",
        "kind": "choice",
        "label": {"en": "When do you plan to buy?", "zh-hans": "计划什么时候购车？"},
        "options": [
            {"value": "within_7_days", "label": {"en": "Within a week", "zh-hans": "一周内"}},
            {"value": "within_month", "label": {"en": "Within a month", "zh-hans": "一个月内"}},
            {"value": "within_3_months", "label": {"en": "In 1–3 months", "zh-hans": "1–3个月"}},
            {"value": "later", "label": {"en": "Later / not sure", "zh-hans": "更晚 / 不确定"}},
        ],
    },
    {
        "key": "budget",
        "kind": "choice",
        "label": {"en": "Budget", "zh-hans": "预算"},
        "options": [
            {"value": "under_150k", "label": {"en": "Under ¥150k", "zh-hans": "15万以下"}},
            {"value": "150k_250k", "label": {"en": "¥150k–250k", "zh-hans": "15–25万"}},
            {"value": "250k_400k", "label": {"en": "¥250k–400k", "zh-hans": "25–40万"}},
            {"value": "over_400k", "label": {"en": "Over ¥400k", "zh-hans": "40万以上"}},
        ],
    },
    {
        "key": "payment",
        "kind": "choice",
        "label": {"en": "Payment", "zh-hans": "付款方式"},
        "options": [
            {"value": "cash", "label": {"en": "Cash", "zh-hans": "全款"}},
            {"value": "loan", "label": {"en": "Loan", "zh-hans": "贷款"}},
            {"value": "lease", "label": {"en": "Lease", "zh-hans": "融资租赁"}},
        ],
    },
    {
        "key": "purchase_kind",
        "kind": "choice",
        "label": {"en": "This car is a…", "zh-hans": "购车类型"},
        "options": [
            {"value": "first", "label": {"en": "First car", "zh-hans": "首购"}},
            {"value": "additional", "label": {"en": "Additional car", "zh-hans": "增购"}},
            {"value": "replacement", "label": {"en": "Replacement", "zh-hans": "换购"}},
        ],
    },
    {"key": "models", "kind": "multi", "label": {"en": "Models considered", "zh-hans": "意向车型"}, "options": []},
    {"key": "competitors", "kind": "text", "label": {"en": "Other brands considered", "zh-hans": "对比的其他品牌"}},
]

RULES = [
    {"grade": "H", "when": {"timeframe": ["within_7_days"]}},
    {"grade": "A", "when": {"timeframe": ["within_month"]}},
    {"grade": "B", "when": {"timeframe": ["within_3_months"]}},
]


def load(apps, schema_editor):
    CadencePolicy = apps.get_model("leads", "CadencePolicy")
    Questionnaire = apps.get_model("leads", "Questionnaire")
    for grade, default, low, high in CADENCE:
        CadencePolicy.objects.update_or_create(grade=grade, defaults={"default_days": default, "min_days": low, "max_days": high})
    if not Questionnaire.objects.exists():
        Questionnaire.objects.create(
            version=1, title="Showroom screening", questions=QUESTIONS, rules=RULES, default_grade="C", is_active=True
        )


class Migration(migrations.Migration):
    dependencies = [("leads", "0002_row_level_security")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
