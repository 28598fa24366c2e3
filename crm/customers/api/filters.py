"""The customer API's filters: allow-lists, nothing that filters across relations the caller cannot see."""

import django_filters
from django.db.models import QuerySet
from django.db.models.functions import Lower, Reverse
from django.utils.translation import gettext_lazy as _
from rest_framework.filters import OrderingFilter

from crm.core import api
from crm.customers.models import ContactPoint, Customer, Vehicle
from crm.customers.normalize import plate_normalize
from crm.customers.selectors import search_query_parse


def _customer_search_filter(queryset: QuerySet[Customer], text: str) -> QuerySet[Customer]:
    """selectors.customer_search's matching rules, as a filter on an already scoped queryset, so the list
    API can paginate it instead of stopping at the first 25."""
    query = search_query_parse(text)
    if query.kind == "empty":
        return queryset
    if query.kind == "phone":
        owners = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, value=query.value)
        return queryset.filter(id__in=owners.values("customer_id"))
    if query.kind == "phone_tail":
        owners = ContactPoint.objects.annotate(reversed_value=Reverse("value")).filter(
            kind=ContactPoint.Kind.PHONE, reversed_value__startswith=query.value[::-1]
        )
        return queryset.filter(id__in=owners.values("customer_id"))
    if query.kind == "plate":
        return queryset.filter(id__in=Vehicle.objects.filter(plate=query.value).values("owner_id"))
    if query.kind == "vin":
        vehicles = Vehicle.objects.annotate(reversed_vin=Reverse("vin")).filter(
            reversed_vin__startswith=query.value[::-1]
        )
        return queryset.filter(id__in=vehicles.values("owner_id"))
    return queryset.annotate(lower_name=Lower("name")).filter(lower_name__startswith=query.value.lower())


# --- Filters --------------------------------------------------------------------------------------------


class CustomerFilter(api.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label=_("Search: a name, a phone or its last digits, a VIN or its end, a plate")
    )
    city = django_filters.CharFilter(field_name="city", lookup_expr="iexact")
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices)
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Customer
        fields = []  # only the filters declared above: an allow-list

    def filter_q(self, queryset, name, value):
        return _customer_search_filter(queryset, value)


class VehicleFilter(api.FilterSet):
    vin = django_filters.CharFilter(method="filter_vin")
    plate = django_filters.CharFilter(method="filter_plate")
    owner = django_filters.NumberFilter(field_name="owner")

    class Meta:
        model = Vehicle
        fields = []

    def filter_vin(self, queryset, name, value):
        return queryset.filter(vin=value.replace(" ", "").replace("-", "").upper())

    def filter_plate(self, queryset, name, value):
        return queryset.filter(plate=plate_normalize(value))


class AllowListOrderingFilter(OrderingFilter):
    """`ordering` among the view's `ordering_fields` only (anything else is ignored), with the id as the
    tie-breaker, so a cursor over a non-unique field never skips or repeats a row."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or ())
        if ordering and ordering[-1].lstrip("-") not in ("id", "pk"):
            ordering.append("-id" if ordering[-1].startswith("-") else "id")
        return ordering

    def get_schema_operation_parameters(self, view):
        fields = [name for field in view.ordering_fields for name in (field, f"-{field}")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": str(_("Sort order (default: newest id first).")),
                "schema": {"type": "string", "enum": fields},
            }
        ]
