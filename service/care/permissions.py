"""Who may do what with complaints and call-backs: the one home of each rule, used by pages, services and
the header. The call centre logs and works complaints and call-backs network-wide; a dealer's staff work
their own dealer's; OEM regional staff read their regions' and change nothing."""

from crm.core.exceptions import PermissionDenied
from crm.network.models import OEM_OVERSIGHT_ROLES, Role

# Who works a dealer's complaints and call-backs: its service advisors, its managers.
CARE_DEALER_ROLES = frozenset({Role.SERVICE_ADVISOR, Role.SALES_MANAGER, Role.DEALER_ADMIN})
# Who makes a dealer's call-backs when the call centre does not: its service staff.
CALL_BACK_DEALER_ROLES = frozenset({Role.SERVICE_ADVISOR, Role.DEALER_ADMIN})
NETWORK_CARE_ROLES = frozenset({Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN})


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


def can_read_complaints(access) -> bool:
    return access.has_role(*CARE_DEALER_ROLES, *OEM_OVERSIGHT_ROLES, Role.CALL_CENTRE_AGENT)


def logs_complaints_anywhere(access) -> bool:
    """The call centre (and the OEM admin) log a complaint about any dealer: they pick the dealer."""
    return access.has_role(*NETWORK_CARE_ROLES)


def can_log_complaint(access, dealer_id: int) -> bool:
    return logs_complaints_anywhere(access) or access.has_role(*CARE_DEALER_ROLES, dealer_id=dealer_id)


def logs_complaints(access) -> bool:
    return logs_complaints_anywhere(access) or bool(access.dealers_where(*CARE_DEALER_ROLES))


def can_work_complaint(access, dealer_id: int) -> bool:
    """Contact the customer, note, resolve, close, assign."""
    return logs_complaints_anywhere(access) or access.has_role(*CARE_DEALER_ROLES, dealer_id=dealer_id)


def can_own_complaint(access, dealer_id: int) -> bool:
    """Who a complaint may be given to: the dealer's care staff (the call centre works them unowned)."""
    return access.has_role(*CARE_DEALER_ROLES, dealer_id=dealer_id)


def can_read_call_backs(access) -> bool:
    return access.has_role(*CALL_BACK_DEALER_ROLES, *OEM_OVERSIGHT_ROLES, Role.CALL_CENTRE_AGENT)


def can_make_call_back(access, dealer_id: int) -> bool:
    return access.has_role(*NETWORK_CARE_ROLES) or access.has_role(
        *CALL_BACK_DEALER_ROLES, dealer_id=dealer_id
    )
