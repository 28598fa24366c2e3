"""Who may do what with recalls: the one home of each rule. The OEM admin runs campaigns (creates them, uploads
VIN lists, applies rules, notifies owners); OEM regional staff and the call centre read them; a dealer's
workshop reads the campaigns and its own affected vehicles and records a customer who declines."""

from crm.core.exceptions import PermissionDenied
from crm.network.models import OEM_OVERSIGHT_ROLES, Role

WORKSHOP_ROLES = frozenset({Role.SERVICE_ADVISOR, Role.DEALER_ADMIN})


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


def can_run_recalls(access) -> bool:
    return access.has_role(Role.OEM_ADMIN)


def can_read_recalls(access) -> bool:
    return access.has_role(*OEM_OVERSIGHT_ROLES, Role.CALL_CENTRE_AGENT, *WORKSHOP_ROLES)


def can_record_decline(access) -> bool:
    """The customer told us they will not come: the call centre, the OEM admin, or a dealer's workshop (for a
    vehicle it can see)."""
    return access.has_role(Role.OEM_ADMIN, Role.CALL_CENTRE_AGENT) or bool(
        access.dealers_where(*WORKSHOP_ROLES)
    )


def sees_unmatched_vins(access) -> bool:
    return access.has_role(Role.OEM_ADMIN, Role.CALL_CENTRE_AGENT)
