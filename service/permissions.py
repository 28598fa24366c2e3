"""Who may do what in service: the one home of each rule, used by pages, the API, services and the header."""

from crm.core.exceptions import PermissionDenied
from crm.network.models import DEALER_ROLES, OEM_OVERSIGHT_ROLES, Role

# Who runs the workshop at a dealer: its service advisors and its dealer admins.
WORKSHOP_ROLES = frozenset({Role.SERVICE_ADVISOR, Role.DEALER_ADMIN})


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


def can_work_workshop(access, dealer_id: int) -> bool:
    """Open repair orders, add lines, settle, void: the dealer's workshop staff only. The OEM (its admin too)
    reads dealers' orders and never changes them: a bill is the dealer's document."""
    return access.has_role(*WORKSHOP_ROLES, dealer_id=dealer_id)


def runs_a_workshop(access) -> bool:
    return bool(access.dealers_where(*WORKSHOP_ROLES))


def can_read_service(access) -> bool:
    """A vehicle's service life is read by every dealer role (sales values an owner's history too), the call
    centre (complaints and call-backs) and the OEM's oversight; what rows they see is row-level security's."""
    return access.has_role(*DEALER_ROLES, *OEM_OVERSIGHT_ROLES, Role.CALL_CENTRE_AGENT)


def is_service_advisor(access) -> bool:
    """Advisors start their day on the workshop screen."""
    return bool(access.dealers_where(Role.SERVICE_ADVISOR))


def can_import_dms(access, dealer_id: int) -> bool:
    """A dealer's DMS exports are imported by its workshop staff (or pushed by a DMS signed in as one)."""
    return can_work_workshop(access, dealer_id)
