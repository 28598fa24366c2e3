"""The small lists the funnel's forms offer: a dealer's models, demo cars, lead sources and salespeople."""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from crm.network.access import access_for
from crm.network.models import Role
from crm.network.selectors import brand_models_for_dealer
from leads.models import DemoCar, LeadSource

User = get_user_model()


def dealer_models(*, dealer_id: int) -> list[str]:
    """Models a salesperson taps on the visit log and picks in forms: the model list of the brands the dealer
    sells (as leads store them), else — for a dealer whose brands have no list yet — its demo cars' models."""
    catalogue = list(brand_models_for_dealer(dealer_id=dealer_id).values_list("code", flat=True)[:40])
    if catalogue:
        return list(dict.fromkeys(catalogue))
    return list(
        DemoCar.objects.filter(dealer_id=dealer_id)
        .order_by("model")
        .values_list("model", flat=True)
        .distinct()[:30]
    )


def demo_cars(*, dealer_id: int) -> QuerySet[DemoCar]:
    return DemoCar.objects.filter(dealer_id=dealer_id, is_active=True).order_by("model", "plate")


def lead_sources(*, user) -> QuerySet[LeadSource]:
    """Sources a filter may offer: the OEM's and the user's dealers' own."""
    scope = access_for(user).scope
    sources = LeadSource.objects.order_by("name")
    if not scope.network_wide:
        sources = sources.filter(Q(dealer__isnull=True) | Q(dealer_id__in=scope.dealer_ids))
    return sources[:200]


def salespeople(*, dealer_id: int | None = None, dealer_ids=(), active_only: bool = True) -> QuerySet:
    """The dealer's salespeople (a departing one may already be inactive: reassignment still needs them)."""
    dealer_ids = [dealer_id] if dealer_id is not None else list(dealer_ids)
    people = User.objects.filter(
        role_assignments__dealer_id__in=dealer_ids, role_assignments__role=Role.SALESPERSON
    )
    if active_only:
        people = people.filter(is_active=True, role_assignments__is_active=True)
    return people.distinct().order_by("first_name", "username")
