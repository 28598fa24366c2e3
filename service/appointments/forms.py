"""Forms of the appointment pages. They only validate input; the services decide."""

from datetime import datetime

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from crm.core.names import staff_name
from service.models.appointments import WEEKDAY_CHOICES

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class DayForm(forms.Form):
    """The board's and the booking page's day (and, for whom works at several, the dealer)."""

    day = forms.DateField(label=_("Day"), required=False, widget=DATE_WIDGET)
    by = forms.ChoiceField(
        label=_("Columns"), required=False, choices=[("bay", _("Bays")), ("advisor", _("Advisors"))]
    )


def _slot_choices(slots) -> list[tuple[str, str]]:
    return [(slot.starts_at.isoformat(), slot.starts_at.strftime("%H:%M")) for slot in slots]


class _SlotMixin:
    def _setup_slots(self, slots, bays, advisors):
        self.fields["slot"].choices = [("", "—"), *_slot_choices(slots)]
        self.fields["bay"].choices = [("", _("Any free bay")), *((b.id, b.name) for b in bays)]
        self.fields["advisor"].choices = [
            ("", _("Any free advisor")),
            *((a.id, staff_name(a)) for a in advisors),
        ]
        self._bays = {b.id: b for b in bays}
        self._advisors = {a.id: a for a in advisors}

    def clean_slot(self):
        value = self.cleaned_data["slot"]
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(_("Choose one of the free slots.")) from None

    def clean_bay(self):
        value = self.cleaned_data.get("bay")
        return self._bays.get(int(value)) if value else None

    def clean_advisor(self):
        value = self.cleaned_data.get("advisor")
        return self._advisors.get(int(value)) if value else None


class BookingForm(_SlotMixin, BootstrapFormMixin, forms.Form):
    slot = forms.ChoiceField(label=_("Time"))
    slots = forms.TypedChoiceField(
        label=_("Length"), coerce=int, initial=1, choices=[(n, _("%(n)s slot(s)") % {"n": n}) for n in range(1, 5)]
    )
    bay = forms.ChoiceField(label=_("Bay"), required=False)
    advisor = forms.ChoiceField(label=_("Service advisor"), required=False)
    name = forms.CharField(label=_("Customer's name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    plate = forms.CharField(label=_("Plate"), max_length=20, required=False)
    vin = forms.CharField(label=_("VIN"), max_length=30, required=False)
    make = forms.CharField(label=_("Make"), max_length=60, required=False)
    model = forms.CharField(label=_("Model"), max_length=60, required=False)
    concern = forms.CharField(
        label=_("Customer's concern"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    language = forms.ChoiceField(label=_("Customer's language"), choices=settings.LANGUAGES, initial="zh-hans")

    def __init__(self, *args, slots=(), bays=(), advisors=(), known_vehicle=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_slots(slots, bays, advisors)
        self.known_vehicle = known_vehicle
        if known_vehicle is not None:  # booking for a car on record: no need to type who and what
            for name in ("name", "phone", "email", "plate", "vin", "make", "model"):
                del self.fields[name]
            if known_vehicle.owner and known_vehicle.owner.preferred_language:
                self.fields["language"].initial = known_vehicle.owner.preferred_language

    def clean(self):
        data = super().clean()
        if self.known_vehicle is None:
            if not (data.get("phone") or "").strip() and not (data.get("email") or "").strip():
                self.add_error("phone", _("Give a phone number or an email address."))
            if not (data.get("vin") or "").strip() and not (data.get("plate") or "").strip():
                self.add_error("vin", _("Give the car's VIN, or the plate of a car already on record."))
        return data


class RescheduleForm(_SlotMixin, BootstrapFormMixin, forms.Form):
    day = forms.DateField(label=_("Day"), widget=DATE_WIDGET)
    slot = forms.ChoiceField(label=_("Time"))
    bay = forms.ChoiceField(label=_("Bay"), required=False)
    advisor = forms.ChoiceField(label=_("Service advisor"), required=False)
    reason = forms.CharField(label=_("Why it moves"), max_length=300)

    def __init__(self, *args, slots=(), bays=(), advisors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_slots(slots, bays, advisors)


class CancelForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why it is cancelled"), max_length=300)


class CheckInForm(BootstrapFormMixin, forms.Form):
    mileage_in = forms.IntegerField(label=_("Mileage in (km)"), min_value=0, max_value=3_000_000, required=False)


class SettingsForm(BootstrapFormMixin, forms.Form):
    slot_minutes = forms.IntegerField(label=_("Slot length (minutes)"), min_value=10, max_value=480)
    no_show_grace_minutes = forms.IntegerField(
        label=_("No-show after (minutes past the start)"), min_value=0, max_value=240
    )


class BayForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("New bay"), max_length=60)


class AdvisorHoursForm(BootstrapFormMixin, forms.Form):
    advisor = forms.TypedChoiceField(label=_("Service advisor"), coerce=int)
    weekday = forms.TypedChoiceField(label=_("Weekday"), coerce=int, choices=WEEKDAY_CHOICES)
    starts = forms.TimeField(label=_("From"), widget=TIME_WIDGET)
    ends = forms.TimeField(label=_("Until"), widget=TIME_WIDGET)

    def __init__(self, *args, advisors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["advisor"].choices = [(a.id, staff_name(a)) for a in advisors]


class AdvisorExceptionForm(BootstrapFormMixin, forms.Form):
    advisor = forms.TypedChoiceField(label=_("Service advisor"), coerce=int)
    day = forms.DateField(label=_("Day"), widget=DATE_WIDGET)
    starts = forms.TimeField(label=_("From"), required=False, widget=TIME_WIDGET, help_text=_("Empty: a day off."))
    ends = forms.TimeField(label=_("Until"), required=False, widget=TIME_WIDGET)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, advisors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["advisor"].choices = [(a.id, staff_name(a)) for a in advisors]


class RemoveForm(forms.Form):
    what = forms.ChoiceField(choices=[("hours", "hours"), ("exception", "exception"), ("bay", "bay")])
    row = forms.IntegerField(min_value=1)
    active = forms.BooleanField(required=False)
