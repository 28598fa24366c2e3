"""The leads REST API: the funnel's reads and actions, scoped by the one access rule. Views authenticate,
validate with a serializer, call one selector and/or one service, and render."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from crm.core import api
from crm.core.api import ErrorSerializer, IdCursorPagination, etag_for
from crm.core.exceptions import NotFound
from crm.customers.api.filters import AllowListOrderingFilter
from crm.network.access import access_for
from crm.network.api import AccessScopedAPIView
from leads import permissions, selectors, services
from leads.api import serializers as s
from leads.models import Grade, Lead, LeadType, LostVerdict, Order, Stage


class CanUseLeadsAPI(BasePermission):
    """The funnel's own rule (leads.permissions): those who read leads; writes not for read-only roles."""

    message = _("You are not allowed to do this.")

    def has_permission(self, request, view) -> bool:
        return permissions.can_use_leads_api(
            access_for(request.user), writes=request.method not in SAFE_METHODS
        )


class LeadsAPIView(AccessScopedAPIView):
    permission_classes = [IsAuthenticated, CanUseLeadsAPI]

    def lead(self, pk: int) -> Lead:
        """The lead if the caller may see it; missing and forbidden are both 404."""
        return selectors.lead_get(user=self.request.user, lead_id=pk)

    def is_schema_generation(self) -> bool:
        return getattr(self, "swagger_fake_view", False)


_NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description=_("Missing, or not visible to you"))}
_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input or unknown related id")),
    403: OpenApiResponse(ErrorSerializer, description=_("Not allowed for your role")),
    409: OpenApiResponse(ErrorSerializer, description=_("Conflicts with the lead's state")),
    **_NOT_FOUND,
}
_ETAG = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200], description=_("The lead's version.")
)


class LeadFilter(api.FilterSet):
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices)
    grade = django_filters.MultipleChoiceFilter(choices=Grade.choices)
    type = django_filters.ChoiceFilter(choices=LeadType.choices)
    owner = django_filters.NumberFilter(field_name="owner_id")
    source = django_filters.NumberFilter(field_name="source_id")
    arrived_since = django_filters.IsoDateTimeFilter(field_name="arrived_at", lookup_expr="gte")

    class Meta:
        model = Lead
        fields = []  # only the filters declared above: an allow-list


# --- Leads -----------------------------------------------------------------------------------------------


class LeadListAPI(mixins.ListModelMixin, LeadsAPIView):
    pagination_class = IdCursorPagination
    filterset_class = LeadFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, AllowListOrderingFilter]
    ordering_fields = ["id", "arrived_at", "updated_at"]
    ordering = ("-id",)
    serializer_class = s.LeadSerializer

    def get_queryset(self):
        if self.is_schema_generation():
            return Lead.objects.none()
        return selectors.leads_for_user(user=self.request.user)

    @extend_schema(
        tags=["leads"],
        summary=_("Leads you can see"),
        responses={200: s.LeadSerializer(many=True), **api.QUERY_ERRORS},
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        tags=["leads"],
        summary=_("Capture a lead (a repeat attaches to the customer's open lead)"),
        request=s.LeadCreateSerializer,
        responses={
            201: OpenApiResponse(s.LeadDetailSerializer, description=_("A new lead")),
            200: OpenApiResponse(s.LeadDetailSerializer, description=_("Attached to the open lead")),
            **_ERRORS,
        },
    )
    def post(self, request):
        serializer = s.LeadCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        capture = services.lead_capture(
            dealer=data["dealer"],
            by=request.user,
            name=data["name"],
            type=data["type"],
            phones=data["phones"],
            emails=data["emails"],
            source=data["source"],
            campaign=data["campaign"],
            external_id=data["external_id"],
            models_of_interest=data["models_of_interest"],
            owner=data["owner"],
            note=data["note"],
        )
        # A lead created by this request is in hand with what the answer shows (its customer, dealer,
        # owner, source): no read back. A lead the capture attached to is read as the caller sees it.
        lead = capture.lead if capture.created else self.lead(capture.lead.id)
        return Response(
            s.LeadDetailSerializer(lead).data,
            status=status.HTTP_201_CREATED if capture.created else status.HTTP_200_OK,
            headers={"ETag": etag_for(lead.version)},
        )


class LeadDetailAPI(LeadsAPIView):
    serializer_class = s.LeadDetailSerializer

    @extend_schema(
        tags=["leads"],
        summary=_("One lead"),
        parameters=[_ETAG],
        responses={200: s.LeadDetailSerializer, **_NOT_FOUND},
    )
    def get(self, request, pk: int):
        lead = self.lead(pk)
        return Response(s.LeadDetailSerializer(lead).data, headers={"ETag": etag_for(lead.version)})


class LeadActionAPI(LeadsAPIView):
    """POST an action on one lead: validate the input, call the one service, answer with the lead."""

    input_serializer = None

    def get_serializer_class(self):
        return self.input_serializer

    def valid_input(self, request, lead: Lead) -> dict:
        serializer = self.input_serializer(
            data=request.data, context={**self.get_serializer_context(), "lead": lead}
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def answer_lead(self, lead_id: int, code=status.HTTP_200_OK) -> Response:
        lead = self.lead(lead_id)
        return Response(
            s.LeadDetailSerializer(lead).data, status=code, headers={"ETag": etag_for(lead.version)}
        )


def _action_schema(summary, request, response=s.LeadDetailSerializer, code=200):
    return extend_schema(
        tags=["leads"], summary=summary, request=request, responses={code: response, **_ERRORS}
    )


class LeadContactAttemptsAPI(LeadActionAPI):
    input_serializer = s.ContactAttemptInputSerializer

    @_action_schema(
        _("Log a contact attempt"), s.ContactAttemptInputSerializer, s.ContactAttemptSerializer, 201
    )
    def post(self, request, pk: int):
        lead = self.lead(pk)
        data = self.valid_input(request, lead)
        attempt = services.contact_log(lead=lead, by=request.user, **data)
        return Response(s.ContactAttemptSerializer(attempt).data, status=status.HTTP_201_CREATED)


class LeadCallsAPI(LeadsAPIView):
    """Click-to-call from an app (the same service as the lead page's and My day's Call button)."""

    serializer_class = s.PhoneCallSerializer

    @extend_schema(
        tags=["leads"],
        summary=_("Call the customer through the system (click-to-call)"),
        description=_(
            "Asks the telephony provider to ring your own mobile phone, then to connect the customer's primary "
            "valid number. The answer is the call as requested; its outcome arrives in the provider's record and "
            "becomes a verified contact attempt when answered. Refusals: 400 staff_phone_missing (give your own "
            "phone first) or customer_phone_missing; 403 when you may not contact this lead; 404 when you cannot "
            "see it; 409 lead_closed or call_in_progress (one call at a time)."
        ),
        request=None,
        responses={201: s.PhoneCallSerializer, **_ERRORS},
    )
    def post(self, request, pk: int):
        lead = self.lead(pk)
        call = services.lead_call_start(lead=lead, by=request.user)
        return Response(s.PhoneCallSerializer(call).data, status=status.HTTP_201_CREATED)


class LeadGradeAPI(LeadActionAPI):
    input_serializer = s.GradeInputSerializer

    @_action_schema(_("Set the grade by hand, with a reason"), s.GradeInputSerializer)
    def post(self, request, pk: int):
        lead = self.lead(pk)
        services.lead_grade(lead=lead, by=request.user, **self.valid_input(request, lead))
        return self.answer_lead(pk)


class LeadMoveAPI(LeadActionAPI):
    input_serializer = s.MoveInputSerializer

    @_action_schema(_("Move the lead to another stage"), s.MoveInputSerializer)
    def post(self, request, pk: int):
        # No read before the service: it reads the lead once (locked, within the caller's scope) and
        # returns it up to date, which is the answer. The input does not depend on the lead.
        serializer = s.MoveInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        lead = services.lead_move(lead_id=pk, by=request.user, **serializer.validated_data)
        return Response(s.LeadDetailSerializer(lead).data, headers={"ETag": etag_for(lead.version)})


class LeadClaimAPI(LeadActionAPI):
    @_action_schema(_("Take an unowned lead (one of two at the same instant wins)"), None)
    def post(self, request, pk: int):
        services.lead_claim(lead=self.lead(pk), by=request.user)
        return self.answer_lead(pk)


class LeadAssignAPI(LeadActionAPI):
    input_serializer = s.AssignInputSerializer

    @_action_schema(_("Give the lead to a salesperson"), s.AssignInputSerializer)
    def post(self, request, pk: int):
        lead = self.lead(pk)
        services.lead_assign(lead=lead, by=request.user, **self.valid_input(request, lead))
        return self.answer_lead(pk)


class LeadLostProposeAPI(LeadActionAPI):
    input_serializer = s.LostProposeInputSerializer

    @_action_schema(
        _("Propose closing the lead as lost (a manager decides)"),
        s.LostProposeInputSerializer,
        s.LostVerdictSerializer,
        201,
    )
    def post(self, request, pk: int):
        lead = self.lead(pk)
        verdict = services.lost_propose(lead=lead, by=request.user, **self.valid_input(request, lead))
        return Response(s.LostVerdictSerializer(verdict).data, status=status.HTTP_201_CREATED)


class LeadLostDecideAPI(LeadActionAPI):
    input_serializer = s.LostDecideInputSerializer

    @_action_schema(_("Approve or send back the pending lost verdict"), s.LostDecideInputSerializer)
    def post(self, request, pk: int):
        lead = self.lead(pk)
        data = self.valid_input(request, lead)
        verdict = LostVerdict.objects.filter(lead=lead, status=LostVerdict.Status.PROPOSED).first()
        if verdict is None:
            raise NotFound(_("This lead has no lost verdict awaiting a decision."))
        services.lost_decide(verdict=verdict, by=request.user, **data)
        return self.answer_lead(pk)


class LeadTestDrivesAPI(LeadActionAPI):
    input_serializer = s.TestDriveInputSerializer

    @_action_schema(_("Book a demo car for a slot"), s.TestDriveInputSerializer, s.TestDriveSerializer, 201)
    def post(self, request, pk: int):
        lead = self.lead(pk)
        drive = services.test_drive_book(lead=lead, by=request.user, **self.valid_input(request, lead))
        return Response(s.TestDriveSerializer(drive).data, status=status.HTTP_201_CREATED)


class LeadOrdersAPI(LeadActionAPI):
    input_serializer = s.OrderQuoteInputSerializer

    @_action_schema(_("Quote: model, price, add-ons"), s.OrderQuoteInputSerializer, s.OrderSerializer, 201)
    def post(self, request, pk: int):
        lead = self.lead(pk)
        order = services.order_quote(lead=lead, by=request.user, **self.valid_input(request, lead))
        return Response(s.OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderActionAPI(LeadActionAPI):
    def order_and_lead(self, pk: int) -> tuple[Order, Lead]:
        """The order, if its lead is visible to the caller (404 otherwise)."""
        order = Order.objects.filter(id=pk).first()
        if order is None:
            raise NotFound()
        return order, self.lead(order.lead_id)


class OrderPlaceAPI(OrderActionAPI):
    input_serializer = s.OrderPlaceInputSerializer

    @_action_schema(_("The customer signs the order"), s.OrderPlaceInputSerializer, s.OrderSerializer)
    def post(self, request, pk: int):
        order, lead = self.order_and_lead(pk)
        order = services.order_place(order=order, by=request.user, **self.valid_input(request, lead))
        return Response(s.OrderSerializer(order).data)


class OrderDeliverAPI(OrderActionAPI):
    input_serializer = s.OrderDeliverInputSerializer

    @_action_schema(_("Hand over the car"), s.OrderDeliverInputSerializer, s.OrderSerializer)
    def post(self, request, pk: int):
        order, lead = self.order_and_lead(pk)
        order = services.order_deliver(order=order, by=request.user, **self.valid_input(request, lead))
        return Response(s.OrderSerializer(order).data)


# --- Showroom visits ---------------------------------------------------------------------------------------


class VisitsAPI(LeadsAPIView):
    serializer_class = s.VisitInputSerializer

    @extend_schema(
        tags=["leads"],
        summary=_("Log a showroom visit (joins the customer's open lead, or opens a walk-in lead)"),
        request=s.VisitInputSerializer,
        responses={201: s.VisitResultSerializer, **_ERRORS},
    )
    def post(self, request):
        serializer = s.VisitInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        result = services.visit_log(by=request.user, **serializer.validated_data)
        body = {
            "visit": result.visit,
            "lead_id": result.lead.id if result.lead else None,
            "customer_created": result.customer_created,
            "owned_by": result.owned_by_other,
        }
        return Response(s.VisitResultSerializer(body).data, status=status.HTTP_201_CREATED)
