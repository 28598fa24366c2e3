"""The club's forms: sign-up at the dealer, redemption on a repair order, the OEM's earn rules and tiers."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from crm.core.names import staff_name
from loyalty.models import EarnCampaign, Programme, Tier
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
