from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from crm.customers.models import Channel, Consent, ContactPoint, Customer, Language
from crm.customers.services import CUSTOMER_EDITABLE_FIELDS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CustomerCreateForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices, initial=Customer.Kind.PERSON)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "placeholder": "138 1234 5678"}),
    )
    other_phone = forms.CharField(
        label=_("Other phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=Language.choices, initial=Language.CHINESE
    )
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), choices=Channel.choices, initial=Channel.PHONE
    )
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=DATE_WIDGET)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    dealer = forms.TypedChoiceField(label=_("Recorded for dealer"), coerce=int, required=False)

    def __init__(self, *args, dealers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.dealers = {dealer.id: dealer for dealer in dealers}
        if len(self.dealers) > 1:
            self.fields["dealer"].choices = [(d.id, str(d)) for d in dealers]
            self.fields["dealer"].required = True
        else:
            del self.fields["dealer"]

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("other_phone") and not data.get("email"):
            raise forms.ValidationError(_("Give at least one phone number or an email address."))
        return data

    def chosen_dealer(self):
        if "dealer" in self.fields:
            return self.dealers.get(self.cleaned_data["dealer"])
        return next(iter(self.dealers.values()), None)


class CustomerEditForm(BootstrapFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Customer
        fields = list(CUSTOMER_EDITABLE_FIELDS)
        widgets = {"birthday": DATE_WIDGET}

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ContactPointForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactPoint.Kind.choices)
    value = forms.CharField(label=_("Phone, email or WeChat ID"), max_length=254)
    label = forms.CharField(
        label=_("Label"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. work, spouse")}),
    )
    is_primary = forms.BooleanField(label=_("Make this the primary one of its kind"), required=False)


STAFF_CONSENT_SOURCES = [
    (value, label)
    for value, label in Consent.Source.choices
    if value not in {Consent.Source.IMPORT, Consent.Source.MERGE}
]


class ConsentForm(BootstrapFormMixin, forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Consent.Purpose.choices)
    status = forms.ChoiceField(
        label=_("Answer"),
        choices=Consent.Status.choices,
        widget=forms.RadioSelect,
        initial=Consent.Status.OPT_IN,
    )
    source = forms.ChoiceField(
        label=_("How the customer told us"), choices=STAFF_CONSENT_SOURCES, initial=Consent.Source.SHOWROOM
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.attrs["class"] = "form-check-input"


class VehicleForm(BootstrapFormMixin, forms.Form):
    vin = forms.CharField(
        label=_("VIN"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    make = forms.CharField(label=_("Make"), max_length=60)
    model = forms.CharField(label=_("Model"), max_length=60)
    trim = forms.CharField(label=_("Trim"), max_length=60, required=False)
    year = forms.IntegerField(label=_("Model year"), min_value=1950, max_value=2100, required=False)
    colour = forms.CharField(label=_("Colour"), max_length=40, required=False)
    plate = forms.CharField(label=_("Plate"), max_length=16, required=False)
    purchase_date = forms.DateField(label=_("Purchase date"), required=False, widget=DATE_WIDGET)
    sold_here = forms.BooleanField(label=_("Sold by our dealership"), required=False)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 2, "class": "form-control", "placeholder": _("What happened? Add a note…")}
        ),
    )
