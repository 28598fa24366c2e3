"""The figures API's shapes: the registered figures, and a dealer's values over a period."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.core import api, key_figures

MAX_PERIOD_DAYS = 731


class KeyFigureSerializer(serializers.Serializer):
    code = serializers.CharField()
    owner = serializers.CharField(help_text=_("The app that registered the figure."))
    label = serializers.CharField()
    unit = serializers.ChoiceField(choices=[unit.value for unit in key_figures.Unit])
    higher_is_better = serializers.BooleanField()
    definition = serializers.CharField()
    group = serializers.CharField()
    is_scorable = serializers.BooleanField()


class CatalogueQuerySerializer(serializers.Serializer):
    group = serializers.ChoiceField(
        choices=(),
        required=False,
        help_text=_("Only the figures of this group (response, follow_up, conversion…)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = sorted({figure.group for figure in key_figures.figures()})


class PeriodQuerySerializer(serializers.Serializer):
    first_day = api.DateField(help_text=_("The first local day of the dealer, included."))
    last_day = api.DateField(help_text=_("The last local day of the dealer, included."))
    figure = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=200,
        help_text=_("Figure codes (repeat the parameter); every registered figure when left out."),
    )

    def validate_figure(self, codes):
        known = {figure.code for figure in key_figures.figures()}
        unknown = sorted(set(codes) - known)
        if unknown:
            raise serializers.ValidationError(_("Unknown figure: %(codes)s.") % {"codes": ", ".join(unknown)})
        return codes

    def validate(self, data):
        if data["first_day"] > data["last_day"]:
            raise serializers.ValidationError({"last_day": _("The period ends before it starts.")})
        if (data["last_day"] - data["first_day"]).days > MAX_PERIOD_DAYS:
            raise serializers.ValidationError({"last_day": _("Choose a period of at most two years.")})
        return data


class FigureValueSerializer(serializers.Serializer):
    code = serializers.CharField()
    unit = serializers.ChoiceField(choices=[unit.value for unit in key_figures.Unit])
    value = serializers.FloatField(allow_null=True, help_text=_("Empty when there is nothing to measure."))
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    rows_url = serializers.CharField(
        allow_null=True, help_text=_("The page listing exactly the rows behind the value.")
    )


class DealerFiguresSerializer(serializers.Serializer):
    dealer = serializers.IntegerField()
    first_day = api.DateField()
    last_day = api.DateField()
    figures = FigureValueSerializer(many=True)
