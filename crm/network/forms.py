from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from crm.network.models import DEALER_ROLES, Dealer, Role


class StaffAddForm(BootstrapFormMixin, forms.Form):
    first_name = forms.CharField(label=_("Given name"), max_length=150)
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("What they type to sign in."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        required=False,
        help_text=_("Click-to-call rings this phone first."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=[(value, label) for value, label in Role.choices if value in DEALER_ROLES]
    )
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; they should change it after signing in."),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class ActingDealerForm(forms.Form):
    dealer = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, dealers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = Dealer.objects.filter(id__in=[dealer.id for dealer in dealers])


class StaffPhoneForm(forms.Form):
    phone = forms.CharField(label=_("Your mobile phone"), max_length=32, required=False)
    next = forms.CharField(required=False)
