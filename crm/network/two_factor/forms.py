from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin


class CodeForm(BootstrapFormMixin, forms.Form):
    """A code from the authenticator app (6 digits) or, where accepted, a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
    )


class EnrolForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("The 6-digit code your app shows")
        self.fields["code"].widget.attrs.update({"inputmode": "numeric", "maxlength": "6"})
