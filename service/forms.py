"""Forms of the workshop's pages. They only validate input; the services decide."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from service.models import ChargeLine, PayType, RepairOrder

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
MONEY_FIELD = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0")}


class CheckInForm(forms.Form):
    q = forms.CharField(
        label=_("Plate or VIN"),
        max_length=60,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": _("沪A12345, a VIN, or its last 6 characters"),
                "class": "form-control form-control-lg",
            }
        ),
    )


class RepairOrderOpenForm(BootstrapFormMixin, forms.Form):
    customer = forms.TypedChoiceField(label=_("Customer at this visit"), coerce=int)
    mileage_in = forms.IntegerField(label=_("Mileage in (km)"), min_value=0, max_value=3_000_000)
    promised_at = forms.DateTimeField(
        label=_("Promised for"), required=False, widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )
    pay_type = forms.ChoiceField(label=_("Pay type"), choices=PayType.choices, initial=PayType.CUSTOMER)
    concern = forms.CharField(
        label=_("Customer's concern"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("In the customer's words")}),
    )

    def __init__(self, *args, customers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [(c.id, c.name) for c in customers]
        if customers:
            self.fields["customer"].initial = customers[0].id


class JobForm(BootstrapFormMixin, forms.Form):
    concern = forms.CharField(label=_("Customer's concern"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    cause = forms.CharField(label=_("Cause"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    correction = forms.CharField(
        label=_("Correction"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    pay_type = forms.ChoiceField(label=_("Pay type"), choices=PayType.choices, initial=PayType.CUSTOMER)


class JobUpdateForm(JobForm):
    job = forms.IntegerField(widget=forms.HiddenInput)


class LabourLineForm(BootstrapFormMixin, forms.Form):
    job = forms.IntegerField(widget=forms.HiddenInput)
    operation_code = forms.CharField(label=_("Operation code"), max_length=40, required=False)
    description = forms.CharField(label=_("Description"), max_length=300)
    hours = forms.DecimalField(label=_("Hours"), max_digits=7, decimal_places=2, min_value=Decimal("0.01"))
    rate = forms.DecimalField(label=_("Rate per hour"), **MONEY_FIELD)
    technician_name = forms.CharField(label=_("Technician"), max_length=100, required=False)


class PartLineForm(BootstrapFormMixin, forms.Form):
    job = forms.IntegerField(widget=forms.HiddenInput)
    part_number = forms.CharField(label=_("Part number"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=9, decimal_places=2, min_value=Decimal("0.01"))
    unit_price = forms.DecimalField(label=_("Unit price"), **MONEY_FIELD)


class ChargeLineForm(BootstrapFormMixin, forms.Form):
    job = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=ChargeLine.Kind.choices, initial=ChargeLine.Kind.CHARGE)
    description = forms.CharField(label=_("Description"), max_length=300)
    amount = forms.DecimalField(label=_("Amount"), **{**MONEY_FIELD, "min_value": Decimal("0.01")})


class LineRemoveForm(forms.Form):
    kind = forms.ChoiceField(choices=[("labour", "labour"), ("part", "part"), ("charge", "charge")])
    line = forms.IntegerField()


class MoveForm(forms.Form):
    to_status = forms.ChoiceField(
        choices=[
            (RepairOrder.Status.OPEN, RepairOrder.Status.OPEN.label),
            (RepairOrder.Status.IN_PROGRESS, RepairOrder.Status.IN_PROGRESS.label),
            (RepairOrder.Status.READY, RepairOrder.Status.READY.label),
        ]
    )


class VoidForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why is it voided?"), max_length=300)
