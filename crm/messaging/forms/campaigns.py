"""Forms of the campaign pages. They only validate input; services.campaigns decides and checks rights."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.messaging.models import Campaign, Channel
from crm.messaging.selectors.campaigns import (
    campaign_quiet_start,
    campaign_time_zone,
    segments_for_campaign,
    templates_for_campaign,
)
from crm.network.forms import BootstrapFormMixin

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
SEND_NOW, SEND_LATER = "now", "later"


class SegmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        owner = obj.dealer.name if obj.dealer else _("Whole network")
        if obj.last_count is None:
            return f"{obj.name} · {owner}"
        return _("%(name)s · %(owner)s (%(count)s customers)") % {
            "name": obj.name,
            "owner": owner,
            "count": obj.last_count,
        }


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        owner = obj.dealer.name if obj.dealer else _("OEM")
        return f"{obj.name} · {owner} · {obj.get_purpose_display()}"


class CampaignFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", _("All")), *Campaign.Status.choices], required=False)


class CampaignForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Campaign name"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Spring service offer")}),
    )
    segment = SegmentChoiceField(label=_("Segment"), queryset=None, empty_label=_("Choose a segment"))
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Channel.choices, initial=Channel.SMS, widget=forms.RadioSelect
    )
    template = TemplateChoiceField(label=_("Template"), queryset=None, empty_label=_("Choose a template"))
    when = forms.ChoiceField(
        label=_("Send"),
        choices=[(SEND_NOW, _("As soon as it is approved")), (SEND_LATER, _("At a date and time"))],
        initial=SEND_NOW,
        widget=forms.RadioSelect,
    )
    send_at = forms.DateTimeField(
        label=_("Date and time"), required=False, widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = segments_for_campaign(user=user)
        segment = self.chosen_segment
        channel = self["channel"].value() if self["channel"].value() in Channel.values else None
        self.fields["template"].queryset = (
            templates_for_campaign(user=user, dealer_id=segment.dealer_id, channel=channel)
            if segment is not None
            else templates_for_campaign(user=user, any_dealer=True, channel=channel)
        )

    @property
    def chosen_segment(self):
        value = self["segment"].value()
        if not str(value or "").isdigit():
            return None
        return self.fields["segment"].queryset.filter(pk=int(value)).first()

    @property
    def chosen_template(self):
        value = self["template"].value()
        if not str(value or "").isdigit():
            return None
        return self.fields["template"].queryset.filter(pk=int(value)).first()

    @property
    def time_zone(self):
        segment = self.chosen_segment
        return campaign_time_zone(segment) if segment is not None else None

    def scheduled_start(self) -> datetime | None:
        """The date and time chosen to send at, read in the dealer's zone (None: send once approved)."""
        zone = self.time_zone
        if zone is None or self["when"].value() != SEND_LATER:
            return None
        try:
            send_at = self.fields["send_at"].clean(self["send_at"].value())
        except ValidationError:
            return None
        # The browser sends the dealer's wall-clock time; read it in the dealer's zone.
        return timezone.make_naive(send_at).replace(tzinfo=zone) if send_at else None

    def quiet_start(self) -> datetime | None:
        """When a marketing campaign scheduled inside the quiet hours really starts sending (a warning, not
        an error: the messages wait for the morning)."""
        template, zone = self.chosen_template, self.time_zone
        if template is None or zone is None:
            return None
        return campaign_quiet_start(purpose=template.purpose, at=self.scheduled_start(), zone=zone)

    def clean(self):
        data = super().clean()
        segment, template = data.get("segment"), data.get("template")
        if template is not None and data.get("channel") and template.channel != data["channel"]:
            self.add_error("template", _("This template is for another channel."))
        data["scheduled_at"] = None
        if data.get("when") == SEND_LATER:
            send_at = data.get("send_at")
            if send_at is None:
                self.add_error("send_at", _("Give the date and time to send."))
            elif segment is not None:
                # The browser sends the dealer's wall-clock time; read it in the dealer's zone.
                local = timezone.make_naive(send_at).replace(tzinfo=campaign_time_zone(segment))
                if local <= timezone.now():
                    self.add_error("send_at", _("Choose a time in the future."))
                data["scheduled_at"] = local
        return data


class SendBackForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(
        label=_("What should change"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Note to the campaign's author")}),
    )
