"""Every read of the customer record, already scoped to the user (and enforced again by row-level security)."""

import re
from contextlib import suppress
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Exists, GeneratedField, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import NotFound
from crm.customers.exceptions import InvalidPhone
from crm.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomerDealer,
    CustomerMerge,
    DuplicateCandidate,
    Vehicle,
)
from crm.customers.normalize import digits, phone_normalize, plate_normalize
from crm.network.access import access_for
from crm.timeline.models import TimelineEvent

SEARCH_LIMIT = 25
_VIN_LIKE = re.compile(r"^[A-HJ-NPR-Z0-9]{6,17}$")
_PLATE_LIKE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-Z0-9]{4,6}$")


def _dealer_filter(queryset: QuerySet[Customer], user) -> QuerySet[Customer]:
    scope = access_for(user).scope
    if scope.network_wide:
        return queryset
    dealer_ids = list(scope.dealer_ids)
    linked = CustomerDealer.objects.filter(customer_id=OuterRef("pk"), dealer_id__in=dealer_ids)
    return queryset.filter(Exists(linked))


def customers_for_user(*, user) -> QuerySet[Customer]:
    """Customers the user may see: for dealer staff, those their dealers have a relationship with."""
    if not access_for(user).is_authenticated:
        return Customer.objects.none()
    return _dealer_filter(Customer.objects.filter(merged_into__isnull=True), user)


def customer_get(*, user, customer_id: int) -> Customer:
    customer = customers_for_user(user=user).filter(id=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


def customer_merged_into(*, user, customer_id: int) -> Customer | None:
    """Where a merged customer went, if the user can see the survivor (for old links)."""
    merge = CustomerMerge.objects.filter(merged_id=customer_id).order_by("-merged_at").first()
    if merge is None:
        return None
    survivor = merge.survivor
    while survivor.merged_into_id:
        survivor = survivor.merged_into
    return customers_for_user(user=user).filter(id=survivor.id).first()


@dataclass(frozen=True)
class SearchQuery:
    kind: str  # phone | phone_tail | plate | vin | vehicle (a plate or the end of a VIN) | name | empty
    value: str


def search_query_parse(text: str) -> SearchQuery:
    """Guess what the user typed: a phone (whole or its last digits), a VIN (whole or its end), a plate,
    or a name."""
    raw = (text or "").strip()
    if not raw:
        return SearchQuery("empty", "")
    compact = re.sub(r"[\s\-().·]", "", raw).upper()
    only_digits = digits(raw)
    if compact.lstrip("+").isdigit():
        if len(only_digits) >= 7:
            with suppress(InvalidPhone):  # not a whole valid number: search by its ending instead
                return SearchQuery("phone", phone_normalize(raw))
        if len(only_digits) >= 4:
            return SearchQuery("phone_tail", only_digits)
    if _PLATE_LIKE.match(compact):
        return SearchQuery("plate", plate_normalize(compact))
    if _VIN_LIKE.match(compact) and any(c.isdigit() for c in compact) and any(c.isalpha() for c in compact):
        return SearchQuery("vin" if len(compact) == 17 else "vehicle", compact)
    return SearchQuery("name", raw)


def customer_search(*, user, text: str, limit: int = SEARCH_LIMIT) -> tuple[SearchQuery, list[Customer]]:
    """Customers matching `text`, best first. Every branch is an index lookup (see the indexes on
    ContactPoint, Customer and Vehicle), so it stays fast at millions of customers."""
    query = search_query_parse(text)
    found = customers_matching(customers_for_user(user=user), query)
    if query.kind == "empty":
        found = found.order_by("-updated_at")
    elif query.kind == "name":
        found = found.order_by("name_lower", "id")
    return query, list(_with_card_data(found)[:limit])


def customers_matching(queryset: QuerySet[Customer], query: SearchQuery) -> QuerySet[Customer]:
    """The search's matching rule, once, on an already scoped queryset (the search page and the list API
    both use it). Each kind is an index lookup on a stored column: the phone, the reversed phone, the
    plate, the VIN, the reversed VIN, the lower-case name; never a LIKE on an expression."""
    if query.kind == "empty":
        return queryset
    if query.kind == "phone":
        owners = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, value=query.value)
        return queryset.filter(id__in=owners.values("customer_id"))
    if query.kind == "phone_tail":
        owners = ContactPoint.objects.filter(
            kind=ContactPoint.Kind.PHONE, **_prefix("value_reversed", query.value[::-1])
        )
        return queryset.filter(id__in=owners.values("customer_id"))
    if query.kind == "plate":
        return queryset.filter(id__in=Vehicle.objects.filter(plate=query.value).values("owner_id"))
    if query.kind == "vin":
        return queryset.filter(id__in=Vehicle.objects.filter(vin=query.value).values("owner_id"))
    if query.kind == "vehicle":
        vehicles = Vehicle.objects.filter(Q(**_prefix("vin_reversed", query.value[::-1])) | Q(plate=query.value))
        return queryset.filter(id__in=vehicles.values("owner_id"))
    return queryset.filter(**_prefix("name_lower", query.value.lower()))


def _prefix(field: str, prefix: str) -> dict:
    """`field` starts with `prefix`, as a range (>= prefix, < the next prefix) on a C-collated column: range
    comparisons are leakproof, so PostgreSQL uses the index even under row-level security, where it
    would not for LIKE."""
    return {f"{field}__gte": prefix, f"{field}__lt": prefix[:-1] + chr(ord(prefix[-1]) + 1)}


def _with_card_data(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    return queryset.prefetch_related(
        Prefetch("contact_points", queryset=ContactPoint.objects.order_by("-is_primary", "kind", "id")),
        Prefetch(
            "vehicles",
            queryset=Vehicle.objects.select_related("selling_dealer").order_by("-purchase_date", "id"),
        ),
    )


def customer_card(*, user, customer_id: int) -> Customer:
    """The customer with everything the 360 page shows, loaded in a fixed number of queries."""
    queryset = customers_for_user(user=user).filter(id=customer_id).select_related("origin_dealer")
    customer = (
        _with_card_data(queryset)
        .prefetch_related(
            Prefetch("consents", queryset=Consent.objects.select_related("recorded_by", "dealer")),
            Prefetch("dealer_links", queryset=CustomerDealer.objects.select_related("dealer__region")),
        )
        .first()
    )
    if customer is None:
        raise NotFound()
    return customer


def customer_timeline_queryset(*, user, customer: Customer) -> QuerySet[TimelineEvent]:
    """The customer's events the user may see (own dealers' and network events), newest first."""
    events = TimelineEvent.objects.filter(customer=customer).select_related("actor", "dealer")
    scope = access_for(user).scope
    if not scope.network_wide:
        events = events.filter(Q(dealer_id__in=scope.dealer_ids) | Q(dealer__isnull=True))
    return events.order_by("-occurred_at", "-id")


def customer_timeline(
    *, user, customer: Customer, before_id: int | None = None, limit: int = 50
) -> list[TimelineEvent]:
    """One page of the feed; `before_id` is the last event of the previous page (keyset on occurred_at, id,
    so back-dated events neither repeat nor go missing between pages)."""
    events = customer_timeline_queryset(user=user, customer=customer)
    if before_id is not None:
        last = events.filter(id=before_id).values_list("occurred_at", flat=True).first()
        if last is None:
            return []
        events = events.filter(Q(occurred_at__lt=last) | Q(occurred_at=last, id__lt=before_id))
    return list(events[:limit])


def vehicles_for_user(*, user) -> QuerySet[Vehicle]:
    if not access_for(user).is_authenticated:
        return Vehicle.objects.none()
    scope = access_for(user).scope
    vehicles = Vehicle.objects.select_related("owner", "selling_dealer")
    if scope.network_wide:
        return vehicles
    dealer_ids = list(scope.dealer_ids)
    owner_visible = Exists(
        CustomerDealer.objects.filter(customer_id=OuterRef("owner_id"), dealer_id__in=dealer_ids)
    )
    return vehicles.filter(
        owner_visible | Q(recorded_by_dealer_id__in=dealer_ids) | Q(selling_dealer_id__in=dealer_ids)
    )


def vehicle_get(*, user, vehicle_id: int) -> Vehicle:
    vehicle = vehicles_for_user(user=user).filter(id=vehicle_id).first()
    if vehicle is None:
        raise NotFound()
    return vehicle


def customers_visible_ids(*, user, ids: list[int]) -> list[int]:
    """Of `ids`, those the user may see (a possible duplicate at another dealer stays unknown)."""
    if not ids:
        return []
    return sorted(customers_for_user(user=user).filter(id__in=ids).values_list("id", flat=True))


def duplicates_for_user(
    *, user, status: str = DuplicateCandidate.Status.OPEN
) -> QuerySet[DuplicateCandidate]:
    """Pairs the user may review: both customers visible to them."""
    visible = customers_for_user(user=user)
    return (
        DuplicateCandidate.objects.filter(status=status)
        .filter(customer__in=visible, other__in=visible)
        .select_related("customer", "other")
        .prefetch_related("customer__contact_points", "other__contact_points")
        .order_by("-score", "-created_at")
    )


@dataclass(frozen=True)
class HistoryEntry:
    at: object
    what: str
    action: str
    changes: dict  # field label -> (old, new)
    user_id: int | None


# Bookkeeping, and the links that make a row this customer's (its customer, owner, recording dealer and
# user, which the "who" column already shows).
_HISTORY_IGNORED = {
    "updated_at",
    "version",
    "created_at",
    "id",
    "customer_id",
    "owner_id",
    "recorded_by_id",
    "recorded_by_dealer_id",
    "dealer_id",
}


@dataclass(frozen=True)
class _Related:
    """A foreign key's value, until the names of all the rows it points at are looked up at once."""

    model: type
    pk: int


def _shown(field, value):
    """A recorded value in the reader's words: a choice's label for a code, yes/no for a flag."""
    if value is None or value == "":
        return value
    if field.is_relation:
        return _Related(field.related_model, value)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


def _name_related(entries: list) -> None:
    """Replace the foreign keys of `entries`' changes by the names of the rows (one query per model)."""
    wanted: dict[type, set[int]] = {}
    for entry in entries:
        for values in entry.changes.values():
            for value in values:
                if isinstance(value, _Related):
                    wanted.setdefault(value.model, set()).add(value.pk)
    names = {
        (model, pk): str(row)
        for model, pks in wanted.items()
        for pk, row in model.objects.in_bulk(pks).items()
    }
    for entry in entries:
        for label, values in entry.changes.items():
            entry.changes[label] = tuple(
                names.get((value.model, value.pk), f"#{value.pk}") if isinstance(value, _Related) else value
                for value in values
            )


def customer_history(*, user, customer: Customer, limit: int = 300) -> list[HistoryEntry]:
    """Field-level changes (old → new) to the customer, its contact points, consents and vehicles, as the
    database triggers recorded them (so bulk updates and raw SQL show too). `customer` must come from a
    scoped selector; row-level security applies to the history tables as well."""
    entries: list[HistoryEntry] = []
    sources = [
        (Customer, {"pgh_obj_id": customer.id}),
        (ContactPoint, {"customer_id": customer.id}),
        (Consent, {"customer_id": customer.id}),
        (Vehicle, {"owner_id": customer.id}),
    ]
    for model, filters in sources:
        event_model = apps.get_model(model._meta.app_label, f"{model.__name__}Event")
        rows = list(
            event_model.objects.filter(**filters).select_related("pgh_context").order_by("-pgh_id")[:limit]
        )
        fields = [
            f
            for f in model._meta.concrete_fields
            if f.attname not in _HISTORY_IGNORED and not isinstance(f, GeneratedField)
        ]
        previous: dict[int, dict] = {}
        for row in reversed(rows):
            values = {f.attname: _shown(f, getattr(row, f.attname)) for f in fields}
            before = previous.get(row.pgh_obj_id)
            previous[row.pgh_obj_id] = values
            if row.pgh_label == "insert":
                changes = {
                    f.verbose_name: (None, values[f.attname])
                    for f in fields
                    if values[f.attname] not in (None, "")
                }
            elif before is None:
                continue  # the oldest row in the window: nothing to compare it with
            else:
                changes = {
                    f.verbose_name: (before[f.attname], values[f.attname])
                    for f in fields
                    if before[f.attname] != values[f.attname]
                }
            if changes or row.pgh_label == "delete":
                context = row.pgh_context.metadata if row.pgh_context_id else {}
                entries.append(
                    HistoryEntry(
                        at=row.pgh_created_at,
                        what=str(model._meta.verbose_name),
                        action=row.pgh_label,
                        changes={str(k): v for k, v in changes.items()},
                        user_id=context.get("user"),
                    )
                )
    entries.sort(key=lambda e: e.at, reverse=True)
    entries = entries[:limit]
    _name_related(entries)
    return entries
