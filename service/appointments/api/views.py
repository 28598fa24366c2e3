"""Public booking endpoints: the free slots of a day and a booking, for anonymous callers holding an appointment
source key (as web lead forms hold a lead source key).

No session, no CSRF, no user: the caller is authenticated by its source key (service.appointments.services),
rate-limited per source and address, and the booking runs in the scope of the dealer resolved from that source
— the request's own scope stays empty. Every refusal is a 4xx with a reason in {"message", "code", "extra"},
in the customer's language when the body names one.
"""

from datetime import date, datetime

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.core import api
from crm.core.api import ErrorSerializer
from crm.core.api_views import rate_limited_response
from crm.core.public_keys import body_size_check, client_ip
from crm.core.scope import Scope, scoped
from service.appointments import selectors, services
from service.appointments.exceptions import RateLimited

MAX_BYTES = 16_000
LANGUAGES = {"en", "zh-hans"}

_KEY = OpenApiParameter(
    services.KEY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=gettext_lazy("The appointment source's key (shown once when the source was created)."),
)
_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid input, naming the field")),
    401: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Unknown or inactive source key")),
    409: OpenApiResponse(ErrorSerializer, description=gettext_lazy("The time is taken or has no free capacity")),
    413: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Body too large")),
    429: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Too many requests (see Retry-After)")),
}






def _authenticated(request):
    """The source, after the key and the rate limit: (source, None) or (None, a 429 response)."""
    source = services.source_authenticate(key=request.headers.get(services.KEY_HEADER))
    try:
        services.rate_limit_check(source=source, client_ip=client_ip(request))
    except RateLimited as error:
        return None, rate_limited_response(error)
    return source, None


class PublicAppointmentAPIView(APIView):
    """Anonymous: the source key is the credential, checked in the view."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


class _Strict(serializers.Serializer):
    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


class BookingSerializer(_Strict):
    dealer_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    starts_at = serializers.CharField(
        max_length=40,
        help_text=gettext_lazy("ISO 8601; without an offset it is the dealer's local time (2026-12-04T09:00)."),
    )
    slots = serializers.IntegerField(min_value=1, max_value=4, required=False, default=1)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    vin = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    plate = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    make = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    model = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    concern = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=sorted(LANGUAGES), required=False, default="zh-hans")

    def validate_starts_at(self, value: str) -> datetime:
        # Parsed here, not by a DateTimeField: a time without an offset is the dealer's, not the server's.
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise serializers.ValidationError(_("A date and time such as 2026-12-04T09:00.")) from None
        reason = api.implausible_because(parsed)
        if reason:
            raise serializers.ValidationError(reason)
        return parsed

    def validate(self, attrs):
        if not attrs["phone"].strip() and not attrs["email"].strip():
            raise serializers.ValidationError({"phone": [_("Give a phone number or an email address.")]})
        if not attrs["vin"].strip() and not attrs["plate"].strip():
            raise serializers.ValidationError({"vin": [_("Give the car's VIN, or the plate of a car already on record.")]})
        return attrs


class BookingResultSerializer(serializers.Serializer):
    appointment_id = serializers.IntegerField()
    dealer_code = serializers.CharField()
    starts_at = api.DateTimeField()
    ends_at = api.DateTimeField()
    bay = serializers.CharField()
    status = serializers.CharField()


def _language(request) -> str | None:
    """The language the body asks for, if it is one of ours (an unreadable body asks for none)."""
    try:
        wanted = request.data.get("language") if isinstance(request.data, dict) else None
    except Exception:  # the parser's error is raised again, and answered, where the body is read
        return None
    return wanted if wanted in LANGUAGES else None


class AppointmentBookAPI(PublicAppointmentAPIView):
    parser_classes = [api.JSONParser]
    customer_language: str | None = None

    def handle_exception(self, exc):
        # A refusal is worded in the language the customer booked in (the error handler words it).
        if self.customer_language:
            with translation.override(self.customer_language):
                return super().handle_exception(exc)
        return super().handle_exception(exc)

    @extend_schema(
        tags=["appointments"],
        summary=gettext_lazy("Book a service appointment (public, authenticated by the source key)"),
        parameters=[_KEY],
        request=BookingSerializer,
        responses={201: OpenApiResponse(BookingResultSerializer, description=gettext_lazy("Booked")), **_ERRORS},
        auth=[],
    )
    def post(self, request):
        body_size_check(request, MAX_BYTES)
        source, refused = _authenticated(request)
        if refused is not None:
            return refused
        self.customer_language = _language(request)
        with translation.override(self.customer_language or translation.get_language()):
            serializer = BookingSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            dealer = services.source_dealer(source=source, dealer_code=data["dealer_code"])
            party = services.Party(**{k: data[k] for k in ("name", "phone", "email", "vin", "plate", "make", "model")})
            with scoped(Scope.dealers([dealer.id])):
                appointment = services.appointment_book(
                    dealer=dealer,
                    by=None,
                    source=source,
                    party=party,
                    starts_at=data["starts_at"],
                    slots=data["slots"],
                    concern=data["concern"],
                    language=data["language"],
                )
        result = {
            "appointment_id": appointment.id,
            "dealer_code": dealer.code,
            "starts_at": appointment.starts_at,
            "ends_at": appointment.ends_at,
            "bay": appointment.bay.name,
            "status": appointment.status,
        }
        return Response(BookingResultSerializer(result).data, status=status.HTTP_201_CREATED)


class SlotsQuerySerializer(_Strict):
    dealer_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    day = api.DateField()
    language = serializers.ChoiceField(choices=sorted(LANGUAGES), required=False, default="zh-hans")


class SlotSerializer(serializers.Serializer):
    starts_at = api.DateTimeField()
    ends_at = api.DateTimeField()


class SlotsResultSerializer(serializers.Serializer):
    dealer_code = serializers.CharField()
    day = api.DateField()
    time_zone = serializers.CharField()
    slot_minutes = serializers.IntegerField()
    slots = SlotSerializer(many=True)


class AppointmentSlotsAPI(PublicAppointmentAPIView):
    @extend_schema(
        tags=["appointments"],
        summary=gettext_lazy("The free appointment slots of a day (public, authenticated by the source key)"),
        parameters=[
            _KEY,
            OpenApiParameter("day", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=True),
            OpenApiParameter("dealer_code", OpenApiTypes.STR, OpenApiParameter.QUERY),
        ],
        responses={200: SlotsResultSerializer, **_ERRORS},
        auth=[],
    )
    def get(self, request):
        source, refused = _authenticated(request)
        if refused is not None:
            return refused
        serializer = SlotsQuerySerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        dealer = services.source_dealer(source=source, dealer_code=data["dealer_code"])
        day: date = data["day"]
        with scoped(Scope.dealers([dealer.id])):
            capacity = selectors.capacity_for(dealer, day)
            slots = [slot for slot in selectors.slots_for(capacity) if slot.is_available]
        result = {
            "dealer_code": dealer.code,
            "day": day,
            "time_zone": dealer.time_zone,
            "slot_minutes": capacity.slot_minutes,
            "slots": [{"starts_at": s.starts_at, "ends_at": s.ends_at} for s in slots],
        }
        return Response(SlotsResultSerializer(result).data)
