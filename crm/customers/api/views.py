"""The customer API's views: authenticate, validate with a serializer, call a selector and/or a service, render."""

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from crm.core.api import (
    QUERY_ERRORS,
    ErrorSerializer,
    IdCursorPagination,
    PreconditionFailed,
    etag_for,
    expected_version,
)
from crm.core.exceptions import ConcurrentEdit
from crm.customers import selectors, services
from crm.customers.api.filters import AllowListOrderingFilter, CustomerFilter, VehicleFilter
from crm.customers.api.serializers import (
    ConsentInputSerializer,
    ConsentSerializer,
    ContactPointInputSerializer,
    ContactPointSerializer,
    CustomerCreateSerializer,
    CustomerDetailSerializer,
    CustomerResolutionSerializer,
    CustomerSerializer,
    CustomerUpdateSerializer,
    TimelineEventSerializer,
    VehicleCreateSerializer,
    VehicleSerializer,
    VehicleUpdateSerializer,
)
from crm.customers.models import ContactPoint, Customer
from crm.network.access import access_for
from crm.network.api import AccessScopedAPIView
from crm.timeline.models import TimelineEvent

# --- Reads the selectors do not offer as querysets (candidates to move into selectors.py) ---------------


def _customer_list_queryset(*, user) -> QuerySet[Customer]:
    """Customers the user may see, with the primary phone each row shows (one extra query per page)."""
    primary_phone = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, is_primary=True)
    return selectors.customers_for_user(user=user).prefetch_related(
        Prefetch("contact_points", queryset=primary_phone, to_attr="primary_phones")
    )


# --- Permissions and the base view ----------------------------------------------------------------------


class CanEditCustomersOrReadOnly(BasePermission):
    """Everyone in scope may read; OEM regional managers and auditors never write dealer data."""

    message = _("You are not allowed to do this.")

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or access_for(request.user).can_edit_customers


class CustomerRecordAPIView(AccessScopedAPIView):
    permission_classes = [IsAuthenticated, CanEditCustomersOrReadOnly]

    def is_schema_generation(self) -> bool:
        return getattr(self, "swagger_fake_view", False)


def _precondition_failed(error: ConcurrentEdit) -> PreconditionFailed:
    return PreconditionFailed(extra=error.extra)


_IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=_('The ETag (version) you read, e.g. "3". Required unless the body carries `version`.'),
)
_ETAG = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 201], description=_("The version.")
)
_NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description=_("Missing, or not visible to you"))}
_WRITE_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input")),
    403: OpenApiResponse(ErrorSerializer, description=_("Not allowed (read-only role)")),
}
_ERRORS = {**_WRITE_ERRORS, **_NOT_FOUND}
_CONCURRENCY_ERRORS = {
    412: OpenApiResponse(ErrorSerializer, description=_("The version you sent is not the current one")),
    428: OpenApiResponse(ErrorSerializer, description=_("If-Match required")),
}


# --- Customers ------------------------------------------------------------------------------------------


class CustomerListAPI(mixins.ListModelMixin, CustomerRecordAPIView):
    filter_backends = [DjangoFilterBackend, AllowListOrderingFilter]
    filterset_class = CustomerFilter
    ordering_fields = ["id", "updated_at"]
    ordering = ("-id",)

    def get_queryset(self):
        return _customer_list_queryset(user=self.request.user)

    def get_serializer_class(self):
        return CustomerCreateSerializer if self.request.method == "POST" else CustomerSerializer

    @extend_schema(
        tags=["customers"],
        summary=_("Customers you can see"),
        responses={200: CustomerSerializer(many=True), **QUERY_ERRORS},
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        tags=["customers"],
        summary=_("Find the same person in the network or create them"),
        request=CustomerCreateSerializer,
        responses={
            201: OpenApiResponse(CustomerResolutionSerializer, description=_("Created")),
            200: OpenApiResponse(CustomerResolutionSerializer, description=_("Matched an existing customer")),
            **_WRITE_ERRORS,
        },
    )
    def post(self, request):
        serializer = CustomerCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        details = dict(serializer.validated_data)
        resolution = services.customer_resolve(
            by=request.user,
            dealer=details.pop("dealer"),
            name=details.pop("name"),
            phones=details.pop("phones", []),
            emails=details.pop("emails", []),
            source="api",
            **details,
        )
        customer = selectors.customer_card(user=request.user, customer_id=resolution.customer.id)
        customer.created = resolution.created
        customer.possible_duplicates = selectors.customers_visible_ids(
            user=request.user, ids=resolution.possible_duplicates
        )
        body = CustomerResolutionSerializer(customer, context=self.get_serializer_context()).data
        headers = {"ETag": etag_for(customer.version)}
        if resolution.created:
            headers["Location"] = reverse("api:customer-detail", kwargs={"pk": customer.id})
        return Response(
            body,
            status=status.HTTP_201_CREATED if resolution.created else status.HTTP_200_OK,
            headers=headers,
        )


class CustomerDetailAPI(CustomerRecordAPIView):
    def get_queryset(self):
        return selectors.customers_for_user(user=self.request.user)

    def get_object(self):
        return selectors.customer_card(user=self.request.user, customer_id=self.kwargs["pk"])

    def get_serializer_class(self):
        return (
            CustomerUpdateSerializer if self.request.method in ("PUT", "PATCH") else CustomerDetailSerializer
        )

    def _render(self, customer) -> Response:
        body = CustomerDetailSerializer(customer, context=self.get_serializer_context()).data
        return Response(body, headers={"ETag": etag_for(customer.version)})

    @extend_schema(
        tags=["customers"],
        summary=_("A customer, with contact points, consents, vehicles and your dealer relationships"),
        parameters=[_ETAG],
        responses={200: CustomerDetailSerializer, **_NOT_FOUND},
    )
    def get(self, request, pk: int):
        return self._render(self.get_object())

    @extend_schema(
        tags=["customers"],
        summary=_("Replace a customer's details (omitted optional fields are cleared)"),
        parameters=[_IF_MATCH, _ETAG],
        request=CustomerUpdateSerializer,
        responses={200: CustomerDetailSerializer, **_ERRORS, **_CONCURRENCY_ERRORS},
    )
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(
        tags=["customers"],
        summary=_("Change some of a customer's details"),
        parameters=[_IF_MATCH, _ETAG],
        request=CustomerUpdateSerializer,
        responses={200: CustomerDetailSerializer, **_ERRORS, **_CONCURRENCY_ERRORS},
    )
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    def _update(self, request, pk: int, *, partial: bool) -> Response:
        customer = selectors.customer_get(user=request.user, customer_id=pk)
        serializer = CustomerUpdateSerializer(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = expected_version(request, body_version=changes.pop("version", None))
        if not partial:
            changes = {
                name: changes.get(name, Customer._meta.get_field(name).get_default())
                for name in services.CUSTOMER_EDITABLE_FIELDS
            }
        try:
            services.customer_update(
                customer=customer, by=request.user, expected_version=version, changes=changes
            )
        except ConcurrentEdit as error:
            raise _precondition_failed(error) from error
        return self._render(selectors.customer_card(user=request.user, customer_id=pk))


class TimelineCursorPagination(IdCursorPagination):
    """Newest first; events that happened at the same moment keep a stable order by id."""

    ordering = ("-occurred_at", "-id")


class CustomerTimelineAPI(mixins.ListModelMixin, CustomerRecordAPIView):
    serializer_class = TimelineEventSerializer
    pagination_class = TimelineCursorPagination
    filter_backends = []

    def get_queryset(self):
        if self.is_schema_generation():
            return TimelineEvent.objects.none()
        customer = selectors.customer_get(user=self.request.user, customer_id=self.kwargs["pk"])
        return selectors.customer_timeline_queryset(user=self.request.user, customer=customer)

    @extend_schema(
        tags=["customers"],
        summary=_("What happened to the customer, newest first (events at your dealers and the network's)"),
        responses={200: TimelineEventSerializer(many=True), **QUERY_ERRORS, **_NOT_FOUND},
    )
    def get(self, request, pk: int):
        return self.list(request)


class CustomerContactPointsAPI(CustomerRecordAPIView):
    serializer_class = ContactPointInputSerializer

    @extend_schema(
        tags=["customers"],
        summary=_("Add a phone, email or WeChat ID to a customer"),
        request=ContactPointInputSerializer,
        responses={
            201: ContactPointSerializer,
            409: OpenApiResponse(ErrorSerializer, description=_("The customer already has it")),
            **_ERRORS,
        },
    )
    def post(self, request, pk: int):
        customer = selectors.customer_get(user=request.user, customer_id=pk)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        point = services.contact_point_add(customer=customer, by=request.user, **serializer.validated_data)
        return Response(ContactPointSerializer(point).data, status=status.HTTP_201_CREATED)


class CustomerConsentsAPI(CustomerRecordAPIView):
    serializer_class = ConsentInputSerializer

    @extend_schema(
        tags=["customers"],
        summary=_("Record the customer's answer for a channel and purpose"),
        request=ConsentInputSerializer,
        responses={
            200: ConsentSerializer,
            409: OpenApiResponse(ErrorSerializer, description=_("An import cannot undo an opt-out")),
            **_ERRORS,
        },
    )
    def post(self, request, pk: int):
        customer = selectors.customer_get(user=request.user, customer_id=pk)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = services.consent_record(customer=customer, by=request.user, **serializer.validated_data)
        return Response(ConsentSerializer(consent).data)


# --- Vehicles -------------------------------------------------------------------------------------------


class VehicleListAPI(mixins.ListModelMixin, CustomerRecordAPIView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = VehicleFilter

    def get_queryset(self):
        return selectors.vehicles_for_user(user=self.request.user)

    def get_serializer_class(self):
        return VehicleCreateSerializer if self.request.method == "POST" else VehicleSerializer

    @extend_schema(
        tags=["vehicles"],
        summary=_("Vehicles you can see"),
        responses={200: VehicleSerializer(many=True), **QUERY_ERRORS},
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        tags=["vehicles"],
        summary=_("Record a vehicle (VIN checked) and its owner"),
        request=VehicleCreateSerializer,
        parameters=[_ETAG],
        responses={
            201: VehicleSerializer,
            409: OpenApiResponse(ErrorSerializer, description=_("The VIN is already registered")),
            **_WRITE_ERRORS,
        },
    )
    def post(self, request):
        serializer = VehicleCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        vehicle = services.vehicle_register(by=request.user, **serializer.validated_data)
        vehicle = selectors.vehicle_get(user=request.user, vehicle_id=vehicle.id)
        return Response(
            VehicleSerializer(vehicle).data,
            status=status.HTTP_201_CREATED,
            headers={
                "ETag": etag_for(vehicle.version),
                "Location": reverse("api:vehicle-detail", kwargs={"pk": vehicle.id}),
            },
        )


class VehicleDetailAPI(CustomerRecordAPIView):
    def get_queryset(self):
        return selectors.vehicles_for_user(user=self.request.user)

    def get_object(self):
        return selectors.vehicle_get(user=self.request.user, vehicle_id=self.kwargs["pk"])

    def get_serializer_class(self):
        return VehicleUpdateSerializer if self.request.method == "PATCH" else VehicleSerializer

    @extend_schema(tags=["vehicles"], parameters=[_ETAG], responses={200: VehicleSerializer, **_NOT_FOUND})
    def get(self, request, pk: int):
        vehicle = self.get_object()
        return Response(VehicleSerializer(vehicle).data, headers={"ETag": etag_for(vehicle.version)})

    @extend_schema(
        tags=["vehicles"],
        summary=_("Change a vehicle's details"),
        parameters=[_IF_MATCH, _ETAG],
        request=VehicleUpdateSerializer,
        responses={200: VehicleSerializer, **_ERRORS, **_CONCURRENCY_ERRORS},
    )
    def patch(self, request, pk: int):
        vehicle = self.get_object()
        serializer = VehicleUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = expected_version(request, body_version=changes.pop("version", None))
        try:
            services.vehicle_update(
                vehicle=vehicle, by=request.user, expected_version=version, changes=changes
            )
        except ConcurrentEdit as error:
            raise _precondition_failed(error) from error
        vehicle = self.get_object()
        return Response(VehicleSerializer(vehicle).data, headers={"ETag": etag_for(vehicle.version)})
