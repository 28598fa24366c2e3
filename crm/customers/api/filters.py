"""The customer API's filters: allow-lists, nothing that filters across relations the caller cannot see."""

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework.filters import OrderingFilter

from crm.core import api
from crm.customers.models import Customer, Vehicle
from crm.customers.normalize import plate_normalize
from crm.customers.selectors import customers_matching, search_query_parse

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
        # The search page's own rule (selectors.customers_matching), so the list API can paginate past the
        # search's first 25 on the same indexed columns.
        return customers_matching(queryset, search_query_parse(value))


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
