"""Who may do what with the network's own rows (dealer staff): the one home of each rule, for pages and
services alike. What a user may *see* is decided by `crm/network/access.py`."""

from django.conf import settings

from crm.network.models import DEALER_ROLES, Role


def can_manage_dealer_staff(access, dealer_id: int) -> bool:
    """Dealer admins of the dealer and OEM admins add and deactivate its staff."""
    return access.has_role(Role.OEM_ADMIN) or access.has_role(Role.DEALER_ADMIN, dealer_id=dealer_id)


def can_read_dealer_staff(access, dealer_id: int) -> bool:
    """Those who manage it, and the OEM regional managers over the dealer's region."""
    return can_manage_dealer_staff(access, dealer_id) or (
        access.has_role(Role.REGIONAL_MANAGER) and dealer_id in access.region_dealer_ids
    )


def two_factor_required(access) -> bool:
    """Roles that change the network or see across dealers sign in with a second factor
    (settings.TWO_FACTOR_REQUIRED_ROLES: OEM roles and dealer admins); everyone else may turn it on."""
    return bool(access.roles & set(settings.TWO_FACTOR_REQUIRED_ROLES))


def can_reset_two_factor(access, target_access) -> bool:
    """Who may switch off another user's second factor (a lost phone and no recovery code left): an OEM
    admin, for anyone; a dealer admin, for a user who works only at dealers they administer."""
    if target_access.user_id is None or target_access.user_id == access.user_id:
        return False
    if access.has_role(Role.OEM_ADMIN):
        return True
    if target_access.roles - DEALER_ROLES or not target_access.dealer_ids:
        return False
    return all(access.has_role(Role.DEALER_ADMIN, dealer_id=dealer_id) for dealer_id in target_access.dealer_ids)


def can_manage_api_tokens(access) -> bool:
    """Dealer admins and OEM admins make API tokens for their integrations (the token acts as its maker,
    so it sees what they see); both roles sign in with a second factor."""
    return access.has_role(Role.DEALER_ADMIN, Role.OEM_ADMIN)
