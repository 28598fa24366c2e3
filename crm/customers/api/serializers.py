"""What the customer API reads and writes. Input serializers only validate: the views hand their data to the
services. Related ids (`owner`, `dealer`) are looked up among the caller's own rows only."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.core import api
from crm.core.names import staff_name
from crm.customers import services
from crm.customers.models import Channel, Consent, ContactPoint, Customer, Language, Vehicle
from crm.customers.selectors import customers_for_user
from crm.network.access import access_for
from crm.network.exceptions import DealerChoiceRequired
from crm.network.models import DEALER_ROLES, Dealer
from crm.network.selectors import acting_dealer
from crm.timeline.registry import event_summary

# --- Related ids, validated against the caller's own rows ---------------------------------------------


class WorkingDealerField(serializers.PrimaryKeyRelatedField):
    """A dealer the caller works at (any active dealer for network-wide staff); others are unknown."""

    default_error_messages = {
        "does_not_exist": _("Unknown dealer."),
        "incorrect_type": _("Unknown dealer."),
    }

    def __init__(self, **kwargs):
        super().__init__(queryset=Dealer.objects.none(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Dealer.objects.none()
        access = access_for(request.user)
        if access.dealer_ids:
            return Dealer.objects.filter(id__in=access.dealer_ids, is_active=True)
        if access.is_network_wide:
            return Dealer.objects.filter(is_active=True)
        return Dealer.objects.none()


class VisibleCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer the caller can see: another dealer's customer is "object does not exist"."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Customer.objects.none(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Customer.objects.none()
        return customers_for_user(user=request.user)


class WorkingDealerMixin:
    """Fills `dealer` as the pages do (crm.network.selectors.acting_dealer): the caller's only dealer; several
    and none named is a 400 asking which. Network-wide staff may record without a dealer."""

    def validate(self, data):
        data = super().validate(data)
        if data.get("dealer") is None:
            data["dealer"] = None
            user = self.context["request"].user
            if access_for(user).dealer_ids:
                try:
                    data["dealer"] = acting_dealer(user=user, roles=DEALER_ROLES)
                except DealerChoiceRequired as error:
                    raise serializers.ValidationError({"dealer": [str(error.message)]}, code=error.code) from error
        return data


# --- Output ---------------------------------------------------------------------------------------------


class DealerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class ContactPointSerializer(api.ModelSerializer):
    class Meta:
        model = ContactPoint
        fields = ["id", "kind", "value", "label", "is_primary", "is_invalid", "created_at"]
        read_only_fields = fields


class ConsentSerializer(api.ModelSerializer):
    dealer = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Consent
        fields = ["id", "channel", "purpose", "status", "source", "recorded_at", "dealer"]
        read_only_fields = fields


class DealerLinkSerializer(serializers.Serializer):
    dealer = DealerRefSerializer(read_only=True)
    reason = serializers.CharField(read_only=True)
    first_seen_at = api.DateTimeField(read_only=True)
    last_seen_at = api.DateTimeField(read_only=True)


_CUSTOMER_FIELDS = ["id", *services.CUSTOMER_EDITABLE_FIELDS, "version", "created_at", "updated_at"]


class CustomerSerializer(api.ModelSerializer):
    """A row of the customer list: the record and its primary phone, nothing that would fetch more."""

    primary_phone = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [*_CUSTOMER_FIELDS, "primary_phone"]
        read_only_fields = _CUSTOMER_FIELDS

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_primary_phone(self, customer) -> str | None:
        phones = getattr(customer, "primary_phones", None)
        return phones[0].value if phones else None


class CustomerDetailSerializer(api.ModelSerializer):
    contact_points = ContactPointSerializer(many=True, read_only=True)
    consents = ConsentSerializer(many=True, read_only=True)
    vehicles = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    dealer_links = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [*_CUSTOMER_FIELDS, "contact_points", "consents", "vehicles", "dealer_links"]
        read_only_fields = fields

    @extend_schema_field(DealerLinkSerializer(many=True))
    def get_dealer_links(self, customer) -> list:
        # Row-level security already hides other dealers' relationships; the application checks as well.
        access = access_for(self.context["request"].user)
        links = [link for link in customer.dealer_links.all() if access.can_see_dealer(link.dealer_id)]
        return DealerLinkSerializer(links, many=True).data


class CustomerResolutionSerializer(CustomerDetailSerializer):
    created = serializers.BooleanField(read_only=True)
    possible_duplicates = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta(CustomerDetailSerializer.Meta):
        fields = [*CustomerDetailSerializer.Meta.fields, "created", "possible_duplicates"]
        read_only_fields = fields


class TimelineEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True)
    occurred_at = api.DateTimeField(read_only=True)
    dealer = DealerRefSerializer(read_only=True, allow_null=True)
    actor = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    data = serializers.JSONField(read_only=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event) -> str | None:
        if event.actor is None:
            return None
        return staff_name(event.actor)

    def get_summary(self, event) -> str:
        return event_summary(event)


class VehicleSerializer(api.ModelSerializer):
    owner = serializers.SerializerMethodField()

    class Meta:
        model = Vehicle
        fields = [
            "id",
            "vin",
            *services.VEHICLE_EDITABLE_FIELDS,
            "owner",
            "selling_dealer",
            "recorded_by_dealer",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_owner(self, vehicle) -> int | None:
        # The owner's id only when the caller can see the owner (the selector joined it under the scope).
        try:
            owner = vehicle.owner
        except Customer.DoesNotExist:
            return None
        return owner.id if owner is not None else None


# --- Input ----------------------------------------------------------------------------------------------


class CustomerDetailsInputSerializer(serializers.Serializer):
    """The editable details of a customer (services.CUSTOMER_EDITABLE_FIELDS)."""

    kind = serializers.ChoiceField(choices=Customer.Kind.choices, required=False)
    name = serializers.CharField(max_length=200)
    contact_person = serializers.CharField(max_length=200, required=False, allow_blank=True)
    birthday = api.DateField(required=False, allow_null=True)
    preferred_language = serializers.ChoiceField(choices=Language.choices, required=False)
    preferred_channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    province = serializers.CharField(max_length=100, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    district = serializers.CharField(max_length=100, required=False, allow_blank=True)
    street = serializers.CharField(max_length=300, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)


class CustomerCreateSerializer(WorkingDealerMixin, CustomerDetailsInputSerializer):
    phones = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=10)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False, max_length=10)
    dealer = WorkingDealerField(
        required=False,
        allow_null=True,
        help_text=_("The dealer recording the customer; required if you work at several."),
    )


class CustomerUpdateSerializer(CustomerDetailsInputSerializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text=_("The version you read, if you do not send If-Match.")
    )


class ContactPointInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ContactPoint.Kind.choices)
    value = serializers.CharField(max_length=254)
    label = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    is_primary = serializers.BooleanField(required=False, default=False)


_CONSENT_SOURCES = [
    (value, label) for value, label in Consent.Source.choices if value != Consent.Source.MERGE
]


class ConsentInputSerializer(WorkingDealerMixin, serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    purpose = serializers.ChoiceField(choices=Consent.Purpose.choices)
    status = serializers.ChoiceField(choices=Consent.Status.choices)
    source = serializers.ChoiceField(choices=_CONSENT_SOURCES)
    dealer = WorkingDealerField(required=False, allow_null=True)


class VehicleDetailsInputSerializer(serializers.Serializer):
    make = serializers.CharField(max_length=60)
    model = serializers.CharField(max_length=60)
    trim = serializers.CharField(max_length=60, required=False, allow_blank=True)
    year = serializers.IntegerField(min_value=1950, max_value=2100, required=False, allow_null=True)
    colour = serializers.CharField(max_length=40, required=False, allow_blank=True)
    plate = serializers.CharField(max_length=16, required=False, allow_blank=True)
    purchase_date = api.DateField(required=False, allow_null=True)


class VehicleCreateSerializer(WorkingDealerMixin, VehicleDetailsInputSerializer):
    vin = serializers.CharField(max_length=40)
    owner = VisibleCustomerField(required=False, allow_null=True, default=None)
    dealer = WorkingDealerField(
        required=False, allow_null=True, help_text=_("The dealer recording the vehicle.")
    )


class VehicleUpdateSerializer(VehicleDetailsInputSerializer):
    version = serializers.IntegerField(required=False, min_value=1)
