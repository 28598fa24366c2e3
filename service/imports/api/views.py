"""The DMS push API: a dealer's DMS sends repair order lines as JSON with an Idempotency-Key header; the
import is the file upload's (service.imports.services), so the rules are the same. The same key with the
same rows answers the first import's result again (200); with other rows it is refused (409)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from crm.core import api
from crm.core.api import ErrorSerializer
from crm.core.exceptions import NotFound
from crm.core.spreadsheets import Table
from crm.network.access import access_for
from crm.network.api import AccessScopedAPIView
from crm.network.selectors import acting_dealer
from service.dms import COLUMNS
from service.imports import selectors, services
from service.models import DmsImport, DmsImportRow
from service.permissions import WORKSHOP_ROLES, runs_a_workshop

MAX_ROWS = 5000
FIELDS = list(COLUMNS)


class RunsAWorkshop(BasePermission):
    message = _("You are not allowed to do this.")

    def has_permission(self, request, view) -> bool:
        return runs_a_workshop(access_for(request.user))


class DmsRowSerializer(serializers.Serializer):
    """One line of one repair order, as the DMS has it; every value is text as in an export."""

    def get_fields(self):
        return {
            name: serializers.CharField(required=False, allow_blank=True, max_length=300, trim_whitespace=False)
            for name in FIELDS
        }


class DmsPushSerializer(serializers.Serializer):
    dealer = serializers.IntegerField(
        required=False, help_text=_("The dealer the orders belong to, when the caller works at several.")
    )
    file_name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    rows = DmsRowSerializer(many=True, allow_empty=False, max_length=MAX_ROWS)


class DmsImportRowSerializer(api.ModelSerializer):
    class Meta:
        model = DmsImportRow
        fields = ["row_number", "ro_number", "line_number", "outcome", "message"]


class DmsImportSerializer(api.ModelSerializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = serializers.SerializerMethodField()

    class Meta:
        model = DmsImport
        fields = ["id", "dealer", "source", "file_name", "idempotency_key", "imported_at", "counts", "rows"]

    @extend_schema_field(DmsImportRowSerializer(many=True))
    def get_rows(self, obj) -> list[dict]:
        return DmsImportRowSerializer(selectors.import_rows(dms_import=obj), many=True).data


_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=_("Unique per push: sending the same push again returns its first result."),
)
_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input, a missing key, or an unknown dealer")),
    403: OpenApiResponse(ErrorSerializer, description=_("Only a dealer's workshop staff push its DMS orders")),
    409: OpenApiResponse(ErrorSerializer, description=_("The key was already used for other rows")),
}


class DmsImportAPI(AccessScopedAPIView):
    permission_classes = [IsAuthenticated, RunsAWorkshop]
    serializer_class = DmsPushSerializer

    @extend_schema(
        tags=["service"],
        summary=_("Push repair order lines from a DMS (idempotent by dealer + RO number + line number)"),
        parameters=[_KEY],
        request=DmsPushSerializer,
        responses={201: DmsImportSerializer, 200: DmsImportSerializer, **_ERRORS},
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 100:
            raise ValidationError({"Idempotency-Key": [_("Send an Idempotency-Key header of 1 to 100 characters.")]})
        serializer = DmsPushSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            dealer = acting_dealer(user=request.user, roles=WORKSHOP_ROLES, wanted=data.get("dealer"))
        except NotFound as error:
            raise ValidationError({"dealer": [_("You run no workshop at this dealer.")]}) from error
        table = Table(
            headers=FIELDS,
            rows=[[str(row.get(name, "")) for name in FIELDS] for row in data["rows"]],
            encoding="json",
            sheet=None,
            row_numbers=list(range(1, len(data["rows"]) + 1)),
        )
        already = selectors.imports_for_user(user=request.user).filter(dealer=dealer, idempotency_key=key).exists()
        dms_import = services.dms_import_run(
            dealer=dealer,
            by=request.user,
            table=table,
            file_name=data.get("file_name", ""),
            source=DmsImport.Source.API,
            idempotency_key=key,
            mapping={name: index for index, name in enumerate(FIELDS)},
        )
        return Response(
            DmsImportSerializer(dms_import).data, status=status.HTTP_200_OK if already else status.HTTP_201_CREATED
        )
