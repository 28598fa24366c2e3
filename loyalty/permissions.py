"""Who may do what in the owner club and the points ledger: the one home of each rule, used by pages,
services and the header.

Who may do what in loyalty: the one home of each rule, used by pages, the header and services.

Every rule takes the user's `Access` (crm/network/access.py). Reading is also bounded by the row-level
security scope: these rules only decide which of the visible rows a user may act on.
"""

from crm.core.exceptions import PermissionDenied
from crm.network.models import DEALER_MANAGER_ROLES, DEALER_ROLES, OEM_OVERSIGHT_ROLES, Role

# Who turns points into a discount on a repair order: the dealer's workshop staff.
REDEEM_ROLES = frozenset({Role.SERVICE_ADVISOR, Role.DEALER_ADMIN})
# Who may approve a manual adjustment of a member's points at a dealer.
APPROVER_ROLES = frozenset({Role.DEALER_ADMIN, Role.SALES_MANAGER})


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


def can_read_loyalty(access) -> bool:
    """Members, balances and statements: every dealer role, the call centre and the OEM's oversight; which
    members is row-level security's."""
    return access.has_role(*DEALER_ROLES, *OEM_OVERSIGHT_ROLES, Role.CALL_CENTRE_AGENT)


def can_enrol(access, dealer_id: int) -> bool:
    """Sign a customer up at the dealer's desk: any of the dealer's staff (not the OEM's readers)."""
    return access.has_role(Role.OEM_ADMIN) or access.has_role(*DEALER_ROLES, dealer_id=dealer_id)


def can_redeem(access, dealer_id: int) -> bool:
    return access.has_role(Role.OEM_ADMIN) or access.has_role(*REDEEM_ROLES, dealer_id=dealer_id)


def can_adjust(access, dealer_id: int | None) -> bool:
    """Propose a manual adjustment (it still needs an approver)."""
    if dealer_id is None:
        return access.has_role(Role.OEM_ADMIN)
    return access.has_role(Role.OEM_ADMIN) or access.has_role(*DEALER_ROLES, dealer_id=dealer_id)


def can_approve_adjustment(access, dealer_id: int | None) -> bool:
    if dealer_id is None:
        return access.has_role(Role.OEM_ADMIN)
    return access.has_role(Role.OEM_ADMIN) or access.has_role(*APPROVER_ROLES, dealer_id=dealer_id)


def can_configure_programme(access) -> bool:
    """Earn rules, tiers and their benefits: the OEM admin."""
    return access.has_role(Role.OEM_ADMIN)


def can_see_settlement(access) -> bool:
    """Which dealer owes which for points redeemed away from where they were earned: the OEM."""
    return access.has_role(*OEM_OVERSIGHT_ROLES)


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
