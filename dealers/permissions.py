"""Who may see which of the dealers' pages: the one home of each rule, for pages, exports and the header.

What rows a user may read is decided by crm/network/access.py (and PostgreSQL row-level security); these
rules decide which of the dealers' screens a role gets. Every rule takes the user's `Access`.

Who may do what with scorecards, audits, findings and mystery shops: the one home of each rule, for pages,
services and the header alike. What a user may *see* at all is decided by crm/network/access.py (and
row-level security); these rules decide which of the visible dealers' rows a user may read or act on.

OEM users write only the OEM's own rows here (templates, checklists, audits, findings, scorecards, mystery
shops); they never change a dealer's data. The dealer writes only its answer to a finding.

Who may do what in `dealers`: the one home of each rule, used by pages, API and services.
"""

from crm.core.exceptions import PermissionDenied
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


# Dealer staff who see how their dealer is judged (scorecards, audits, findings).
DEALER_READERS = DEALER_MANAGER_ROLES
OEM_ADMIN_ROLES = frozenset({Role.OEM_ADMIN})
REGIONAL_ROLES = frozenset({Role.REGIONAL_MANAGER})


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


def _oversees(access, dealer_id: int | None) -> bool:
    """OEM admins anywhere; OEM regional managers and auditors over their regions' dealers."""
    if access.has_role(Role.OEM_ADMIN):
        return True
    return access.has_role(Role.REGIONAL_MANAGER) and dealer_id in access.region_dealer_ids


def reads_own_dealer(access) -> bool:
    """Dealer managers: their dealer's published scorecards, audits and findings."""
    return bool(access.dealers_where(*DEALER_READERS))


# --- Scorecards ---------------------------------------------------------------------------------------------


def can_edit_scorecard_templates(access) -> bool:
    return access.has_role(Role.OEM_ADMIN)


def can_see_scorecards(access) -> bool:
    return oversees_dealers(access) or reads_own_dealer(access)


def can_read_scorecard(access, scorecard) -> bool:
    """The OEM over the dealer sees every version; the dealer's managers its published ones only."""
    if _oversees(access, scorecard.dealer_id):
        return True
    return scorecard.is_published and scorecard.dealer_id in access.dealers_where(*DEALER_READERS)


def can_see_drafts(access, dealer_id: int) -> bool:
    return _oversees(access, dealer_id)


def can_publish_scorecard(access, scorecard) -> bool:
    return _oversees(access, scorecard.dealer_id)


# --- Audits -------------------------------------------------------------------------------------------------


def can_edit_checklists(access) -> bool:
    return access.has_role(Role.OEM_ADMIN)


def can_audit(access, dealer_id: int) -> bool:
    return _oversees(access, dealer_id)


def can_read_audit(access, audit) -> bool:
    """The OEM over the dealer; the dealer's managers once the audit is completed."""
    if _oversees(access, audit.dealer_id):
        return True
    return audit.is_completed and audit.dealer_id in access.dealers_where(*DEALER_READERS)


def can_record_audit(access, audit) -> bool:
    """Only the auditor who started it (or an OEM admin), while it is in progress."""
    return (
        not audit.is_completed
        and _oversees(access, audit.dealer_id)
        and (audit.auditor_id == access.user_id or access.has_role(Role.OEM_ADMIN))
    )


# --- Findings -----------------------------------------------------------------------------------------------


def can_raise_finding(access, dealer_id: int) -> bool:
    return _oversees(access, dealer_id)


def can_see_findings(access) -> bool:
    return oversees_dealers(access) or bool(access.dealer_ids)


def can_read_finding(access, finding) -> bool:
    """The OEM over the dealer, the dealer's managers, and the finding's owner."""
    return (
        _oversees(access, finding.dealer_id)
        or finding.dealer_id in access.dealers_where(*DEALER_READERS)
        or (finding.owner_id is not None and finding.owner_id == access.user_id)
    )


def can_answer_finding(access, finding) -> bool:
    """Only the dealer answers: its managers or the finding's owner, while it is open."""
    is_dealer_side = finding.dealer_id in access.dealers_where(*DEALER_READERS) or (
        finding.owner_id is not None
        and finding.owner_id == access.user_id
        and finding.dealer_id in access.dealer_ids
    )
    return is_dealer_side and finding.status == finding.Status.OPEN


def can_verify_finding(access, finding) -> bool:
    """Only the OEM closes or reopens, once the dealer answered."""
    return _oversees(access, finding.dealer_id) and finding.status == finding.Status.ANSWERED


# --- Evidence -----------------------------------------------------------------------------------------------


def can_read_evidence(access, evidence) -> bool:
    if evidence.finding_step_id is not None:
        return can_read_finding(access, evidence.finding_step.finding)
    return can_read_audit(access, evidence.audit_result.audit)


# --- Mystery shops (the OEM's alone) ---------------------------------------------------------------------


def can_see_mystery_shops(access) -> bool:
    return oversees_dealers(access)


def can_record_mystery_shop(access, dealer_id: int) -> bool:
    return _oversees(access, dealer_id)


def can_read_figures(access, dealer_id: int) -> bool:
    """A dealer's key figures: the OEM's oversight within its scope (its regions, or the network), and the
    dealer's own managers. Salespeople, advisors and the call centre do not read the dealers' scores."""
    if not access.can_see_dealer(dealer_id):
        return False
    return access.has_role(*OEM_OVERSIGHT_ROLES) or access.has_role(*DEALER_MANAGER_ROLES, dealer_id=dealer_id)


def can_read_any_figures(access) -> bool:
    return access.has_role(*OEM_OVERSIGHT_ROLES) or bool(access.dealers_where(*DEALER_MANAGER_ROLES))
# --- Cross-dealer collisions and the value ledger ----------------------------------------------------------


def can_see_collisions(access) -> bool:
    """The OEM's alone: neither dealer learns of the other's lead."""
    return oversees_dealers(access)


def can_see_value_ledger(access) -> bool:
    """What the OEM's leads brought: the dealer's managers see their own, the OEM its dealers'."""
    return oversees_dealers(access) or reads_own_dealer(access)
