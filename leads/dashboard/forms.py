"""The dashboard's filters, which are also the lead list's query-parameter contract (see FunnelFilters)."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.dashboard.selectors import (
    FIRST_RESPONSE_KEYS,
    FUNNEL,
    UNASSIGNED,
    FunnelFilters,
    funnel_dealer_choices,
    funnel_owner_choices,
    funnel_source_choices,
)
from leads.models import Grade, LeadType, LostVerdict, Stage

PERIODS = [
    ("today", _("Today")),
    ("week", _("This week")),
    ("month", _("This month")),
    ("last_30_days", _("Last 30 days")),
    ("custom", _("Custom")),
]
DEFAULT_PERIOD = "last_30_days"
MAX_PERIOD_DAYS = 731
FLAG_CHOICES = [("", "—"), ("1", _("Yes")), ("0", _("No"))]


def period_dates(period: str, today=None):
    today = today or timezone.localdate()
    if period == "today":
        return today, today
    if period == "week":
        return today - timedelta(days=today.weekday()), today
    if period == "month":
        return today.replace(day=1), today
    return today - timedelta(days=29), today


class FunnelFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    arrived_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    arrived_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    dealer = forms.ModelChoiceField(
        label=_("Dealer"), queryset=None, required=False, empty_label=_("All dealers")
    )
    owner = forms.CharField(label=_("Salesperson"), required=False, max_length=20)
    source = forms.CharField(label=_("Source"), required=False, max_length=20)
    model = forms.CharField(label=_("Model"), required=False, max_length=60)
    type = forms.ChoiceField(
        label=_("Lead type"), choices=[("", _("All types")), *LeadType.choices], required=False
    )
    # The lead list's drill-down filters (accepted by the lead rows export; not shown on the dashboard).
    stage = forms.ChoiceField(choices=[("", ""), *Stage.choices], required=False)
    grade = forms.ChoiceField(choices=[("", ""), *Grade.choices], required=False)
    sla_breached = forms.ChoiceField(choices=FLAG_CHOICES, required=False)
    reached = forms.ChoiceField(choices=[("", ""), *[(s, s) for s in FUNNEL]], required=False)
    first_response = forms.ChoiceField(
        choices=[("", ""), *[(k, k) for k in FIRST_RESPONSE_KEYS]], required=False
    )
    verified = forms.ChoiceField(choices=FLAG_CHOICES, required=False)
    lost_reason = forms.ChoiceField(choices=[("", ""), *LostVerdict.Reason.choices], required=False)

    def __init__(self, data, *, user):
        super().__init__(data)
        self.user = user
        self.fields["dealer"].queryset = funnel_dealer_choices(user=user)
        for name in ("model", "arrived_from", "arrived_to"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"
        for name in ("period", "dealer", "type"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def clean_owner(self):
        owner = self.cleaned_data["owner"].strip()
        if not owner or owner == UNASSIGNED:
            return owner or None
        if not owner.isdigit():
            raise ValidationError(_("Select a valid salesperson."))
        dealer_ids = [d.id for d in self.fields["dealer"].queryset]
        if not funnel_owner_choices(user=self.user, dealer_ids=dealer_ids).filter(id=int(owner)).exists():
            raise ValidationError(_("Select a valid salesperson."))
        return int(owner)

    def clean_source(self):
        source = self.cleaned_data["source"].strip()
        if not source or source == UNASSIGNED:
            return source or None
        if not source.isdigit() or not funnel_source_choices(user=self.user).filter(id=int(source)).exists():
            raise ValidationError(_("Select a valid source."))
        return int(source)

    def clean(self):
        data = super().clean()
        period = data.get("period") or ""
        date_from, date_to = data.get("arrived_from"), data.get("arrived_to")
        if not period:
            period = "custom" if (date_from or date_to) else DEFAULT_PERIOD
        if period == "custom":
            today = timezone.localdate()
            date_to = date_to or today
            date_from = date_from or date_to - timedelta(days=29)
        else:
            date_from, date_to = period_dates(period)
        if date_from > date_to:
            raise ValidationError(_("The period ends before it starts."))
        if (date_to - date_from).days > MAX_PERIOD_DAYS:
            raise ValidationError(_("Choose a period of at most two years."))
        data.update(period=period, arrived_from=date_from, arrived_to=date_to)
        return data

    def filters(self) -> FunnelFilters:
        data = self.cleaned_data

        def flag(name):
            return None if data.get(name) in (None, "") else data[name] == "1"

        return FunnelFilters(
            date_from=data["arrived_from"],
            date_to=data["arrived_to"],
            dealer_id=data["dealer"].id if data.get("dealer") else None,
            owner=data.get("owner"),
            source=data.get("source"),
            model=(data.get("model") or "").strip(),
            type=data.get("type") or "",
            stage=data.get("stage") or "",
            grade=data.get("grade") or "",
            sla_breached=flag("sla_breached"),
            reached=data.get("reached") or "",
            first_response=data.get("first_response") or "",
            verified=flag("verified"),
            lost_reason=data.get("lost_reason") or "",
        )
