"""The dealers API (read-only), for the OEM's systems: the registered key figures and one dealer's values over
a period; the scorecards and the findings. Scoped like the rest of the API (row-level security, and the same
selectors and role rules as the pages): a dealer or row outside the caller's scope is not found, and an OEM
caller's reads of scorecards and findings go into each dealer's OEM read log, as the pages' do."""

from datetime import date

import django_filters
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from crm.core import api, key_figures
from crm.core.api import ErrorSerializer, IdCursorPagination
from crm.core.exceptions import NotFound
from crm.core.replica import reading_replica
from crm.network.access import access_for
from crm.network.api import AccessScopedAPIView
from dealers import permissions
from dealers.api import serializers as s
from dealers.models import Finding, OemRead, Scorecard
from dealers.models.findings import Severity
from dealers.selectors import audits as audit_selectors
from dealers.selectors import scorecards as scorecard_selectors
from dealers.selectors.figures import Period, figure_values
from dealers.services import oem_reads_record


class CanReadFigures(BasePermission):
    message = _("You are not allowed to do this.")

    def has_permission(self, request, view) -> bool:
        return permissions.can_read_any_figures(access_for(request.user))


class FiguresAPIView(AccessScopedAPIView):
    """Key figures are computed, not rows of a model: no queryset, no filters, no pagination."""

    permission_classes = [IsAuthenticated, CanReadFigures]
    filter_backends = []
    pagination_class = None


class FigureListAPI(FiguresAPIView):
    """Every key figure the apps registered: code, label, unit, direction and definition (in the language of
    the request)."""

    serializer_class = s.KeyFigureSerializer

    @extend_schema(
        tags=["figures"],
        summary=_("The key figures registered"),
        parameters=[s.CatalogueQuerySerializer],
        responses={
            200: s.KeyFigureSerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, description=_("A query parameter is invalid")),
            403: OpenApiResponse(ErrorSerializer, description=_("Not allowed for your role")),
        },
    )
    def get(self, request):
        query = s.CatalogueQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        figures = key_figures.figures()
        if query.validated_data.get("group"):
            figures = [figure for figure in figures if figure.group == query.validated_data["group"]]
        return Response(s.KeyFigureSerializer(figures, many=True).data)


class DealerFiguresAPI(FiguresAPIView):
    """One dealer's key figures over a period of its local days: each value with its numerator and denominator
    (a share's counts, a median's number of values) and the page listing the rows behind it."""

    serializer_class = s.DealerFiguresSerializer

    @extend_schema(
        tags=["figures"],
        summary=_("A dealer's key figures over a period of its local days"),
        parameters=[
            s.PeriodQuerySerializer,
            OpenApiParameter("figure", str, many=True, explode=True, description=_("Figure codes")),
        ],
        responses={
            200: s.DealerFiguresSerializer,
            400: OpenApiResponse(ErrorSerializer, description=_("A query parameter is invalid")),
            403: OpenApiResponse(ErrorSerializer, description=_("Not allowed for your role")),
            404: OpenApiResponse(ErrorSerializer, description=_("Missing, or not visible to you")),
        },
    )
    def get(self, request, pk: int):
        if not permissions.can_read_figures(access_for(request.user), pk):
            raise NotFound()
        query = s.PeriodQuerySerializer(
            data={**request.query_params.dict(), "figure": request.query_params.getlist("figure")}
            if "figure" in request.query_params
            else request.query_params.dict()
        )
        query.is_valid(raise_exception=True)
        period = Period(query.validated_data["first_day"], query.validated_data["last_day"])
        codes = query.validated_data.get("figure") or [figure.code for figure in key_figures.figures()]
        with reading_replica(user=request.user):  # the OEM's systems' reports: the replica when there is one
            values = figure_values(codes=codes, dealer_ids=[pk], period=period)
        figures = []
        for code in codes:
            figure, value = key_figures.figure_get(code), values[code][pk]
            figures.append(
                {
                    "code": code,
                    "unit": figure.unit.value,
                    "value": _number(value.value),
                    "numerator": _number(value.numerator),
                    "denominator": _number(value.denominator),
                    "rows_url": figure.rows_url(pk, period.first_day, period.last_day) if figure.rows_url else None,
                }
            )
        return Response(
            s.DealerFiguresSerializer(
                {"dealer": pk, "first_day": period.first_day, "last_day": period.last_day, "figures": figures}
            ).data
        )


def _number(value):
    return None if value is None else float(value)


# --- Scorecards and findings (read-only, paginated, scoped like the pages) ---------------------------------


class CanReadScorecards(BasePermission):
    message = _("You are not allowed to do this.")

    def has_permission(self, request, view) -> bool:
        return permissions.can_see_scorecards(access_for(request.user))


class CanReadFindings(BasePermission):
    message = _("You are not allowed to do this.")

    def has_permission(self, request, view) -> bool:
        return permissions.can_see_findings(access_for(request.user))


_MONTH = RegexValidator(r"^\d{4}-(0[1-9]|1[0-2])$", _("Give a month as YYYY-MM."))


class ScorecardFilter(api.FilterSet):
    dealer = django_filters.NumberFilter(field_name="dealer_id")
    month = django_filters.CharFilter(method="filter_month", validators=[_MONTH], help_text=_("YYYY-MM"))
    status = django_filters.ChoiceFilter(choices=Scorecard.Status.choices)

    class Meta:
        model = Scorecard
        fields = []  # only the filters declared above: an allow-list

    def filter_month(self, queryset, name, value):
        year, month = (int(part) for part in value.split("-"))
        return queryset.filter(month=date(year, month, 1))


class FindingFilter(api.FilterSet):
    dealer = django_filters.NumberFilter(field_name="dealer_id")
    status = django_filters.MultipleChoiceFilter(choices=Finding.Status.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    source = django_filters.ChoiceFilter(choices=Finding.Source.choices)

    class Meta:
        model = Finding
        fields = []


_LIST_ERRORS = {
    **api.QUERY_ERRORS,
    403: OpenApiResponse(ErrorSerializer, description=_("Not allowed for your role")),
}
_ONE_ERRORS = {
    403: OpenApiResponse(ErrorSerializer, description=_("Not allowed for your role")),
    404: OpenApiResponse(ErrorSerializer, description=_("Missing, or not visible to you")),
}


class JudgingAPIView(AccessScopedAPIView):
    """A read of the OEM's judgements of dealers; an OEM caller's read goes into each dealer's read log."""

    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    pagination_class = IdCursorPagination
    read_subject = ""

    def is_schema_generation(self) -> bool:
        return getattr(self, "swagger_fake_view", False)

    def record_read(self, dealer_ids) -> None:
        oem_reads_record(
            reader=self.request.user,
            dealer_ids=dealer_ids,
            kind=OemRead.Kind.API,
            what=self.read_subject,
            path=self.request.get_full_path(),
        )

    def list_recorded(self, request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self.record_read([row.dealer_id for row in page])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ScorecardListAPI(JudgingAPIView):
    """Scorecards you may read: the OEM every version of its dealers' (drafts too), a dealer's managers their
    dealer's published ones. Newest first; a restatement is a new version pointing at the one it restates."""

    permission_classes = [IsAuthenticated, CanReadScorecards]
    filterset_class = ScorecardFilter
    serializer_class = s.ScorecardSerializer
    read_subject = OemRead.Subject.API_SCORECARDS

    def get_queryset(self):
        if self.is_schema_generation():
            return Scorecard.objects.none()
        return scorecard_selectors.scorecards_for_user(user=self.request.user)

    @extend_schema(tags=["scorecards"], summary=_("Scorecards you can read"), responses={
        200: s.ScorecardSerializer(many=True), **_LIST_ERRORS,
    })
    def get(self, request):
        return self.list_recorded(request)


class ScorecardDetailAPI(JudgingAPIView):
    """One scorecard with its lines: each key figure's terms (weight, target, floor), value and points."""

    permission_classes = [IsAuthenticated, CanReadScorecards]
    serializer_class = s.ScorecardDetailSerializer
    read_subject = OemRead.Subject.API_SCORECARDS
    pagination_class = None
    filter_backends = []

    @extend_schema(tags=["scorecards"], summary=_("One scorecard"), responses={
        200: s.ScorecardDetailSerializer, **_ONE_ERRORS,
    })
    def get(self, request, pk: int):
        scorecard = scorecard_selectors.scorecard_get(user=request.user, scorecard_id=pk)
        self.record_read([scorecard.dealer_id])
        return Response(s.ScorecardDetailSerializer(scorecard).data)


class FindingListAPI(JudgingAPIView):
    """Findings you may read: the OEM's over its dealers, a dealer's managers their dealer's, a salesperson
    those they own. Oldest due first within each status."""

    permission_classes = [IsAuthenticated, CanReadFindings]
    filterset_class = FindingFilter
    serializer_class = s.FindingSerializer
    read_subject = OemRead.Subject.API_FINDINGS

    def get_queryset(self):
        if self.is_schema_generation():
            return Finding.objects.none()
        return audit_selectors.findings_for_user(user=self.request.user).select_related("audit_result")

    @extend_schema(tags=["findings"], summary=_("Findings you can read"), responses={
        200: s.FindingSerializer(many=True), **_LIST_ERRORS,
    })
    def get(self, request):
        return self.list_recorded(request)


class FindingDetailAPI(JudgingAPIView):
    permission_classes = [IsAuthenticated, CanReadFindings]
    serializer_class = s.FindingSerializer
    read_subject = OemRead.Subject.API_FINDINGS
    pagination_class = None
    filter_backends = []

    @extend_schema(tags=["findings"], summary=_("One finding"), responses={
        200: s.FindingSerializer, **_ONE_ERRORS,
    })
    def get(self, request, pk: int):
        finding = audit_selectors.finding_get(user=request.user, finding_id=pk)
        self.record_read([finding.dealer_id])
        return Response(s.FindingSerializer(finding).data)
