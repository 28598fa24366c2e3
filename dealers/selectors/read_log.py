"""The OEM read log as a dealer's admin sees it: who at the OEM read the dealer's data, and when."""

from django.db.models import QuerySet

from crm.core.exceptions import NotFound
from crm.network.access import access_for
from crm.network.models import Dealer, Role
from dealers.models import OemRead

READ_LOG_PAGE_SIZE = 50


def oem_reads_for_dealer(*, user, dealer: Dealer) -> QuerySet[OemRead]:
    """The dealer's read log, newest first, for the dealer's admins only (NotFound for anyone else)."""
    if not access_for(user).has_role(Role.DEALER_ADMIN, dealer_id=dealer.id):
        raise NotFound()
    return OemRead.objects.filter(dealer=dealer).select_related("reader").order_by("-read_at", "-id")
