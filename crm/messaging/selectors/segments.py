"""Segments: which customers a saved segment selects. The filters on the customer record are defined here
and registered like any higher app's (`crm.messaging.registry.segment_filter_register`).

A filter is a form field plus a function that narrows a Customer queryset by the field's value. Values are
stored as JSON (dates as ISO strings, choices as strings), so a saved segment is re-applied as it was.
"""

from datetime import date, timedelta

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.customers.models import Consent, Customer, CustomerDealer, Language, Vehicle
from crm.messaging.registry import SegmentFilter, segment_filter_get, segment_filter_register


def to_json(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [to_json(v) for v in value]
    return value


def segment_customers(*, filters: dict, dealer_id: int | None) -> QuerySet[Customer]:
    """Customers the segment selects, one row each, merged-away records left out. A dealer's segment only
    reaches the dealer's own customers (those it has a relationship with)."""
    customers = Customer.objects.filter(merged_into__isnull=True)
    if dealer_id is not None:
        customers = customers.filter(
            Exists(CustomerDealer.objects.filter(customer=OuterRef("pk"), dealer_id=dealer_id))
        )
    for key, value in (filters or {}).items():
        if value in (None, "", [], {}):
            continue
        customers = segment_filter_get(key).apply(customers, value, dealer_id)
    return customers


def _dealer_link(**conditions):
    return Exists(CustomerDealer.objects.filter(customer=OuterRef("pk"), **conditions))


def _owns(**conditions):
    return Exists(Vehicle.objects.filter(owner=OuterRef("pk"), **conditions))


def _days_ago(days) -> object:
    return timezone.now() - timedelta(days=int(days))


def _models_list(value) -> list[str]:
    return [part.strip() for part in str(value).replace("，", ",").split(",") if part.strip()]


def _region_field():
    from crm.network.models import Region

    return forms.TypedMultipleChoiceField(
        label=_("Region"),
        required=False,
        coerce=int,
        choices=lambda: list(Region.objects.order_by("name").values_list("id", "name")),
    )


CORE_FILTERS = [
    SegmentFilter(
        key="region",
        label=_("Region"),
        field=_region_field,
        apply=lambda qs, value, dealer_id: qs.filter(_dealer_link(dealer__region_id__in=value)),
        order=10,
    ),
    SegmentFilter(
        key="city",
        label=_("City"),
        field=lambda: forms.CharField(label=_("City"), required=False, max_length=100),
        apply=lambda qs, value, dealer_id: qs.filter(city=value.strip()),
        order=20,
    ),
    SegmentFilter(
        key="models_owned",
        label=_("Owns one of these models"),
        field=lambda: forms.CharField(
            label=_("Owns one of these models"),
            required=False,
            max_length=300,
            help_text=_("Comma-separated, e.g. Model 3, Model Y"),
        ),
        apply=lambda qs, value, dealer_id: qs.filter(
            _owns(model__in=_models_list(value)) if _models_list(value) else Q()
        ),
        group="vehicle",
        order=30,
    ),
    SegmentFilter(
        key="purchased_from",
        label=_("Bought a car on or after"),
        field=lambda: forms.DateField(
            label=_("Bought a car on or after"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        ),
        apply=lambda qs, value, dealer_id: qs.filter(_owns(purchase_date__gte=value)),
        group="vehicle",
        order=40,
    ),
    SegmentFilter(
        key="purchased_to",
        label=_("Bought a car on or before"),
        field=lambda: forms.DateField(
            label=_("Bought a car on or before"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        ),
        apply=lambda qs, value, dealer_id: qs.filter(_owns(purchase_date__lte=value)),
        group="vehicle",
        order=41,
    ),
    SegmentFilter(
        key="seen_within_days",
        label=_("Last visit within (days)"),
        field=lambda: forms.IntegerField(label=_("Last visit within (days)"), required=False, min_value=1),
        apply=lambda qs, value, dealer_id: qs.filter(
            _dealer_link(
                last_seen_at__gte=_days_ago(value), **({"dealer_id": dealer_id} if dealer_id else {})
            )
        ),
        order=50,
    ),
    SegmentFilter(
        key="not_seen_for_days",
        label=_("No visit for at least (days)"),
        field=lambda: forms.IntegerField(
            label=_("No visit for at least (days)"), required=False, min_value=1
        ),
        apply=lambda qs, value, dealer_id: qs.exclude(
            _dealer_link(
                last_seen_at__gte=_days_ago(value), **({"dealer_id": dealer_id} if dealer_id else {})
            )
        ),
        order=51,
    ),
    SegmentFilter(
        key="marketing_consent",
        label=_("Opted in to marketing by"),
        field=lambda: forms.ChoiceField(
            label=_("Opted in to marketing by"),
            required=False,
            choices=[("", "—"), ("sms", _("SMS")), ("email", _("Email"))],
        ),
        apply=lambda qs, value, dealer_id: qs.filter(
            Exists(
                Consent.objects.filter(
                    customer=OuterRef("pk"),
                    channel=value,
                    purpose=Consent.Purpose.MARKETING,
                    status=Consent.Status.OPT_IN,
                )
            )
        ),
        order=60,
    ),
    SegmentFilter(
        key="language",
        label=_("Language"),
        field=lambda: forms.ChoiceField(
            label=_("Language"), required=False, choices=[("", "—"), *Language.choices]
        ),
        apply=lambda qs, value, dealer_id: qs.filter(preferred_language=value),
        order=70,
    ),
    SegmentFilter(
        key="birthday_month",
        label=_("Birthday month"),
        field=lambda: forms.TypedChoiceField(
            label=_("Birthday month"),
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", "—"), *[(m, str(m)) for m in range(1, 13)]],
        ),
        apply=lambda qs, value, dealer_id: qs.filter(birthday__month=int(value)),
        order=80,
    ),
]

for _filter in CORE_FILTERS:
    segment_filter_register(_filter)
