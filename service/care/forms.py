"""Forms of the complaint and call-back pages. They only validate input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from crm.core.names import staff_name
from service.models import CallBack, Complaint


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return staff_name(obj)


class ComplaintForm(BootstrapFormMixin, forms.Form):
    dealer = forms.ModelChoiceField(label=_("Dealer concerned"), queryset=None)
    repair_order = forms.ModelChoiceField(label=_("Repair order concerned"), queryset=None, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=Complaint.Category.choices)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Complaint.Severity.choices, initial=Complaint.Severity.MEDIUM
    )
    summary = forms.CharField(label=_("What the customer says"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, dealers, repair_orders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = dealers
        self.fields["repair_order"].queryset = repair_orders
        self.fields["repair_order"].label_from_instance = lambda ro: f"{ro.number} · {ro.opened_at:%Y-%m-%d}"
        if dealers.count() == 1:
            self.fields["dealer"].initial = dealers.first()


class NoteForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    is_contact = forms.BooleanField(label=_("I reached the customer"), required=False)


class ResolveForm(BootstrapFormMixin, forms.Form):
    resolution = forms.CharField(
        label=_("Resolution offered"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class CloseForm(BootstrapFormMixin, forms.Form):
    customer_confirmed = forms.BooleanField(
        label=_("The customer confirmed they are satisfied"), required=False
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class ReopenForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("What the customer is still not satisfied with"), required=False)


class AssignForm(BootstrapFormMixin, forms.Form):
    owner = StaffChoiceField(label=_("Owner"), queryset=None)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners


class CallBackForm(BootstrapFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=CallBack.Outcome.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
