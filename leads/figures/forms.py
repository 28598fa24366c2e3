"""The lead list's key-figure drill-down: `?rows=<selection>&day_from=…&day_to=…[&dealer=<id>]` lists exactly the
leads a figure's measure counts for that dealer (or every dealer the reader sees) over those local days."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.network.access import dealers_visible
from leads.figures.selectors import selection_codes

MAX_DAYS = 731


class FigureRowsForm(forms.Form):
    rows = forms.ChoiceField(choices=())
    day_from = forms.DateField()
    day_to = forms.DateField()
    dealer = forms.ModelChoiceField(queryset=None, required=False)
    # One salesperson's share (the dealer page's per-salesperson breakdown); an id the reader cannot see
    # selects no rows, as a foreign dealer does.
    owner = forms.IntegerField(required=False, min_value=1)

    def __init__(self, data, *, user):
        super().__init__(data)
        self.fields["rows"].choices = [(code, code) for code in selection_codes()]
        self.fields["dealer"].queryset = dealers_visible(user)

    def clean(self):
        data = super().clean()
        first, last = data.get("day_from"), data.get("day_to")
        if first and last:
            if first > last:
                raise ValidationError(_("The period ends before it starts."))
            if (last - first).days > MAX_DAYS:
                raise ValidationError(_("Choose a period of at most two years."))
        return data
