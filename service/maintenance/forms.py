"""Forms of the maintenance pages. They only validate input; the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from crm.network.models import BrandModel

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
WITHIN_CHOICES = [(7, _("7 days")), (14, _("14 days")), (30, _("30 days")), (60, _("60 days")), (90, _("90 days"))]


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.replace("，", ",").replace(";", ",").replace("\n", ",").split(",") if w.strip()]


class ScheduleForm(BootstrapFormMixin, forms.Form):
    brand_model = forms.ModelChoiceField(label=_("Model"), queryset=BrandModel.objects.none())
    effective_from = forms.DateField(label=_("Effective from"), widget=DATE_WIDGET)
    first_km = forms.IntegerField(label=_("First service at (km)"), min_value=1, max_value=200_000)
    first_months = forms.IntegerField(label=_("First service after (months)"), min_value=1, max_value=120)
    interval_km = forms.IntegerField(label=_("Then every (km)"), min_value=1, max_value=200_000)
    interval_months = forms.IntegerField(label=_("Then every (months)"), min_value=1, max_value=120)
    operation_codes = forms.CharField(
        label=_("Maintenance operation codes"),
        max_length=500,
        help_text=_(
            "Separated by commas, as on the repair order's labour lines; a code ending in * is a prefix "
            "(MNT-*). A settled repair order carrying one is a maintenance service."
        ),
    )
    note = forms.CharField(label=_("Why this version"), max_length=300, required=False)

    def __init__(self, *args, models=None, fixed_model=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_model is not None:
            del self.fields["brand_model"]
        else:
            self.fields["brand_model"].queryset = models if models is not None else BrandModel.objects.none()
        self.fields["effective_from"].initial = timezone.localdate()

    @classmethod
    def initial_from(cls, schedule) -> dict:
        return {
            "first_km": schedule.first_km,
            "first_months": schedule.first_months,
            "interval_km": schedule.interval_km,
            "interval_months": schedule.interval_months,
            "operation_codes": ", ".join(schedule.operation_codes),
        }

    def clean_operation_codes(self) -> list[str]:
        return _words(self.cleaned_data["operation_codes"])


class ReminderSettingForm(BootstrapFormMixin, forms.Form):
    reminder_days = forms.IntegerField(label=_("Maintenance reminder (days before)"), min_value=0, max_value=90)
    inspection_days = forms.IntegerField(label=_("Inspection reminder (days before)"), min_value=0, max_value=90)
    warranty_days = forms.IntegerField(label=_("Warranty expiry reminder (days before)"), min_value=0, max_value=90)
    insurance_days = forms.IntegerField(label=_("Insurance renewal reminder (days before)"), min_value=0, max_value=90)


class InsuranceForm(BootstrapFormMixin, forms.Form):
    insurance_expires_on = forms.DateField(label=_("Insurance expires"), required=False, widget=DATE_WIDGET)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DueListForm(forms.Form):
    within = forms.TypedChoiceField(choices=WITHIN_CHOICES, coerce=int, required=False, empty_value=30)
