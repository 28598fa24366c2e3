"""The dealers API's shapes: the registered figures, a dealer's values over a period, scorecards, findings."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.core import api, key_figures
from crm.customers.api.serializers import DealerRefSerializer
from dealers.models import Finding, Scorecard
from dealers.models.findings import Severity

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


# --- Scorecards and findings (read-only) ---------------------------------------------------------------------


class ScorecardLineSerializer(serializers.Serializer):
    figure_code = serializers.CharField()
    weight = serializers.IntegerField()
    target = serializers.DecimalField(max_digits=12, decimal_places=2)
    floor = serializers.DecimalField(max_digits=12, decimal_places=2)
    higher_is_better = serializers.BooleanField()
    value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    numerator = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    denominator = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    points = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class VetoSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_("overdue_critical or data_falsification"))
    finding_id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()


class ScorecardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dealer = DealerRefSerializer()
    month = serializers.SerializerMethodField(help_text=_("The scorecard's month (YYYY-MM)."))
    version = serializers.IntegerField(help_text=_("1, or the restatement's number."))
    restates = serializers.IntegerField(source="restates_id", allow_null=True)
    status = serializers.ChoiceField(choices=Scorecard.Status.choices)
    template_version = serializers.IntegerField(source="template.version")
    total_points = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    points_tier = serializers.CharField(help_text=_("The tier the points alone earn."))
    tier = serializers.CharField(help_text=_("The tier after the veto gates."))
    vetoes = VetoSerializer(many=True)
    rebate_rate = serializers.DecimalField(max_digits=5, decimal_places=2, help_text=_("Percent."))
    computed_at = api.DateTimeField()
    published_at = api.DateTimeField(allow_null=True)


    def get_month(self, scorecard) -> str:
        return scorecard.month.strftime("%Y-%m")


class ScorecardDetailSerializer(ScorecardSerializer):
    lines = ScorecardLineSerializer(many=True)


class FindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dealer = DealerRefSerializer()
    source = serializers.ChoiceField(choices=Finding.Source.choices)
    figure_code = serializers.CharField(allow_blank=True)
    audit = serializers.IntegerField(source="audit_result.audit_id", allow_null=True, default=None)
    mystery_shop = serializers.IntegerField(source="mystery_shop_id", allow_null=True)
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices)
    is_data_falsification = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Finding.Status.choices)
    due_on = api.DateField()
    is_overdue = serializers.SerializerMethodField()
    raised_at = api.DateTimeField()
    answered_at = api.DateTimeField(allow_null=True)
    closed_at = api.DateTimeField(allow_null=True)
    reopen_count = serializers.IntegerField()

    def get_is_overdue(self, finding) -> bool:
        """Still open (not answered) after its due day, in the OEM's zone: what the veto gates count."""
        today = timezone.localdate(timezone=ZoneInfo(settings.DEALERS_OEM_TIME_ZONE))
        return finding.status == "open" and finding.due_on < today
