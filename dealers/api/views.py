"""The figures API (read-only): the registered key figures, and one dealer's values over a period, for the
OEM's systems. Scoped like the rest of the API: a dealer outside the caller's scope is not found."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from crm.core import key_figures
from crm.core.api import ErrorSerializer
from crm.core.exceptions import NotFound
from crm.core.replica import reading_replica
from crm.network.access import access_for
from crm.network.api import AccessScopedAPIView
from dealers import permissions
from dealers.api import serializers as s
from dealers.selectors.figures import Period, figure_values


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
