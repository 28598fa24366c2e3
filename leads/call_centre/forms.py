"""Forms of the phone-in pages. They only validate input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from crm.network.models import Dealer
from leads.forms import ListField
from leads.models import OPEN_GRADES

CONSENT_CHOICES = [("", _("Not asked")), ("opt_in", _("Agreed")), ("opt_out", _("Refused"))]
PHONE_ATTRS = {"type": "tel", "inputmode": "tel", "autocomplete": "off", "autofocus": True}


class SourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class DealerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} · {obj.city}"


def _models(text: str) -> list[str]:
    return list(
        dict.fromkeys(part.strip()[:60] for part in text.replace("，", ",").split(",") if part.strip())
    )[:10]


class PhoneInForm(BootstrapFormMixin, forms.Form):
    """A caller on the OEM's 800 line. The preferred dealer's options follow the city typed (the page
    asks for them as it is typed); any active dealer selling the brand is accepted."""

    phone = forms.CharField(
        label=_("Caller's phone"), max_length=40, widget=forms.TextInput(attrs=PHONE_ATTRS)
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    city = forms.CharField(
        label=_("City"), max_length=100, widget=forms.TextInput(attrs={"list": "dealer-cities"})
    )
    brand = forms.ModelChoiceField(label=_("Brand"), queryset=None, empty_label=None)
    models = forms.CharField(
        label=_("Models of interest"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. A6, Q5")}),
    )
    preferred_dealer = DealerChoiceField(
        label=_("Preferred dealer"),
        queryset=Dealer.objects.filter(is_active=True),
        required=False,
        empty_label=_("Nearest dealer selling the brand"),
    )
    note = forms.CharField(
        label=_("What they asked"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    consent_sms = forms.ChoiceField(
        label=_("Marketing SMS"), choices=CONSENT_CHOICES, required=False, widget=forms.RadioSelect
    )
    consent_phone = forms.ChoiceField(
        label=_("Marketing calls"), choices=CONSENT_CHOICES, required=False, widget=forms.RadioSelect
    )
    source = SourceChoiceField(label=_("Source"), queryset=None, empty_label=None)

    def __init__(self, *args, sources, brands, cities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources
        self.fields["brand"].queryset = brands
        self.cities = list(cities)
        oem_brand = next((b for b in brands if b.is_oem_brand), None)
        if oem_brand is not None:
            self.fields["brand"].initial = oem_brand.pk

    def clean_city(self) -> str:
        city = self.cleaned_data["city"].strip()
        # The dealer's own spelling, so "shanghai" finds the Shanghai dealers.
        return next((known for known in self.cities if known.casefold() == city.casefold()), city)

    def clean_models(self) -> list[str]:
        return _models(self.cleaned_data.get("models", ""))

    def clean(self):
        data = super().clean()
        dealer, brand = data.get("preferred_dealer"), data.get("brand")
        if dealer is not None and brand is not None and not dealer.brands.filter(id=brand.id).exists():
            self.add_error(
                "preferred_dealer",
                _("%(dealer)s does not sell %(brand)s.") % {"dealer": dealer.name, "brand": brand.name},
            )
        return data

    def consents(self) -> dict[str, str]:
        return {
            channel: self.cleaned_data.get(field) or ""
            for channel, field in (("sms", "consent_sms"), ("phone", "consent_phone"))
            if self.cleaned_data.get(field)
        }


class _ModelsMixin:
    def clean(self):
        data = super().clean()
        if data.get("other_model"):
            data["models"] = list(dict.fromkeys([*data.get("models", []), *_models(data["other_model"])]))
        return data


class DealerPhoneInForm(_ModelsMixin, BootstrapFormMixin, forms.Form):
    phone = forms.CharField(
        label=_("Caller's phone"), max_length=40, widget=forms.TextInput(attrs=PHONE_ATTRS)
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    models = ListField(label=_("Models of interest"), required=False)
    other_model = forms.CharField(label=_("Another model"), max_length=120, required=False)
    grade = forms.ChoiceField(
        label=_("Grade"), choices=[("", "—"), *[(g, g) for g in OPEN_GRADES]], required=False
    )
    note = forms.CharField(
        label=_("What was said"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReferralForm(_ModelsMixin, BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Friend's name"), max_length=200, widget=forms.TextInput(attrs={"autofocus": True})
    )
    phone = forms.CharField(
        label=_("Friend's phone"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    models = ListField(label=_("Models of interest"), required=False)
    other_model = forms.CharField(label=_("Another model"), max_length=120, required=False)
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
