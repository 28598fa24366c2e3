"""Public intake endpoints: the web form and ADF lead documents, for anonymous callers holding a source key.

No session, no CSRF, no user: the caller is authenticated by its source key (leads.services.intake), and the capture
runs in the scope of the dealer resolved from that source — the request's own scope stays empty.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.core import api
from crm.core.api import ErrorSerializer
from crm.core.api_views import rate_limited_response
from crm.core.public_keys import body_size_check, client_ip
from crm.customers.exceptions import InvalidEmail, InvalidPhone
from crm.customers.normalize import email_normalize, phone_normalize
from leads.adf import parse_adf, split_phone_extension
from leads.exceptions import PayloadTooLarge, RateLimited
from leads.services import (
    KEY_HEADER,
    adf_capture,
    fill_time_check,
    intake_dealer,
    rate_limit_check,
    source_authenticate,
    web_form_capture,
)

WEB_FORM_MAX_BYTES = 16_000
ADF_MAX_BYTES = 1_000_000






_KEY = OpenApiParameter(
    KEY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=gettext_lazy("The lead source's intake key (shown once when the source was created)."),
)
_INTAKE_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid input, naming the field")),
    401: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Unknown or inactive source key")),
    413: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Body too large")),
    429: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Too many submissions (see Retry-After)")),
}


class PublicIntakeAPIView(APIView):
    """Anonymous: the source key is the credential, checked in the view."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


# --- Web form --------------------------------------------------------------------------------------------


class WebFormSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    dealer_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    models = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=10, required=False, default=list
    )
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    campaign = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    utm_source = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    utm_medium = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    utm_campaign = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    utm_term = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    consent_phone = serializers.BooleanField(required=False, default=False)
    consent_sms = serializers.BooleanField(required=False, default=False)
    consent_email = serializers.BooleanField(required=False, default=False)
    consent_wechat = serializers.BooleanField(required=False, default=False)
    rendered_at = serializers.FloatField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("When the form was shown (epoch seconds): a bot posts at once."),
    )
    website = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Honeypot: a hidden field people leave empty."),
    )

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)

    def validate_phone(self, value: str) -> str:
        if not value.strip():
            return ""
        # The extension is cut off here and kept by the capture: a contact point holds none.
        number, self.phone_extension = split_phone_extension(value)
        try:
            return phone_normalize(number)
        except InvalidPhone as error:
            raise serializers.ValidationError(str(error.message)) from error

    def validate_email(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return email_normalize(value)
        except InvalidEmail as error:
            raise serializers.ValidationError(str(error.message)) from error

    def validate(self, attrs):
        if not attrs.get("phone") and not attrs.get("email"):
            raise serializers.ValidationError(
                {"phone": [_("Give a phone number or an email address.")]}, code="contact_required"
            )
        return {
            **attrs,
            "phone_extension": getattr(self, "phone_extension", "") if attrs.get("phone") else "",
        }


class IntakeResultSerializer(serializers.Serializer):
    lead_id = serializers.IntegerField(allow_null=True)
    created = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())


class WebFormIntakeAPI(PublicIntakeAPIView):
    parser_classes = [api.JSONParser]

    @extend_schema(
        tags=["intake"],
        summary=gettext_lazy("Post a lead from a web form (public, authenticated by the source key)"),
        parameters=[_KEY],
        request=WebFormSerializer,
        responses={
            201: OpenApiResponse(IntakeResultSerializer, description=gettext_lazy("A new lead")),
            200: OpenApiResponse(
                IntakeResultSerializer, description=gettext_lazy("A repeat: attached to the open lead")
            ),
            202: OpenApiResponse(IntakeResultSerializer, description=gettext_lazy("Accepted")),
            **_INTAKE_ERRORS,
        },
        auth=[],
    )
    def post(self, request):
        body_size_check(request, WEB_FORM_MAX_BYTES)
        source = source_authenticate(key=request.headers.get(KEY_HEADER))
        try:
            rate_limit_check(source=source, client_ip=client_ip(request))
        except RateLimited as error:
            return rate_limited_response(error)
        if isinstance(request.data, dict) and request.data.get("website"):
            # The honeypot was filled: a bot. It is told nothing, and nothing is stored.
            return Response({"lead_id": None, "created": False, "warnings": []}, status=202)
        serializer = WebFormSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        fill_time_check(rendered_at=data.get("rendered_at"))
        dealer = intake_dealer(source=source, dealer_code=data.get("dealer_code", ""))
        result = web_form_capture(source=source, dealer=dealer, data=data)
        created = result.capture.created
        return Response(
            {"lead_id": result.capture.lead.id, "created": created, "warnings": result.warnings},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# --- ADF -------------------------------------------------------------------------------------------------


class XmlParser(BaseParser):
    """Hands the view the raw bytes: the ADF reader decodes and parses them safely itself."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(ADF_MAX_BYTES + 1) if stream is not None else b""
        if len(data) > ADF_MAX_BYTES:
            raise PayloadTooLarge(extra={"max_bytes": ADF_MAX_BYTES})
        return data


class TextXmlParser(XmlParser):
    media_type = "text/xml"


class ProspectResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.CharField(help_text=gettext_lazy("created, attached or rejected"))
    lead_id = serializers.IntegerField(allow_null=True)
    errors = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.CharField())


class AdfResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    attached = serializers.IntegerField()
    rejected = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())
    prospects = ProspectResultSerializer(many=True)


class AdfIntakeAPI(PublicIntakeAPIView):
    """ADF documents from OEM and lead sites. A document that cannot be read at all (unsafe XML, not ADF)
    is refused with 400 and nothing is stored. A readable document answers 200 with one result per
    prospect — even when some or all were rejected — because resending the same document would not help;
    the sender reads `rejected` and each prospect's errors."""

    parser_classes = [XmlParser, TextXmlParser]

    @extend_schema(
        tags=["intake"],
        summary=gettext_lazy("Post an ADF lead document (public, authenticated by the source key)"),
        parameters=[
            _KEY,
            OpenApiParameter(
                "dealer_code",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description=gettext_lazy(
                    "OEM-wide sources: the dealer to send the leads to (else each prospect's vendor id)."
                ),
            ),
        ],
        request={"application/xml": OpenApiTypes.STR, "text/xml": OpenApiTypes.STR},
        responses={
            200: OpenApiResponse(AdfResultSerializer, description=gettext_lazy("Per-prospect results")),
            **_INTAKE_ERRORS,
        },
        examples=[
            OpenApiExample(
                "ADF",
                value='<?xml version="1.0"?><adf><prospect>…</prospect></adf>',
                request_only=True,
                media_type="application/xml",
            )
        ],
        auth=[],
    )
    def post(self, request):
        body_size_check(request, ADF_MAX_BYTES)
        source = source_authenticate(key=request.headers.get(KEY_HEADER))
        try:
            rate_limit_check(source=source, client_ip=client_ip(request))
        except RateLimited as error:
            return rate_limited_response(error)
        document = parse_adf(request.data or b"", max_bytes=ADF_MAX_BYTES)
        results = adf_capture(
            source=source,
            prospects=document.prospects,
            dealer_code=request.query_params.get("dealer_code", ""),
        )
        counts = {
            name: sum(1 for r in results if r.status == name) for name in ("created", "attached", "rejected")
        }
        body = {
            **counts,
            "warnings": document.warnings,
            "prospects": [
                {
                    "index": r.index,
                    "status": r.status,
                    "lead_id": r.lead_id,
                    "errors": r.errors,
                    "warnings": r.warnings,
                }
                for r in results
            ],
        }
        return Response(body, status=status.HTTP_200_OK)
