"""The dealers' pages' filters: the period (this month, last month, last 3 months, custom), the region and the
figure to rank on. An invalid query shows its error beside the field and the default period's figures.

Forms of the dealers app's pages. Each validates what a person types and shows every problem beside its
field; the services check the same rules again (the weights' sum, the figures' directions) and a typed error
they raise lands beside the field it names.
"""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from crm.core import key_figures
from crm.core.forms import BootstrapFormMixin
from crm.customers.exceptions import InvalidPhone
from crm.customers.normalize import phone_normalize
from crm.network.access import access_for, dealers_visible
from crm.network.models import DEALER_ROLES, Dealer
from dealers import permissions
from dealers.models import AuditResult, CollisionDecision, MysteryShop, Tier
from dealers.models.findings import Severity
from dealers.selectors.periods import (
    DEFAULT_PERIOD,
    MAX_PERIOD_DAYS,
    PERIOD_CHOICES,
    Compared,
    compared_period,
)
from dealers.selectors.scorecards import scorable_figures
from dealers.services.audits import ItemTerms
from dealers.services.scorecards import KpiTerms, TierTerms


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


KPI_ROWS = 8


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.webp"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def overseen_dealers(user):
    """The dealers `user` may audit, score and raise findings at."""
    access = access_for(user)
    return dealers_visible(user).filter(
        id__in=[d for d in dealers_visible(user).values_list("id", flat=True) if permissions.can_audit(access, d)]
    )


class TemplateForm(BootstrapFormMixin, forms.Form):
    """A scorecard template's terms and up to KPI_ROWS key figures (`kpi-<i>-figure|weight|target|floor`)."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    tier_a_min = forms.DecimalField(label=gettext_lazy("Tier A from (points)"), min_value=0, max_value=100, initial=90)
    tier_b_min = forms.DecimalField(label=gettext_lazy("Tier B from (points)"), min_value=0, max_value=100, initial=80)
    tier_c_min = forms.DecimalField(label=gettext_lazy("Tier C from (points)"), min_value=0, max_value=100, initial=70)
    veto_cap_tier = forms.ChoiceField(label=gettext_lazy("A veto caps the tier at"), choices=Tier.choices, initial="C")
    rebate_a = forms.DecimalField(label=gettext_lazy("Rebate in tier A (%)"), min_value=0, max_value=100, initial=Decimal("1.5"))
    rebate_b = forms.DecimalField(label=gettext_lazy("Rebate in tier B (%)"), min_value=0, max_value=100, initial=Decimal("1.0"))
    rebate_c = forms.DecimalField(label=gettext_lazy("Rebate in tier C (%)"), min_value=0, max_value=100, initial=Decimal("0.5"))
    rebate_d = forms.DecimalField(label=gettext_lazy("Rebate in tier D (%)"), min_value=0, max_value=100, initial=0)

    def __init__(self, *args, template=None, **kwargs):
        if template is not None and not kwargs.get("data") and not args:
            kwargs["initial"] = {
                "name": template.name,
                **{name: getattr(template, name) for name in vars(TierTerms())},
                **{
                    f"kpi-{index}-{part}": getattr(kpi, attribute)
                    for index, kpi in enumerate(template.kpis.all())
                    for part, attribute in (("figure", "figure_code"), ("weight", "weight"), ("target", "target"), ("floor", "floor"))
                },
            }
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(figure.code, f"{figure.label} ({figure.unit})") for figure in scorable_figures()]
        self.directions = {figure.code: figure.higher_is_better for figure in scorable_figures()}
        for index in range(KPI_ROWS):
            self.fields[f"kpi-{index}-figure"] = forms.ChoiceField(label=_("Key figure"), choices=choices, required=False)
            self.fields[f"kpi-{index}-weight"] = forms.IntegerField(label=_("Weight"), min_value=1, max_value=100, required=False)
            self.fields[f"kpi-{index}-target"] = forms.DecimalField(label=_("Target (100 points)"), max_digits=12, decimal_places=2, required=False)
            self.fields[f"kpi-{index}-floor"] = forms.DecimalField(label=_("Floor (0 points)"), max_digits=12, decimal_places=2, required=False)
        self.fields["kpis"] = forms.CharField(required=False, widget=forms.HiddenInput)
        for name, field in self.fields.items():
            if name.startswith("kpi-"):
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs["class"] = css

    def kpi_rows(self):
        return [
            [self[f"kpi-{index}-{part}"] for part in ("figure", "weight", "target", "floor")] for index in range(KPI_ROWS)
        ]

    def clean(self):
        cleaned = super().clean()
        kpis = []
        for index in range(KPI_ROWS):
            code = cleaned.get(f"kpi-{index}-figure")
            if not code:
                continue
            weight, target, floor = (cleaned.get(f"kpi-{index}-{part}") for part in ("weight", "target", "floor"))
            missing = [part for part, value in (("weight", weight), ("target", target), ("floor", floor)) if value is None]
            for part in missing:
                if f"kpi-{index}-{part}" not in self.errors:
                    self.add_error(f"kpi-{index}-{part}", _("Required for a chosen key figure."))
            if missing:
                continue
            higher = self.directions[code]
            if higher and not target > floor:
                self.add_error(f"kpi-{index}-target", _("Higher is better here: the target must be above the floor."))
            if not higher and not target < floor:
                self.add_error(f"kpi-{index}-target", _("Lower is better here: the target must be below the floor."))
            kpis.append(KpiTerms(code, weight, target, floor))
        codes = [kpi.figure_code for kpi in kpis]
        if len(set(codes)) != len(codes):
            self.add_error("kpis", _("Each key figure may appear once."))
        total = sum(kpi.weight for kpi in kpis)
        if total != 100:
            self.add_error("kpis", _("The weights add up to %(total)s; they must add up to 100.") % {"total": total})
        a, b, c = cleaned.get("tier_a_min"), cleaned.get("tier_b_min"), cleaned.get("tier_c_min")
        if None not in (a, b, c) and not a > b > c:
            self.add_error("tier_b_min", _("Tier thresholds must descend: A > B > C."))
        cleaned["kpi_terms"] = kpis
        return cleaned

    def tier_terms(self) -> TierTerms:
        return TierTerms(**{name: self.cleaned_data[name] for name in vars(TierTerms())})


class ChecklistForm(BootstrapFormMixin, forms.Form):
    """One item per line: `Category | What the auditor checks | weight | critical | evidence` (the last three
    optional: a number, and the words "critical" and "evidence" where they apply)."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    items = forms.CharField(
        label=gettext_lazy("Items"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy(
            "One item per line: Category | What the auditor checks | weight | critical | evidence "
            "(weight 1–100, default 1; write “critical” and “evidence” where they apply)."
        ),
    )

    def __init__(self, *args, checklist=None, **kwargs):
        if checklist is not None and not args and not kwargs.get("data"):
            kwargs["initial"] = {
                "title": checklist.title,
                "items": "\n".join(
                    " | ".join(
                        [item.category, item.text, str(item.weight)]
                        + (["critical"] if item.is_critical else [])
                        + (["evidence"] if item.is_evidence_required else [])
                    )
                    for item in checklist.items.all()
                ),
            }
        super().__init__(*args, **kwargs)

    def clean_items(self):
        terms, problems = [], []
        for number, line in enumerate(self.cleaned_data["items"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) < 2 or not parts[0] or not parts[1]:
                problems.append(_("Line %(number)s: give a category and a text, separated by |.") % {"number": number})
                continue
            flags = {part.lower() for part in parts[2:]}
            weights = [part for part in parts[2:] if part.isdigit()]
            weight = int(weights[0]) if weights else 1
            if not 1 <= weight <= 100 or flags - {"critical", "evidence", *weights}:
                problems.append(_("Line %(number)s: a weight from 1 to 100, “critical”, “evidence”.") % {"number": number})
                continue
            terms.append(
                ItemTerms(
                    category=parts[0][:100],
                    text=parts[1][:300],
                    weight=weight,
                    is_critical="critical" in flags,
                    is_evidence_required="evidence" in flags,
                )
            )
        if problems:
            raise forms.ValidationError(problems)
        if not terms:
            raise forms.ValidationError(_("A checklist needs at least one item."))
        return terms


class DealerChoiceMixin:
    def _dealers(self, user):
        self.fields["dealer"].queryset = overseen_dealers(user)


class AuditStartForm(BootstrapFormMixin, DealerChoiceMixin, forms.Form):
    dealer = forms.ModelChoiceField(label=gettext_lazy("Dealer"), queryset=Dealer.objects.none())
    visited_on = forms.DateField(label=gettext_lazy("Date of the visit"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._dealers(user)


class AuditRecordForm(BootstrapFormMixin, forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(
        label=gettext_lazy("Result"), choices=[("", "—"), *AuditResult.Result.choices], required=False
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000)
    files = MultipleFileField(label=gettext_lazy("Evidence files"))


class FindingRaiseForm(BootstrapFormMixin, DealerChoiceMixin, forms.Form):
    dealer = forms.ModelChoiceField(label=gettext_lazy("Dealer"), queryset=Dealer.objects.none())
    figure_code = forms.ChoiceField(label=gettext_lazy("Key figure it comes from"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(label=gettext_lazy("What was found"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), choices=Severity.choices, initial=Severity.MAJOR)
    due_on = forms.DateField(label=gettext_lazy("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    owner = forms.ModelChoiceField(label=gettext_lazy("Owner at the dealer"), queryset=get_user_model().objects.none(), required=False)
    is_data_falsification = forms.BooleanField(label=gettext_lazy("Data falsification"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._dealers(user)
        self.fields["figure_code"].choices = [(f.code, str(f.label)) for f in key_figures.figures()]
        # Only the chosen dealer's staff: the page reloads this field when the dealer changes (never the
        # whole network's staff in one list).
        chosen = (self.data.get(self.add_prefix("dealer")) if self.is_bound else None) or self.initial.get("dealer")
        dealer_ids = [int(chosen)] if str(chosen or "").isdigit() else []
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(
                role_assignments__dealer__in=self.fields["dealer"].queryset.filter(id__in=dealer_ids),
                role_assignments__role__in=sorted(DEALER_ROLES),
                role_assignments__is_active=True,
                is_active=True,
            )
            .distinct()
            .order_by("username")
        )


class FindingAnswerForm(BootstrapFormMixin, forms.Form):
    corrective_action = forms.CharField(
        label=gettext_lazy("Corrective action"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    files = MultipleFileField(label=gettext_lazy("Evidence files (PDF, JPEG, PNG, WebP)"))


class FindingVerifyForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("close", "close"), ("reopen", "reopen")], widget=forms.HiddenInput)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000)
    due_on = forms.DateField(label=gettext_lazy("New due date (when reopening)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class MysteryShopForm(BootstrapFormMixin, DealerChoiceMixin, forms.Form):
    dealer = forms.ModelChoiceField(label=gettext_lazy("Dealer"), queryset=Dealer.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=MysteryShop.Kind.choices)
    occurred_at = forms.DateTimeField(label=gettext_lazy("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    shopper_phone = forms.CharField(label=gettext_lazy("Shopper's phone"), max_length=32)
    shopper_name = forms.CharField(label=gettext_lazy("Shopper's name"), max_length=100, required=False)
    scenario = forms.CharField(label=gettext_lazy("Scenario"), widget=forms.Textarea(attrs={"rows": 3}))
    observed = forms.CharField(
        label=gettext_lazy("Behaviours observed"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text=gettext_lazy("One per line."),
    )
    missed = forms.CharField(
        label=gettext_lazy("Behaviours missed"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text=gettext_lazy("One per line."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._dealers(user)

    def clean_shopper_phone(self):
        try:
            return phone_normalize(self.cleaned_data["shopper_phone"])
        except InvalidPhone as error:
            raise forms.ValidationError(str(error.message)) from error

    def behaviours(self) -> list[dict]:
        lines = lambda text: [line.strip() for line in text.splitlines() if line.strip()]  # noqa: E731
        return [{"label": label, "observed": True} for label in lines(self.cleaned_data["observed"])] + [
            {"label": label, "observed": False} for label in lines(self.cleaned_data["missed"])
        ]


class MysteryFindingForm(BootstrapFormMixin, forms.Form):
    due_on = forms.DateField(label=gettext_lazy("Due"), widget=forms.DateInput(attrs={"type": "date"}))


class CollisionDecideForm(BootstrapFormMixin, forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    leads = forms.CharField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=CollisionDecision.Decision.choices)
    kept_dealer = forms.TypedChoiceField(
        label=gettext_lazy("Dealer that keeps the customer"), coerce=int, required=False, empty_value=None
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000)

    def __init__(self, *args, dealers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kept_dealer"].choices = [("", "—"), *[(dealer.id, dealer.name) for dealer in dealers]]

    def clean_leads(self):
        try:
            return sorted(int(part) for part in self.cleaned_data["leads"].split(",") if part)
        except ValueError as error:
            raise forms.ValidationError(_("The collision's leads are not valid.")) from error
