"""The reads behind the import pages: where the user may import, and which sources and campaigns a list
may be filed under there. Scoped like every selector; row-level security refuses foreign rows anyway."""

from django.db.models import Q, QuerySet

from crm.network.access import access_for
from crm.network.models import Dealer, Role
from leads import permissions
from leads.models import Campaign, LeadSource


def import_dealers(*, user) -> QuerySet[Dealer]:
    """Dealers the user may import lists for: where they are sales manager or dealer admin; every active
    dealer for an OEM admin."""
    access = access_for(user)
    dealers = Dealer.objects.filter(is_active=True).order_by("name", "id")
    if access.has_role(Role.OEM_ADMIN):
        return dealers
    return dealers.filter(id__in=access.dealers_where(*permissions.IMPORT_ROLES))


def import_sources(*, user, dealer: Dealer | None) -> QuerySet[LeadSource]:
    """Active sources of `dealer` and the OEM-wide ones (no dealer), the dealer's own first."""
    own = Q(dealer=dealer) if dealer is not None and permissions.can_import(access_for(user)) else Q(pk__in=[])
    return (
        LeadSource.objects.filter(own | Q(dealer__isnull=True), is_active=True)
        .select_related("dealer")
        .order_by("dealer_id", "name", "id")
    )


def import_campaigns(*, user, dealer: Dealer | None) -> QuerySet[Campaign]:
    own = Q(dealer=dealer) if dealer is not None and permissions.can_import(access_for(user)) else Q(pk__in=[])
    return Campaign.objects.filter(own | Q(dealer__isnull=True)).order_by("-starts_on", "name", "id")
