"""Who may do what in `dealers`: the one home of each rule, used by pages, API and services."""

from crm.network.models import DEALER_MANAGER_ROLES, OEM_OVERSIGHT_ROLES


def can_read_figures(access, dealer_id: int) -> bool:
    """A dealer's key figures: the OEM's oversight within its scope (its regions, or the network), and the
    dealer's own managers. Salespeople, advisors and the call centre do not read the dealers' scores."""
    if not access.can_see_dealer(dealer_id):
        return False
    return access.has_role(*OEM_OVERSIGHT_ROLES) or access.has_role(*DEALER_MANAGER_ROLES, dealer_id=dealer_id)


def can_read_any_figures(access) -> bool:
    return access.has_role(*OEM_OVERSIGHT_ROLES) or bool(access.dealers_where(*DEALER_MANAGER_ROLES))
