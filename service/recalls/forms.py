"""Forms of the recall pages. They only validate input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin


def _words(text: str) -> list[str]:
    return [
        word
        for word in text.replace("，", ",").replace(";", ",").replace("\n", ",").split(",")
        if word.strip()
    ]


class RecallForm(BootstrapFormMixin, forms.Form):
    code = forms.CharField(label=_("Campaign code"), max_length=30)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Defect and risk"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    remedy_operation_codes = forms.CharField(
        label=_("Remedy operation codes"),
        help_text=_("Separated by commas, as on the repair order's labour lines."),
    )
    rule_models = forms.CharField(label=_("Model codes"), required=False, help_text=_("Separated by commas."))
    rule_year_from = forms.IntegerField(
        label=_("Model year from"), required=False, min_value=1950, max_value=2100
    )
    rule_year_to = forms.IntegerField(
        label=_("Model year to"), required=False, min_value=1950, max_value=2100
    )
    rule_vin_from = forms.CharField(label=_("VIN from"), required=False, max_length=17)
    rule_vin_to = forms.CharField(label=_("VIN to"), required=False, max_length=17)

    def clean_remedy_operation_codes(self):
        return _words(self.cleaned_data["remedy_operation_codes"])

    def clean_rule_models(self):
        return _words(self.cleaned_data["rule_models"])


class UploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("VIN list (CSV or XLSX)"))


class DeclineForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("Why the customer declines"), max_length=300, required=False)
