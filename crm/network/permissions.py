"""Who may do what with the network's own rows (dealer staff): the one home of each rule, for pages and
services alike. What a user may *see* is decided by `crm/network/access.py`."""

from crm.network.models import Role


def can_manage_dealer_staff(access, dealer_id: int) -> bool:
    """Dealer admins of the dealer and OEM admins add and deactivate its staff."""
    return access.has_role(Role.OEM_ADMIN) or access.has_role(Role.DEALER_ADMIN, dealer_id=dealer_id)


def can_read_dealer_staff(access, dealer_id: int) -> bool:
    """Those who manage it, and the OEM regional managers over the dealer's region."""
    return can_manage_dealer_staff(access, dealer_id) or (
        access.has_role(Role.REGIONAL_MANAGER) and dealer_id in access.region_dealer_ids
    )
