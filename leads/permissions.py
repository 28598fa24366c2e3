"""Who may do what in the funnel: the one home of each rule. Pages, the API, services and the header all
ask these functions, so the browser never offers what the service would refuse, and the other way round.

Every rule takes the user's `Access` (crm/network/access.py); `require` turns a refusal into the typed
error services raise. Reading is also bounded by the row-level security scope: these rules only decide
which of the visible rows a user may act on.
"""

from crm.core.exceptions import PermissionDenied
from crm.network.models import DEALER_MANAGER_ROLES, OEM_OVERSIGHT_ROLES, SALES_ROLES, Role

# Who reads the funnel: the dealer's sales staff and managers, and the OEM's oversight.
READ_ROLES = SALES_ROLES | DEALER_MANAGER_ROLES | OEM_OVERSIGHT_ROLES
# Who may import a bought or collected list at a dealer (OEM admins anywhere).
IMPORT_ROLES = DEALER_MANAGER_ROLES
# Whose dashboard figures are theirs alone: everyone below these roles sees only their own leads.
FUNNEL_MANAGER_ROLES = DEALER_MANAGER_ROLES | OEM_OVERSIGHT_ROLES


def require(allowed: bool) -> None:
    """In a service: refuse (PermissionDenied, which pages and the API answer like a missing row)."""
    if not allowed:
        raise PermissionDenied()


# --- Pages and the header -------------------------------------------------------------------------------


def can_read_leads(access) -> bool:
    return access.is_authenticated and access.has_role(*READ_ROLES)


def can_use_leads_api(access, *, writes: bool) -> bool:
    """Who may call the funnel's API: those who read leads; a write also needs a role that changes dealer
    data (OEM regional managers and auditors only read). Each service then checks its own rule."""
    return can_read_leads(access) and (not writes or not access.is_read_only)


def can_log_visits(access) -> bool:
    return bool(access.dealers_where(*SALES_ROLES))


def manages_a_dealer(access) -> bool:
    return bool(access.dealers_where(*DEALER_MANAGER_ROLES))


def manages_sales(access) -> bool:
    """A sales manager somewhere: the team's day is their landing page."""
    return bool(access.dealers_where(Role.SALES_MANAGER))


def oversees_funnels(access) -> bool:
    """The funnel dashboard in the header: the dealer's managers and the OEM's oversight (a salesperson
    reaches their own figures from My day)."""
    return manages_a_dealer(access) or access.has_role(*OEM_OVERSIGHT_ROLES)


def can_see_funnel_dashboard(access) -> bool:
    return can_read_leads(access)


def funnel_figures_are_own_only(access) -> bool:
    """A salesperson's dashboard shows their own leads; managers and the OEM see their scope."""
    return not access.has_role(*FUNNEL_MANAGER_ROLES)


def can_take_phone_ins(access) -> bool:
    """Who answers the OEM's 800 line and issues what callers ask for to the dealers."""
    return access.is_authenticated and access.has_role(Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN)


def can_edit_questionnaires(access) -> bool:
    return access.has_role(Role.OEM_ADMIN)


def can_set_cadence_policies(access) -> bool:
    """The OEM's range and default days per grade, which every dealer's cadence stays within."""
    return access.has_role(Role.OEM_ADMIN)


def can_see_cadence(access) -> bool:
    return access.has_role(*OEM_OVERSIGHT_ROLES) or manages_a_dealer(access)


def can_import(access) -> bool:
    return access.has_role(Role.OEM_ADMIN) or bool(access.dealers_where(*IMPORT_ROLES))


# --- A dealer's funnel ------------------------------------------------------------------------------------


def can_work_dealer(access, dealer_id: int) -> bool:
    """Sales staff of the dealer (and OEM admins) log visits, grade, follow up, book and order there."""
    return access.has_role(Role.OEM_ADMIN) or access.has_role(*SALES_ROLES, dealer_id=dealer_id)


def can_manage_dealer(access, dealer_id: int) -> bool:
    """The dealer's sales managers and dealer admins assign, approve and set the cadence."""
    return access.has_role(*DEALER_MANAGER_ROLES, dealer_id=dealer_id)


def can_import_at(access, dealer_id: int) -> bool:
    return access.has_role(Role.OEM_ADMIN) or access.has_role(*IMPORT_ROLES, dealer_id=dealer_id)


def can_grade_imports_at(access, dealer_id: int) -> bool:
    """An imported list's grades are kept only when the importer could have graded the leads by hand."""
    return can_work_dealer(access, dealer_id)


# --- One lead -----------------------------------------------------------------------------------------------


def can_work_lead(access, lead) -> bool:
    return can_work_dealer(access, lead.dealer_id)


def can_manage_lead(access, lead) -> bool:
    return can_manage_dealer(access, lead.dealer_id)


def can_contact_lead(access, lead) -> bool:
    """Log a contact attempt: the lead's owner, a salesperson of the dealer while nobody owns it, the
    dealer's managers, the call centre and OEM admins (a call-back or a phone-in)."""
    if access.has_role(Role.OEM_ADMIN, Role.CALL_CENTRE_AGENT):
        return True
    if can_manage_lead(access, lead):
        return True
    return access.has_role(Role.SALESPERSON, dealer_id=lead.dealer_id) and lead.owner_id in (
        None,
        access.user_id,
    )


def can_reach_through_system(access, lead) -> bool:
    """Call the lead through click-to-call or text it from the lead page: only the lead's own dealer's
    sales staff who may contact it (its owner, a salesperson while nobody owns it, the dealer's sales
    managers). Not the OEM nor the call centre: the call rings the dealer salesperson's phone and the text
    goes out in the dealer's name."""
    return access.has_role(*SALES_ROLES, dealer_id=lead.dealer_id) and can_contact_lead(access, lead)


def can_claim_lead(access, lead) -> bool:
    """A salesperson of the dealer takes an unowned lead. An OEM-issued lead can be claimed only once the
    dealer accepted it: until then its manager decides whether, and to whom, it goes."""
    return (
        access.has_role(Role.SALESPERSON, dealer_id=lead.dealer_id)
        and lead.owner_id is None
        and lead.acceptance != lead.Acceptance.PENDING
    )
