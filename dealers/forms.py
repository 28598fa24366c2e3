"""The dealers' pages' filters: the period (this month, last month, last 3 months, custom), the region and the
figure to rank on. An invalid query shows its error beside the field and the default period's figures."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core import key_figures
from dealers.selectors.periods import (
    DEFAULT_PERIOD,
    MAX_PERIOD_DAYS,
    PERIOD_CHOICES,
    Compared,
    compared_period,
)


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    first_day = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data=None, **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)
        for name in ("first_day", "last_day"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["period"].widget.attrs["class"] = "form-select form-select-sm"

    def clean(self):
        data = super().clean()
        period = data.get("period") or ""
        first_day, last_day = data.get("first_day"), data.get("last_day")
        if not period:
            period = "custom" if (first_day or last_day) else DEFAULT_PERIOD
        today = timezone.localdate()
        if period == "custom":
            last_day = last_day or today
            first_day = first_day or last_day - timedelta(days=29)
            if first_day > last_day:
                self.add_error("last_day", _("The period ends before it starts."))
                return data
            if (last_day - first_day).days > MAX_PERIOD_DAYS:
                self.add_error("first_day", _("Choose a period of at most two years."))
                return data
        data.update(period=period, first_day=first_day, last_day=last_day)
        return data

    def compared(self) -> Compared:
        data = self.cleaned_data
        return compared_period(
            data["period"], today=timezone.localdate(), first_day=data.get("first_day"), last_day=data.get("last_day")
        )

    def query(self) -> dict[str, str]:
        """The period as query parameters, for links that keep it (a dealer's page, an export)."""
        compared = self.compared()
        query = {"period": compared.key}
        if compared.key == "custom":
            query.update(first_day=compared.current.first_day.isoformat(), last_day=compared.current.last_day.isoformat())
        return query


class RankingForm(PeriodForm):
    region = forms.TypedChoiceField(label=_("Region"), coerce=int, required=False, empty_value=None)
    figure = forms.ChoiceField(label=_("Rank on"), required=False)

    def __init__(self, data=None, *, regions, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["region"].choices = [("", _("Every region")), *[(r.id, r.name) for r in regions]]
        self.fields["figure"].choices = [("", "")] + [(f.code, f.label) for f in key_figures.figures()]
        for name in ("region", "figure"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def query(self) -> dict[str, str]:
        query = super().query()
        if self.cleaned_data.get("region"):
            query["region"] = str(self.cleaned_data["region"])
        if self.cleaned_data.get("figure"):
            query["figure"] = self.cleaned_data["figure"]
        return query


def bound(form_class, request, **kwargs):
    """The form for the request's query, or, when the query is invalid, (the refused form, a default form)."""
    form = form_class(request.GET, **kwargs)
    if form.is_valid():
        return form, None
    default = form_class({}, **kwargs)
    default.is_valid()
    return default, form
