"""Reads of the network for the browser: the dealer overview and a dealer's staff, scoped to the user."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from crm.core.exceptions import NotFound
from crm.network.access import access_for, dealers_visible
from crm.network.models import Brand, Dealer, Role, RoleAssignment


def _count_of(model, **filters):
    """A correlated COUNT(*) per dealer: one query for the whole list, no row multiplication."""
    rows = model.objects.filter(dealer=OuterRef("pk"), **filters).order_by().values("dealer")
    return Coalesce(
        Subquery(rows.annotate(total=Count("*")).values("total"), output_field=IntegerField()), Value(0)
    )


def dealers_overview(*, user) -> QuerySet[Dealer]:
    """Dealers the user oversees (a regional manager's regions, everything for an OEM admin), with their
    active staff and customer counts. Customers are counted through the dealer relationships the user's
    scope lets PostgreSQL show, so the count never reveals more than the user may see."""
    if not access_for(user).can_see_network:
        return Dealer.objects.none()
    # The relationship model lives in a higher app; reach it through the relation, not an import.
    customer_link_model = Dealer._meta.get_field("customer_links").related_model
    return (
        dealers_visible(user)
        .annotate(
            staff_count=_count_of(RoleAssignment, is_active=True),
            customer_count=_count_of(customer_link_model),
        )
        .prefetch_related(Prefetch("brands", queryset=Brand.objects.order_by("name")))
        .order_by("region__name", "code")
    )


def dealer_for_staff_page(*, user, dealer_id: int) -> tuple[Dealer, bool]:
    """The dealer and whether the user may change its staff. Dealer admins of the dealer and OEM admins
    manage; regional managers over its region read; anyone else gets NotFound."""
    access = access_for(user)
    can_manage = access.has_role(Role.OEM_ADMIN) or access.has_role(Role.DEALER_ADMIN, dealer_id=dealer_id)
    can_read = can_manage or (
        access.has_role(Role.REGIONAL_MANAGER) and dealer_id in access.region_dealer_ids
    )
    dealer = Dealer.objects.select_related("region").filter(id=dealer_id).first() if can_read else None
    if dealer is None:
        raise NotFound()
    return dealer, can_manage


def dealer_staff(*, dealer: Dealer) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.filter(dealer=dealer)
        .select_related("user")
        .order_by("-is_active", "user__first_name", "user__last_name", "user__username", "role")
    )


def staff_assignment_get(*, user, dealer: Dealer, assignment_id: int) -> RoleAssignment:
    assignment = dealer_staff(dealer=dealer).filter(id=assignment_id).first()
    if assignment is None:
        raise NotFound()
    return assignment
