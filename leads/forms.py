"""Forms of the salesperson's and manager's pages. They only validate input; the services decide."""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from crm.core.names import staff_name
from leads.exceptions import VisitTimeImplausible
from leads.models import OPEN_GRADES, ContactAttempt, Grade, Lead, LeadType, LostVerdict, Stage
from leads.services.common import visit_times_check

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

GRADE_MEANINGS = [
    (Grade.H, _("buys within 7 days")),
    (Grade.A, _("within a month")),
    (Grade.B, _("in 1–3 months")),
    (Grade.C, _("later")),
    (Grade.O, _("ordered")),
]
NEXT_STEPS = [
    ("test_drive", _("Test drive")),
    ("quote", _("Quote")),
    ("call_back", _("Call back")),
    ("send_info", _("Send info")),
]


class ListField(forms.Field):
    """Several values posted under one name (tapped chips plus a typed one), cleaned and de-duplicated."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value] if value else []
        cleaned: list[str] = []
        for item in values:
            for part in str(item).split(","):
                part = part.strip()[:60]
                if part and part not in cleaned:
                    cleaned.append(part)
        return cleaned[:10]


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return staff_name(obj)


class ContactLogForm(BootstrapFormMixin, forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            (v, label) for v, label in ContactAttempt.Channel.choices if v != ContactAttempt.Channel.VISIT
        ],
        initial=ContactAttempt.Channel.CALL,
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ContactAttempt.Outcome.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": _("What was said (optional)")}),
    )


class SmsForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Text message"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Your text to the customer")}),
    )


class VisitForm(BootstrapFormMixin, forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off", "autofocus": True}
        ),
        help_text=_("Leave empty for an anonymous walk-in: it still counts in traffic."),
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=50, initial=1)
    arrived_at = forms.DateTimeField(
        label=_("Arrived"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS, required=False
    )
    left_at = forms.DateTimeField(
        label=_("Left"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS, required=False
    )
    models = ListField(label=_("Models of interest"), required=False)
    other_model = forms.CharField(label=_("Another model"), max_length=60, required=False)
    grade = forms.ChoiceField(
        label=_("Grade"), choices=[("", "—"), *[(g, g) for g in OPEN_GRADES]], required=False
    )
    next_step = forms.ChoiceField(label=_("Next step"), choices=[("", "—"), *NEXT_STEPS], required=False)
    next_step_text = forms.CharField(label=_("Next step, in words"), max_length=150, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        data["arrived_at"] = data.get("arrived_at") or timezone.now()
        if "arrived_at" not in self.errors and "left_at" not in self.errors:
            # The visit service's own rule, asked here too so every mistake shows at once.
            try:
                visit_times_check(arrived_at=data["arrived_at"], left_at=data.get("left_at"), now=timezone.now())
            except VisitTimeImplausible as error:
                self.add_error(error.field, str(error.message))
        if data.get("other_model"):
            data["models"] = [*data.get("models", []), data["other_model"].strip()]
        return data

    def next_step_words(self) -> str:
        data = self.cleaned_data
        chosen = dict(NEXT_STEPS).get(data.get("next_step") or "", "")
        return " · ".join(str(part) for part in (chosen, data.get("next_step_text", "").strip()) if part)[
            :200
        ]


class LeadFilterForm(forms.Form):
    OWNER_CHOICES = [("", _("Everyone's")), ("mine", _("Mine")), ("unassigned", _("Unassigned"))]

    stage = forms.ChoiceField(
        label=_("Stage"), choices=[("", _("Open stages")), *Stage.choices], required=False
    )
    grade = forms.ChoiceField(
        label=_("Grade"), choices=[("", _("Any grade")), *Grade.choices], required=False
    )
    owner = forms.ChoiceField(label=_("Owner"), choices=OWNER_CHOICES, required=False)
    source = forms.TypedChoiceField(label=_("Source"), coerce=int, required=False, empty_value=None)
    type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("Any type")), *LeadType.choices], required=False
    )
    acceptance = forms.ChoiceField(
        label=_("OEM leads"),
        choices=[("", _("Any")), *[(a.value, a.label) for a in Lead.Acceptance if a != Lead.Acceptance.NOT_ISSUED]],
        required=False,
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    page = forms.IntegerField(min_value=1, max_value=400, required=False)

    def __init__(self, *args, sources=(), people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("Any source")), *[(s.id, s.name) for s in sources]]
        # A manager filters by salesperson (the team view's numbers link here with ?owner=<id>).
        self.fields["owner"].choices = [
            *self.OWNER_CHOICES,
            *[(str(person.id), staff_name(person)) for person in people],
        ]
        for name, field in self.fields.items():
            css = "form-check-input" if name == "overdue" else "form-select form-select-sm"
            field.widget.attrs["class"] = css


def _label(value, fallback: str = "") -> str:
    if isinstance(value, dict):
        language = (get_language() or "en").lower()
        return value.get(language) or value.get(language.split("-")[0]) or value.get("en") or fallback
    return str(value or fallback)


class QuestionnaireForm(BootstrapFormMixin, forms.Form):
    """The screening questions of the questionnaire in use, as a form (labels in the user's language)."""

    def __init__(self, *args, questionnaire, models=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        for question in questionnaire.questions:
            key, kind = question["key"], question.get("kind", "text")
            label = _label(question.get("label"), key)
            options = [(o["value"], _label(o.get("label"), o["value"])) for o in question.get("options", [])]
            if kind == "choice":
                field = forms.ChoiceField(label=label, choices=[("", "—"), *options], required=False)
            elif kind == "multi":
                choices = options or [(m, m) for m in models]
                field = forms.MultipleChoiceField(
                    label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
                )
            else:
                field = forms.CharField(label=label, required=False, max_length=300)
            self.fields[key] = field
        # The mixin styled the fields that existed before these were added.
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs["class"] = "btn-check"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select"
            else:
                field.widget.attrs["class"] = "form-control"

    def answers(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if value not in ("", [], None)}


class GradeForm(BootstrapFormMixin, forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=[(g, Grade(g).label) for g in OPEN_GRADES])
    reason = forms.CharField(label=_("Why"), max_length=300, required=False)


class MoveForm(forms.Form):
    to_stage = forms.ChoiceField(choices=Stage.choices)


class TestDriveForm(BootstrapFormMixin, forms.Form):
    demo_car = forms.ModelChoiceField(label=_("Demo car"), queryset=None)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS)
    minutes = forms.TypedChoiceField(
        label=_("Length"),
        coerce=int,
        choices=[(30, _("30 min")), (45, _("45 min")), (60, _("1 hour"))],
        initial=30,
    )

    def __init__(self, *args, cars, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["demo_car"].queryset = cars


class QuoteForm(BootstrapFormMixin, forms.Form):
    model = forms.CharField(label=_("Model"), max_length=60)
    trim = forms.CharField(label=_("Trim"), max_length=60, required=False)
    colour = forms.CharField(label=_("Colour"), max_length=40, required=False)
    list_price = forms.DecimalField(label=_("List price"), min_value=0, max_digits=12, decimal_places=2)
    discount = forms.DecimalField(
        label=_("Discount"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )
    deposit = forms.DecimalField(label=_("Deposit"), min_value=0, max_digits=12, decimal_places=2, initial=0)
    promised_delivery_on = forms.DateField(label=_("Promised delivery"), required=False, widget=DATE_WIDGET)


class OrderPlaceForm(BootstrapFormMixin, forms.Form):
    deposit = forms.DecimalField(
        label=_("Deposit"), min_value=0, max_digits=12, decimal_places=2, required=False
    )
    promised_delivery_on = forms.DateField(label=_("Promised delivery"), required=False, widget=DATE_WIDGET)


class DeliverForm(BootstrapFormMixin, forms.Form):
    vin = forms.CharField(label=_("VIN"), max_length=17, min_length=17)
    plate = forms.CharField(label=_("Plate"), max_length=16, required=False)


class LostProposeForm(BootstrapFormMixin, forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=LostVerdict.Reason.choices)
    competitor_brand = forms.CharField(
        label=_("Which brand"), max_length=100, required=False, help_text=_("When they bought another brand.")
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)
    freeze_only = forms.BooleanField(label=_("Frozen, not lost (not in the market for now)"), required=False)


class AssignForm(forms.Form):
    to = PersonChoiceField(queryset=None, required=False)
    round_robin = forms.BooleanField(required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = people

    def clean(self):
        data = super().clean()
        if not data.get("to") and not data.get("round_robin"):
            raise forms.ValidationError(_("Choose a salesperson or round-robin."))
        return data


class RejectForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why the dealer rejects it"), max_length=300)


class LostDecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Send back"))])
    note = forms.CharField(required=False, max_length=300)


class ReassignAllForm(BootstrapFormMixin, forms.Form):
    from_user = PersonChoiceField(label=_("Leads of"), queryset=None)
    to = PersonChoiceField(
        label=_("Give them to"), queryset=None, required=False, empty_label=_("Spread by round-robin")
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, people, active_people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = people
        self.fields["to"].queryset = active_people

    def clean(self):
        data = super().clean()
        if data.get("to") and data.get("from_user") and data["to"] == data["from_user"]:
            raise forms.ValidationError(_("Choose someone else to take the leads."))
        return data


def drive_slot_default() -> datetime:
    """The next half hour, the usual start of a test drive booked on the spot."""
    now = timezone.localtime()
    return (now + timedelta(minutes=30 - now.minute % 30)).replace(second=0, microsecond=0)
