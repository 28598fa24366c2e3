"""The club's forms: sign-up at the dealer, redemption on a repair order, the OEM's earn rules and tiers.

Loyalty's forms: input checked and typed before a service or selector sees it.
"""

import uuid
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from crm.core.names import staff_name
from loyalty.models import EarnCampaign, Programme, SurveyKind, SurveyQuestion, Tier
from loyalty.selectors.surveys import GROUPINGS, StatisticsFilters, statistics_dealer_choices
from loyalty.services.club import PROGRAMME_FIELDS, TIER_FIELDS


class EnrolForm(BootstrapFormMixin, forms.Form):
    consent = forms.BooleanField(
        label=_("The customer agrees to join the owner club and to receive its statements"),
        required=True,
        error_messages={"required": _("The customer must agree to join the owner club.")},
    )


class RedeemForm(BootstrapFormMixin, forms.Form):
    points = forms.IntegerField(label=_("Points to redeem"), min_value=1, max_value=10_000_000)
    # One key per form shown: sending the same form twice redeems once.
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("request_key", uuid.uuid4().hex)


class ProgrammeForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Programme
        fields = PROGRAMME_FIELDS

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("point_value") or 1) <= 0:
            self.add_error("point_value", _("A point must be worth something."))
        if cleaned.get("rolling_months") == 0:
            self.add_error("rolling_months", _("At least one month."))
        if cleaned.get("expiry_months") == 0:
            self.add_error("expiry_months", _("At least one month."))
        return cleaned


class TierForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Tier
        fields = TIER_FIELDS

    def clean_earn_multiplier(self):
        value = self.cleaned_data["earn_multiplier"]
        if value < 1:
            raise forms.ValidationError(_("At least 1."))
        return value

    def clean_service_discount_percent(self):
        value = self.cleaned_data["service_discount_percent"]
        if not 0 <= value <= 50:
            raise forms.ValidationError(_("Between 0 and 50 %."))
        return value


class MonthForm(forms.Form):
    month = forms.CharField(required=False)


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
class EarnCampaignForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = EarnCampaign
        fields = ("name", "starts_on", "ends_on", "multiplier")
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"}), "ends_on": forms.DateInput(attrs={"type": "date"})}

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The last day comes after the first."))
        multiplier = cleaned.get("multiplier")
        if multiplier is not None and not 1 < multiplier <= 10:
            self.add_error("multiplier", _("More than 1 and at most 10."))
        return cleaned


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return staff_name(obj)


class AdjustForm(BootstrapFormMixin, forms.Form):
    """A manual correction: asked for by one person, approved by the signed-in approver."""

    points = forms.IntegerField(
        label=_("Points (negative to take off)"), min_value=-1_000_000, max_value=1_000_000
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)
    requested_by = StaffChoiceField(label=_("Asked for by"), queryset=None)
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requested_by"].queryset = people
        if not self.is_bound:
            self.initial.setdefault("request_key", uuid.uuid4().hex)

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("Enter a whole number of points other than zero."))
        return points
