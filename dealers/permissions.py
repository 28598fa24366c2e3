"""Who may see which of the dealers' pages: the one home of each rule, for pages, exports and the header.

What rows a user may read is decided by crm/network/access.py (and PostgreSQL row-level security); these
rules decide which of the dealers' screens a role gets. Every rule takes the user's `Access`.
"""

from crm.network.models import DEALER_MANAGER_ROLES, OEM_OVERSIGHT_ROLES, Role


def oversees_dealers(access) -> bool:
    """OEM regional managers (their regions) and OEM admins (the network) see the dealers' figures."""
    return access.is_authenticated and access.has_role(*OEM_OVERSIGHT_ROLES)


def is_regional_manager_only(access) -> bool:
    """The regional landing is where a regional manager's day starts (an OEM admin starts at the network)."""
    return access.has_role(Role.REGIONAL_MANAGER) and not access.has_role(Role.OEM_ADMIN)


def can_see_dealer_figures(access, dealer_id: int) -> bool:
    """An OEM admin sees every dealer's page; a regional manager those of their regions' dealers."""
    if access.has_role(Role.OEM_ADMIN):
        return True
    return access.has_role(Role.REGIONAL_MANAGER) and dealer_id in access.region_dealer_ids


def sees_every_region(access) -> bool:
    return access.has_role(Role.OEM_ADMIN)


def can_see_own_figures(access) -> bool:
    """A dealer's sales managers and admins see its figures and its rank; salespeople do not."""
    return bool(access.dealers_where(*DEALER_MANAGER_ROLES))


def own_figures_in_header(access) -> bool:
    """Where "Our figures" sits: in the header for a dealer admin; in the user menu for a sales manager,
    whose header is already full of daily work (it must fit an 820-pixel tablet)."""
    return can_see_own_figures(access) and not access.dealers_where(Role.SALES_MANAGER)


def own_figures_in_menu(access) -> bool:
    return can_see_own_figures(access) and not own_figures_in_header(access)


def can_see_oem_reads(access) -> bool:
    """A dealer's admins see who at the OEM read its data."""
    return bool(access.dealers_where(Role.DEALER_ADMIN))


def is_recorded_reader(access) -> bool:
    """Whose reads of a dealer's pages and exports go into the dealer's OEM read log: OEM staff's."""
    return access.is_oem
