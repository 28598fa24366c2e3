"""Who may do what in loyalty: the one home of each rule, used by pages, the header and services.

Every rule takes the user's `Access` (crm/network/access.py). Reading is also bounded by the row-level
security scope: these rules only decide which of the visible rows a user may act on.
"""

from crm.core.exceptions import PermissionDenied
from crm.network.models import DEALER_MANAGER_ROLES, OEM_OVERSIGHT_ROLES, Role


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


# --- Satisfaction surveys -------------------------------------------------------------------------------

# Who reads survey statistics: a dealer's managers (their dealer), OEM regional staff (their region), the
# OEM admin (everything); row-level security narrows each to their dealers.
SURVEY_STATISTICS_ROLES = DEALER_MANAGER_ROLES | OEM_OVERSIGHT_ROLES
# Who records a customer's answers during a call-back: the call centre, and the dealer's managers.
SURVEY_CALL_BACK_ROLES = DEALER_MANAGER_ROLES | {Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN}


def can_build_questionnaires(access) -> bool:
    return access.has_role(Role.OEM_ADMIN)


def can_see_survey_statistics(access) -> bool:
    return access.is_authenticated and access.has_role(*SURVEY_STATISTICS_ROLES)


def can_list_survey_invitations(access) -> bool:
    return access.is_authenticated and access.has_role(*SURVEY_CALL_BACK_ROLES)


def can_record_survey_call_back(access, invitation) -> bool:
    """Network call-centre agents and OEM admins for any invitation; a dealer's managers for their own
    dealer's. Never the person being judged (a call-back is not made by the advisor who served the
    customer), and never a read-only OEM role."""
    if access.user_id is not None and access.user_id in (invitation.salesperson_id, invitation.advisor_id):
        return False
    if access.has_role(Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN):
        return True
    return access.has_role(*DEALER_MANAGER_ROLES, dealer_id=invitation.dealer_id)
