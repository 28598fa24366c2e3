"""Serializers of the leads API. Every related id is validated against a queryset scoped to the caller, so
another dealer's id is answered "unknown" (400), never accepted."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.core import api
from crm.core.exceptions import NotFound
from crm.core.names import staff_name
from crm.messaging.models import PhoneCall
from crm.network.access import access_for
from crm.network.exceptions import DealerChoiceRequired
from crm.network.models import SALES_ROLES, Dealer, RoleAssignment
from crm.network.selectors import acting_dealer
from leads.exceptions import NotContactable
from leads.models import (
    Campaign,
    ContactAttempt,
    DemoCar,
    Grade,
    Lead,
    LeadSource,
    LeadType,
    LostVerdict,
    Order,
    ShowroomVisit,
    Stage,
    TestDrive,
)
from leads.services.capture import contact_points_required

User = get_user_model()


def sales_staff(dealer_ids) -> "serializers.QuerySet":
    """Active salespeople and sales managers of these dealers: who may own a lead there."""
    holders = RoleAssignment.objects.filter(
        dealer_id__in=list(dealer_ids), role__in=SALES_ROLES, is_active=True
    ).values("user_id")
    return User.objects.filter(is_active=True, id__in=holders)


def _acting_dealer(context, attrs) -> Dealer:
    """The dealer the request is for: the one named, else the caller's only sales dealer — the same rule as
    the pages (crm.network.selectors.acting_dealer); several and none named is a 400 listing the choices."""
    named = attrs.get("dealer")
    user = context["request"].user
    if named is not None and named.id in access_for(user).dealers_where(*SALES_ROLES):
        # The field already read it among the caller's sales dealers (acting_dealer's rule): not again.
        return named
    try:
        return acting_dealer(
            user=user, roles=SALES_ROLES, wanted=named.id if named is not None else None
        )
    except DealerChoiceRequired as error:
        raise serializers.ValidationError({"dealer": [str(error.message)]}, code=error.code) from error
    except NotFound as error:
        raise serializers.ValidationError(
            {"dealer": [_("You hold no sales role at a dealer where this could be recorded.")]}, code="no_dealer"
        ) from error


def _caller_dealer_ids(context) -> list[int]:
    request = context.get("request")
    if request is None:
        return []
    return sorted(access_for(request.user).dealers_where(*SALES_ROLES))


def _visible_sources(context):
    request = context.get("request")
    scope = access_for(request.user).scope if request else None
    sources = LeadSource.objects.filter(is_active=True)
    if scope is None or scope.network_wide:
        return sources
    return sources.filter(Q(dealer__isnull=True) | Q(dealer_id__in=scope.dealer_ids))


def _visible_campaigns(context):
    request = context.get("request")
    scope = access_for(request.user).scope if request else None
    if scope is None or scope.network_wide:
        return Campaign.objects.all()
    return Campaign.objects.filter(Q(dealer__isnull=True) | Q(dealer_id__in=scope.dealer_ids))


# --- Reading ---------------------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return staff_name(user)


class LeadCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LeadSerializer(api.ModelSerializer):
    customer = LeadCustomerSerializer(read_only=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    dealer_name = serializers.CharField(source="dealer.name", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True, allow_null=True, default=None)
    grade = api.BlankAsNullChoiceField(choices=Grade.choices, help_text=_("null: not graded yet"))

    class Meta:
        model = Lead
        fields = [
            "id",
            "dealer",
            "dealer_name",
            "customer",
            "owner",
            "type",
            "source",
            "source_name",
            "campaign",
            "stage",
            "grade",
            "models_of_interest",
            "arrived_at",
            "sla_due_at",
            "first_contact_at",
            "is_sla_breached",
            "next_follow_up_at",
            "acceptance",
            "version",
        ]
        read_only_fields = fields


class LeadDetailSerializer(LeadSerializer):
    class Meta(LeadSerializer.Meta):
        fields = [
            *LeadSerializer.Meta.fields,
            "external_id",
            "grade_is_override",
            "grade_reason",
            "answers",
            "first_response_minutes",
            "is_first_contact_verified",
            "unreachable_attempts",
            "rejection_reason",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContactAttemptSerializer(api.ModelSerializer):
    evidence = api.BlankAsNullChoiceField(
        choices=ContactAttempt.Evidence.choices,
        help_text=_("What the system witnessed; null when the contact is only claimed"),
    )

    class Meta:
        model = ContactAttempt
        fields = [
            "id",
            "lead",
            "channel",
            "outcome",
            "note",
            "at",
            "logged_at",
            "is_backdated",
            "is_verified",
            "evidence",
            "duration_seconds",
            "by",
        ]
        read_only_fields = fields


class ShowroomVisitSerializer(api.ModelSerializer):
    grade = api.BlankAsNullChoiceField(choices=Grade.choices, help_text=_("null: not graded at the visit"))

    class Meta:
        model = ShowroomVisit
        fields = [
            "id",
            "dealer",
            "lead",
            "customer",
            "salesperson",
            "arrived_at",
            "left_at",
            "party_size",
            "models_of_interest",
            "grade",
            "next_step",
            "note",
            "is_first_visit",
        ]
        read_only_fields = fields


class VisitResultSerializer(serializers.Serializer):
    visit = ShowroomVisitSerializer()
    lead_id = serializers.IntegerField(allow_null=True)
    customer_created = serializers.BooleanField()
    owned_by = PersonSerializer(allow_null=True)


class TestDriveSerializer(api.ModelSerializer):
    class Meta:
        model = TestDrive
        fields = ["id", "lead", "demo_car", "starts_at", "ends_at", "status", "outcome"]
        read_only_fields = fields


class OrderSerializer(api.ModelSerializer):
    class Meta:
        model = Order
        fields = [
            "id",
            "lead",
            "model",
            "trim",
            "colour",
            "list_price",
            "discount",
            "add_ons",
            "deposit",
            "promised_delivery_on",
            "status",
            "vehicle",
            "ordered_at",
            "delivered_at",
        ]
        read_only_fields = fields


class LostVerdictSerializer(api.ModelSerializer):
    class Meta:
        model = LostVerdict
        fields = [
            "id",
            "lead",
            "reason",
            "competitor_brand",
            "note",
            "freeze_only",
            "status",
            "decision_note",
        ]
        read_only_fields = fields


# --- Writing ---------------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id looked up among the rows `scope(context)` allows; any other id is "unknown"."""

    default_error_messages = {"does_not_exist": _("Unknown id {pk_value}.")}

    def __init__(self, *, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context)


class LeadCreateSerializer(serializers.Serializer):
    dealer = ScopedPrimaryKeyField(
        scope=lambda context: Dealer.objects.filter(id__in=_caller_dealer_ids(context)), required=False
    )
    name = serializers.CharField(max_length=200)
    phones = serializers.ListField(child=serializers.CharField(max_length=40), max_length=5, default=list)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), max_length=5, default=list)
    type = serializers.ChoiceField(choices=LeadType.choices)
    source = ScopedPrimaryKeyField(scope=_visible_sources, required=False, allow_null=True, default=None)
    campaign = ScopedPrimaryKeyField(scope=_visible_campaigns, required=False, allow_null=True, default=None)
    owner = ScopedPrimaryKeyField(
        scope=lambda context: sales_staff(_caller_dealer_ids(context)),
        required=False,
        allow_null=True,
        default=None,
    )
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    models_of_interest = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=10, default=list
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        attrs["dealer"] = _acting_dealer(self.context, attrs)
        try:
            contact_points_required(phones=attrs["phones"], emails=attrs["emails"])
        except NotContactable as error:
            raise serializers.ValidationError({"phones": [str(error.message)]}, code=error.code) from error
        dealer_id = attrs["dealer"].id
        for name in ("source", "campaign"):
            related = attrs.get(name)
            if related is not None and related.dealer_id not in (None, dealer_id):
                raise serializers.ValidationError(
                    {name: [_("Unknown id {pk_value}.").format(pk_value=related.id)]}
                )
        owner = attrs.get("owner")
        if owner is not None and not sales_staff([dealer_id]).filter(id=owner.id).exists():
            raise serializers.ValidationError(
                {"owner": [_("Unknown id {pk_value}.").format(pk_value=owner.id)]}
            )
        return attrs


class ContactAttemptInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ContactAttempt.Channel.choices)
    outcome = serializers.ChoiceField(choices=ContactAttempt.Outcome.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    at = api.DateTimeField(required=False, allow_null=True, default=None)


class VisitInputSerializer(serializers.Serializer):
    dealer = ScopedPrimaryKeyField(
        scope=lambda context: Dealer.objects.filter(id__in=_caller_dealer_ids(context)), required=False
    )
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    party_size = serializers.IntegerField(min_value=1, max_value=50, default=1)
    arrived_at = api.DateTimeField(required=False, allow_null=True, default=None)
    left_at = api.DateTimeField(required=False, allow_null=True, default=None)
    models_of_interest = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=10, default=list
    )
    grade = serializers.ChoiceField(choices=[("", "—"), *Grade.choices], required=False, default="")
    next_step = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        attrs["dealer"] = _acting_dealer(self.context, attrs)
        return attrs


class GradeInputSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Grade.choices)
    reason = serializers.CharField(max_length=300)


class MoveInputSerializer(serializers.Serializer):
    to_stage = serializers.ChoiceField(choices=Stage.choices)


class AssignInputSerializer(serializers.Serializer):
    to = ScopedPrimaryKeyField(scope=lambda context: sales_staff([context["lead"].dealer_id]))


class LostProposeInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=LostVerdict.Reason.choices)
    competitor_brand = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    freeze_only = serializers.BooleanField(default=False)


class LostDecideInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TestDriveInputSerializer(serializers.Serializer):
    demo_car = ScopedPrimaryKeyField(
        scope=lambda context: DemoCar.objects.filter(dealer_id=context["lead"].dealer_id, is_active=True)
    )
    starts_at = api.DateTimeField()
    minutes = serializers.IntegerField(min_value=10, max_value=240, default=30)


class OrderQuoteInputSerializer(serializers.Serializer):
    model = serializers.CharField(max_length=60)
    trim = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    colour = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)
    add_ons = serializers.ListField(child=serializers.DictField(), max_length=20, default=list)
    deposit = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)
    promised_delivery_on = api.DateField(required=False, allow_null=True, default=None)


class OrderPlaceInputSerializer(serializers.Serializer):
    deposit = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    promised_delivery_on = api.DateField(required=False, allow_null=True, default=None)


class OrderDeliverInputSerializer(serializers.Serializer):
    vin = serializers.CharField(max_length=17)
    plate = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    year = serializers.IntegerField(
        min_value=1950, max_value=2100, required=False, allow_null=True, default=None
    )
    make = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class PhoneCallSerializer(serializers.Serializer):
    """A click-to-call the provider was asked to place: it rings the caller's own phone, then the customer's.
    Its outcome arrives later in the provider's signed record (then the lead gets a verified contact attempt
    when the call was answered long enough)."""

    id = serializers.IntegerField()
    lead = serializers.IntegerField(source="reference_id")
    status = serializers.ChoiceField(choices=PhoneCall.Status.choices)
    requested_at = api.DateTimeField()
