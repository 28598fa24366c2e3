"""Forms of the message library pages. They check what a person can fix in the page; the services check
the rest again (permissions, templates in use) and their typed errors land on the same fields."""

from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from crm.messaging.exceptions import FieldInvalid, PlaceholderUnknown
from crm.messaging.models import Channel, MessageTemplate, Purpose
from crm.messaging.registry import care_triggers, segment_filters
from crm.messaging.selectors.segments import to_json
from crm.messaging.services.library import TEMPLATE_PURPOSES
from crm.messaging.services.rendering import placeholders_refuse
from crm.network.forms import BootstrapFormMixin

FILTER_PREFIX = "f_"
FILTER_GROUPS = {
    "customer": _("Customer"),
    "vehicle": _("Vehicles"),
    "lead": _("Leads"),
    "service": _("Service"),
    "loyalty": _("Loyalty"),
}
TEXT_FIELDS = ("subject_en", "body_en", "subject_zh", "body_zh")


def owner_field(*, dealers, allow_network: bool, network_label) -> forms.TypedChoiceField:
    """Whose row it is: one of `dealers`, or (OEM admins) nobody's, which means the OEM / the network."""
    choices = [(dealer.id, dealer.name) for dealer in dealers]
    if allow_network:
        choices.insert(0, ("", network_label))
    return forms.TypedChoiceField(
        label=_("Dealer"),
        choices=choices,
        coerce=int,
        empty_value=None,
        required=not allow_network,
    )


class LibraryForm(BootstrapFormMixin, forms.Form):
    """The common part: an owner picker shown only when there is a choice, and typed service errors shown
    on their field."""

    network_label = _("OEM (all dealers)")
    loaded_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, dealers=(), allow_network: bool = False, choose_owner: bool = True, **kwargs):
        self.dealers = list(dealers)
        super().__init__(*args, **kwargs)
        if choose_owner and (allow_network or len(self.dealers) > 1):
            self.fields["dealer"] = owner_field(
                dealers=self.dealers, allow_network=allow_network, network_label=self.network_label
            )
            self.fields["dealer"].widget.attrs["class"] = "form-select"
            self.order_fields(["dealer"])

    @property
    def chooses_owner(self) -> bool:
        return "dealer" in self.fields

    def owner_id(self, default: int | None) -> int | None:
        """The dealer picked in the form, or `default` when the form offers no choice."""
        if self.chooses_owner:
            return self.cleaned_data.get("dealer")
        return default

    def expected_updated_at(self):
        value = self.cleaned_data.get("loaded_at") or ""
        return parse_datetime(value) if value else None

    def add_application_error(self, error) -> None:
        field = getattr(error, "field", "")
        if isinstance(error, FieldInvalid) and field in self.fields:
            self.add_error(field, str(error.message))
        else:
            self.add_error(None, str(error.message))


# Templates --------------------------------------------------------------------------------------------


class TemplateForm(LibraryForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Channel.choices, widget=forms.RadioSelect, initial=Channel.SMS
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=[(p.value, p.label) for p in TEMPLATE_PURPOSES],
        widget=forms.RadioSelect,
        initial=Purpose.MARKETING,
        help_text=_("Marketing goes only to customers who opted in to marketing, never at night."),
    )
    subject_en = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 7, "data-placeholder-target": ""}),
    )
    subject_zh = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body_zh = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 7, "data-placeholder-target": ""}),
    )
    is_active = forms.BooleanField(label=_("Active (can be used in campaigns)"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("subject_en", "subject_zh"):
            self.fields[name].widget.attrs["data-placeholder-target"] = ""
        self.fields["subject_zh"].widget.attrs["lang"] = "zh-Hans"
        self.fields["body_zh"].widget.attrs["lang"] = "zh-Hans"

    def clean(self):
        data = super().clean()
        channel = data.get("channel")
        if channel == Channel.SMS:
            data["subject_en"] = data["subject_zh"] = ""
        for name in TEXT_FIELDS:
            try:
                placeholders_refuse(data.get(name) or "", field=name)
            except PlaceholderUnknown as error:
                self.add_error(name, str(error.message))
        if not (data.get("body_en") or "").strip() and not (data.get("body_zh") or "").strip():
            self.add_error(None, _("Write the message in English, Chinese or both."))
        if channel == Channel.EMAIL:
            for language in ("en", "zh"):
                if (data.get(f"body_{language}") or "").strip() and not (
                    data.get(f"subject_{language}") or ""
                ).strip():
                    self.add_error(f"subject_{language}", _("An email needs a subject."))
        return data

    def template_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "channel": data["channel"],
            "purpose": data["purpose"],
            "subject_en": data.get("subject_en") or "",
            "body_en": data.get("body_en") or "",
            "subject_zh": data.get("subject_zh") or "",
            "body_zh": data.get("body_zh") or "",
            "is_active": data.get("is_active", False),
        }

    @staticmethod
    def initial_from(template: MessageTemplate, *, copy: bool = False) -> dict:
        initial = {
            key: getattr(template, key)
            for key in ("name", "channel", "purpose", *TEXT_FIELDS, "is_active", "dealer_id")
        }
        initial["dealer"] = initial.pop("dealer_id")
        if copy:
            initial["name"] = _("Copy of %(name)s") % {"name": template.name}
            initial["is_active"] = True
        else:
            initial["loaded_at"] = template.updated_at.isoformat()
        return initial


class PreviewForm(forms.Form):
    """The editor's current text, previewed for one customer (nothing is saved)."""

    channel = forms.ChoiceField(choices=Channel.choices, required=False)
    purpose = forms.ChoiceField(choices=[(p.value, p.label) for p in TEMPLATE_PURPOSES], required=False)
    subject_en = forms.CharField(max_length=200, required=False)
    body_en = forms.CharField(required=False)
    subject_zh = forms.CharField(max_length=200, required=False)
    body_zh = forms.CharField(required=False)
    customer = forms.IntegerField(min_value=1)
    dealer = forms.IntegerField(min_value=1, required=False)
    template = forms.IntegerField(min_value=1, required=False)

    def unsaved_template(self, *, dealer_id: int | None) -> MessageTemplate:
        data = self.cleaned_data
        return MessageTemplate(
            dealer_id=dealer_id,
            name="preview",
            channel=data.get("channel") or Channel.SMS,
            purpose=data.get("purpose") or Purpose.MARKETING,
            **{key: data.get(key) or "" for key in TEXT_FIELDS},
        )


# Segments ---------------------------------------------------------------------------------------------


class SegmentForm(LibraryForm):
    """A segment's name and owner, and one field per registered filter (named f_<filter key>)."""

    network_label = _("Whole network")
    name = forms.CharField(label=_("Name"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filter_groups: dict[str, list[str]] = {}
        for segment_filter in segment_filters():
            name = FILTER_PREFIX + segment_filter.key
            field = segment_filter.field()
            field.required = False
            if type(field.widget) is forms.SelectMultiple:  # a few options read better as tap chips
                field.widget = forms.CheckboxSelectMultiple()
                field.widget.choices = field.choices
            if not isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs["class"] = (
                    "form-select"
                    if isinstance(field.widget, forms.Select | forms.SelectMultiple)
                    else "form-control"
                )
            self.fields[name] = field
            self.filter_groups.setdefault(segment_filter.group, []).append(name)

    @staticmethod
    def initial_from(segment) -> dict:
        initial = {FILTER_PREFIX + key: value for key, value in (segment.filters or {}).items()}
        initial.update(name=segment.name, dealer=segment.dealer_id, loaded_at=segment.updated_at.isoformat())
        return initial

    def groups(self) -> list[dict]:
        """The filter fields grouped for the page: [{"key", "label", "fields": [bound field, …]}]."""
        return [
            {
                "key": group,
                "label": FILTER_GROUPS.get(group, group.replace("_", " ").capitalize()),
                "fields": [self[name] for name in names],
                "active": sum(1 for name in names if _has_value(self, name)),
            }
            for group, names in self.filter_groups.items()
        ]

    def filters(self) -> dict:
        """The cleaned filter values as stored in the segment (JSON), empty ones left out."""
        values = {}
        for names in self.filter_groups.values():
            for name in names:
                value = self.cleaned_data.get(name)
                if value in (None, "", [], (), {}):
                    continue
                values[name.removeprefix(FILTER_PREFIX)] = to_json(value)
        return values


def _has_value(form, name: str) -> bool:
    value = form[name].value()
    return value not in (None, "", [], ())


# Care messages ----------------------------------------------------------------------------------------


class CareProgramForm(LibraryForm):
    network_label = _("Whole network")
    trigger = forms.ChoiceField(label=_("Occasion"))
    template = forms.ModelChoiceField(label=_("Template"), queryset=MessageTemplate.objects.none())
    send_hour = forms.TypedChoiceField(
        label=_("Send at"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        initial=10,
        help_text=_("In the dealer's time zone. Marketing is never sent at night."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trigger"].choices = [("", "—")] + [(t.key, t.label) for t in care_triggers()]
        if templates is not None:
            self.fields["template"].queryset = templates
        self.fields["template"].label_from_instance = _template_label

    @staticmethod
    def initial_from(program) -> dict:
        return {
            "dealer": program.dealer_id,
            "trigger": program.trigger,
            "template": program.template_id,
            "send_hour": program.send_hour,
            "is_active": program.is_active,
        }


def _template_label(template: MessageTemplate) -> str:
    owner = template.dealer.name if template.dealer_id else _("OEM")
    return f"{template.name} · {template.get_channel_display()} · {owner}"


def filter_descriptions(segments) -> dict[int, list[str]]:
    """Each segment's filters in words ("Region: East, North"), reading each filter's choices once per call
    (a field's choices may come from a query)."""
    registered = {f.key: f for f in segment_filters()}
    labels: dict[str, dict[str, str] | None] = {}
    described: dict[int, list[str]] = {}
    for segment in segments:
        parts = []
        for key, value in (segment.filters or {}).items():
            segment_filter = registered.get(key)
            if segment_filter is None:
                parts.append(f"{key}: {value}")
                continue
            if key not in labels:
                labels[key] = _choice_labels(segment_filter.field())
            values = value if isinstance(value, list) else [value]
            words = ", ".join((labels[key] or {}).get(str(v), str(v)) for v in values)
            parts.append(f"{segment_filter.label}: {words}")
        described[segment.id] = parts
    return described


def _choice_labels(field: forms.Field) -> dict[str, str] | None:
    choices = getattr(field, "choices", None)
    if not choices:
        return None
    labels = {}
    for key, label in choices:
        if isinstance(label, list | tuple):  # an option group
            labels.update({str(k): str(v) for k, v in label})
        else:
            labels[str(key)] = str(label)
    return labels
