"""Reads of audits, findings, evidence and mystery shops, scoped to the user (dealers/permissions.py): the OEM
over a dealer sees everything of it; the dealer's managers its completed audits and its findings, a
finding's owner that finding; mystery shops are the OEM's alone."""

from django.db.models import Count, Q, QuerySet

from crm.core.exceptions import NotFound
from crm.network.access import access_for
from dealers import permissions
from dealers.models import Audit, AuditChecklist, AuditResult, Evidence, Finding, MysteryShop


def _overseen(access) -> Q | None:
    """None: every dealer (OEM admin)."""
    if access.has_role(*permissions.OEM_ADMIN_ROLES):
        return None
    overseen = access.region_dealer_ids if access.has_role(*permissions.REGIONAL_ROLES) else frozenset()
    return Q(dealer_id__in=overseen)


def audits_for_user(*, user) -> QuerySet[Audit]:
    access = access_for(user)
    audits = Audit.objects.select_related("dealer", "checklist", "auditor")
    overseen = _overseen(access)
    if overseen is None:
        return audits
    own = Q(dealer_id__in=access.dealers_where(*permissions.DEALER_READERS), status=Audit.Status.COMPLETED)
    return audits.filter(overseen | own)


def audit_get(*, user, audit_id: int) -> Audit:
    audit = audits_for_user(user=user).filter(id=audit_id).first()
    if audit is None:
        raise NotFound()
    return audit


def audit_results(*, audit: Audit) -> list[AuditResult]:
    return list(
        audit.results.select_related("item")
        .prefetch_related("evidence", "findings")
        .order_by("item__position", "item_id")
    )


def checklists_list() -> QuerySet[AuditChecklist]:
    return AuditChecklist.objects.annotate(item_count=Count("items")).order_by("-version")


def checklist_get(*, checklist_id: int) -> AuditChecklist:
    checklist = AuditChecklist.objects.filter(id=checklist_id).first()
    if checklist is None:
        raise NotFound()
    return checklist


def findings_for_user(*, user) -> QuerySet[Finding]:
    access = access_for(user)
    findings = Finding.objects.select_related("dealer", "owner", "raised_by")
    overseen = _overseen(access)
    if overseen is None:
        return findings
    own = Q(dealer_id__in=access.dealers_where(*permissions.DEALER_READERS))
    owned = Q(owner_id=access.user_id, dealer_id__in=access.dealer_ids)
    return findings.filter(overseen | own | owned)


def finding_get(*, user, finding_id: int) -> Finding:
    finding = findings_for_user(user=user).filter(id=finding_id).first()
    if finding is None:
        raise NotFound()
    return finding


def findings_list(*, user, status: str = "", dealer_id: int | None = None) -> QuerySet[Finding]:
    findings = findings_for_user(user=user)
    if status:
        findings = findings.filter(status=status)
    if dealer_id is not None:
        findings = findings.filter(dealer_id=dealer_id)
    return findings.order_by("status", "due_on", "-id")


def finding_steps(*, finding: Finding) -> list:
    return list(finding.steps.select_related("by").prefetch_related("evidence").order_by("at", "id"))


def evidence_get(*, user, evidence_id: int) -> Evidence:
    evidence = (
        Evidence.objects.select_related("finding_step__finding", "audit_result__audit")
        .filter(id=evidence_id)
        .first()
    )
    if evidence is None or not permissions.can_read_evidence(access_for(user), evidence):
        raise NotFound()
    return evidence


def mystery_shops_for_user(*, user) -> QuerySet[MysteryShop]:
    access = access_for(user)
    if not permissions.can_see_mystery_shops(access):
        return MysteryShop.objects.none()
    shops = MysteryShop.objects.select_related("dealer", "recorded_by", "logged_lead")
    overseen = _overseen(access)
    return shops if overseen is None else shops.filter(overseen)


def mystery_shop_get(*, user, shop_id: int) -> MysteryShop:
    shop = mystery_shops_for_user(user=user).filter(id=shop_id).first()
    if shop is None:
        raise NotFound()
    return shop


def findings_open_for_dealer(*, user, dealer_id: int) -> QuerySet[Finding]:
    """A dealer's findings still waiting for it or for the OEM, most urgent first (the dealer page's panel)."""
    return (
        findings_for_user(user=user)
        .filter(dealer_id=dealer_id)
        .exclude(status=Finding.Status.CLOSED)
        .order_by("due_on", "id")
    )
