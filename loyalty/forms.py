"""Loyalty's forms: input checked and typed before a service or selector sees it."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from loyalty.models import SurveyKind, SurveyQuestion
from loyalty.selectors.surveys import GROUPINGS, StatisticsFilters, statistics_dealer_choices

# --- Satisfaction surveys -------------------------------------------------------------------------------

GROUP_LABELS = {
    "dealer": _("Dealer"),
    "region": _("Region"),
    "model": _("Model"),
    "salesperson": _("Salesperson"),
    "advisor": _("Service advisor"),
    "month": _("Month"),
}
MAX_PERIOD_DAYS = 731


class StatisticsFilterForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Survey"), required=False, choices=[("", _("All surveys")), *SurveyKind.choices]
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    dealer = forms.ModelChoiceField(label=_("Dealer"), required=False, queryset=None, empty_label=_("All dealers"))
    group_by = forms.ChoiceField(
        label=_("Break down by"), required=False, choices=[(key, GROUP_LABELS[key]) for key in GROUPINGS]
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = statistics_dealer_choices(user=user)

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        date_to = cleaned.get("date_to") or today
        date_from = cleaned.get("date_from") or (date_to - timedelta(days=89))
        if date_from > date_to:
            self.add_error("date_from", _("The start comes after the end."))
        elif (date_to - date_from).days > MAX_PERIOD_DAYS:
            self.add_error("date_from", _("Choose a period of at most two years."))
        cleaned["date_from"], cleaned["date_to"] = date_from, date_to
        return cleaned

    def filters(self) -> StatisticsFilters:
        data = self.cleaned_data
        return StatisticsFilters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            kind=data.get("kind") or "",
            dealer_id=data["dealer"].id if data.get("dealer") else None,
            group_by=data.get("group_by") or "dealer",
        )


class QuestionnaireForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Survey"), choices=SurveyKind.choices)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)


class QuestionForm(BootstrapFormMixin, forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=SurveyQuestion.Type.choices)
    text_en = forms.CharField(label=_("Question (English)"), max_length=300)
    text_zh = forms.CharField(label=_("Question (Chinese)"), max_length=300)
    is_required = forms.BooleanField(label=_("Required"), required=False)
    scale_min = forms.IntegerField(label=_("Lowest score"), required=False, min_value=-10, max_value=10)
    scale_max = forms.IntegerField(label=_("Highest score"), required=False, min_value=-10, max_value=20)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: English | 中文"),
    )

    def clean_choices(self) -> list[dict]:
        parsed = []
        for line in self.cleaned_data.get("choices", "").splitlines():
            if not line.strip():
                continue
            en, _bar, zh = line.partition("|")
            parsed.append({"en": en.strip()[:100], "zh": zh.strip()[:100]})
        return parsed
