from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin

LIVES = [(30, _("30 days")), (90, _("90 days")), (180, _("180 days")), (365, _("1 year"))]


class ApiTokenForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Which system uses it, e.g. “DMS nightly import”."),
    )
    expires_in_days = forms.TypedChoiceField(label=_("Expires after"), choices=LIVES, coerce=int, initial=90)
