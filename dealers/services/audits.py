"""Audit checklists (versioned like scorecard templates) and field audits.

An audit starts on the checklist version in force and keeps it; its results are recorded item by item, with
notes and evidence files; completing it computes the score (weight passed ÷ weight applicable) and opens a
finding for every failed item (critical items: critical findings). A completed audit is frozen.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import NotFound
from crm.network.access import access_for
from crm.network.models import Dealer
from dealers import permissions
from dealers.exceptions import AuditIncomplete, ChecklistInvalid, Frozen
from dealers.models import Audit, AuditChecklist, AuditChecklistItem, AuditResult, Evidence
from dealers.models.findings import Severity
from dealers.services.evidence import evidence_store
from dealers.services.findings import finding_raise

FINDING_DAYS = 14  # days a dealer has to correct what an audit found


@dataclass(frozen=True)
class ItemTerms:
    category: str
    text: str
    weight: int = 1
    is_critical: bool = False
    is_evidence_required: bool = False


@transaction.atomic
def checklist_draft_save(
    *, by, title: str, items: list[ItemTerms], checklist: AuditChecklist | None = None
) -> AuditChecklist:
    permissions.require(permissions.can_edit_checklists(access_for(by)))
    if not items or any(not item.category.strip() or not item.text.strip() for item in items):
        raise ChecklistInvalid()
    if any(not 1 <= item.weight <= 100 for item in items):
        raise ChecklistInvalid(_("A weight is between 1 and 100."))
    if checklist is None:
        connection.cursor().execute("LOCK TABLE dealers_auditchecklist IN SHARE ROW EXCLUSIVE MODE")
        newest = AuditChecklist.objects.aggregate(newest=Max("version"))["newest"] or 0
        checklist = AuditChecklist(version=newest + 1, created_by=by)
    else:
        checklist = AuditChecklist.objects.select_for_update().get(pk=checklist.pk)
        if checklist.is_published:
            raise Frozen()
    checklist.title = title
    checklist.save()
    checklist.items.all().delete()
    AuditChecklistItem.objects.bulk_create(
        AuditChecklistItem(
            checklist=checklist,
            position=position,
            category=item.category.strip(),
            text=item.text.strip(),
            weight=item.weight,
            is_critical=item.is_critical,
            is_evidence_required=item.is_evidence_required,
        )
        for position, item in enumerate(items)
    )
    return checklist


@transaction.atomic
def checklist_publish(*, checklist: AuditChecklist, by) -> AuditChecklist:
    permissions.require(permissions.can_edit_checklists(access_for(by)))
    checklist = AuditChecklist.objects.select_for_update().get(pk=checklist.pk)
    if checklist.is_published:
        raise Frozen()
    checklist.status = AuditChecklist.Status.PUBLISHED
    checklist.published_at = timezone.now()
    checklist.save(update_fields=["status", "published_at"])
    return checklist


def checklist_in_force() -> AuditChecklist | None:
    return AuditChecklist.objects.filter(status=AuditChecklist.Status.PUBLISHED).order_by("-version").first()


@transaction.atomic
def audit_start(*, dealer: Dealer, by, visited_on: date) -> Audit:
    """A field audit at `dealer` on the checklist version in force, which it keeps from now on."""
    permissions.require(permissions.can_audit(access_for(by), dealer.id))
    checklist = checklist_in_force()
    if checklist is None:
        raise ChecklistInvalid(_("No audit checklist is published yet."))
    audit = Audit.objects.create(dealer=dealer, checklist=checklist, auditor=by, visited_on=visited_on)
    AuditResult.objects.bulk_create(
        AuditResult(audit=audit, dealer=dealer, item=item) for item in checklist.items.all()
    )
    return audit


def _locked(audit: Audit) -> Audit:
    locked = Audit.objects.select_for_update().filter(pk=audit.pk).first()
    if locked is None:
        raise NotFound()
    return locked


@transaction.atomic
def audit_record(*, audit: Audit, by, item_id: int, result: str, note: str = "", files=()) -> AuditResult:
    """One item's result (pass, fail, not applicable, or blank to undo), its note and any new evidence."""
    audit = _locked(audit)
    permissions.require(permissions.can_record_audit(access_for(by), audit))
    row = AuditResult.objects.select_for_update().filter(audit=audit, item_id=item_id).first()
    if row is None:
        raise NotFound()
    if result not in {*AuditResult.Result.values, ""}:
        raise AuditIncomplete(_("Choose pass, fail or not applicable."), field="result")
    row.result = result
    row.note = note.strip()
    row.answered_at = timezone.now() if result else None
    row.save(update_fields=["result", "note", "answered_at"])
    evidence_store(files=files, dealer_id=audit.dealer_id, by=by, audit_result=row)
    return row


def score_of(results) -> Decimal:
    """Weight passed ÷ weight applicable, in points (an audit where nothing applied scores 100)."""
    passed = sum(r.item.weight for r in results if r.result == AuditResult.Result.PASS)
    applicable = sum(r.item.weight for r in results if r.result in (AuditResult.Result.PASS, AuditResult.Result.FAIL))
    if not applicable:
        return Decimal(100)
    return (Decimal(passed) * 100 / applicable).quantize(Decimal("0.01"), ROUND_HALF_UP)


@transaction.atomic
def audit_complete(*, audit: Audit, by, note: str = "") -> Audit:
    """Score and freeze the audit, and open a finding for each failed item. Refused while an item has no
    result, or an item that requires evidence has none (unless it does not apply)."""
    audit = _locked(audit)
    permissions.require(permissions.can_record_audit(access_for(by), audit))
    results = list(audit.results.select_related("item").order_by("item__position", "item_id"))
    with_evidence = set(
        Evidence.objects.filter(audit_result__audit=audit).values_list("audit_result_id", flat=True)
    )
    missing = [
        r.item.text
        for r in results
        if not r.result
        or (
            r.item.is_evidence_required
            and r.result != AuditResult.Result.NOT_APPLICABLE
            and r.id not in with_evidence
        )
    ]
    if missing:
        raise AuditIncomplete(extra={"items": missing})
    due_on = timezone.localdate() + timedelta(days=FINDING_DAYS)
    for row in results:
        if row.result == AuditResult.Result.FAIL:
            finding_raise(
                dealer=audit.dealer,
                by=by,
                title=row.item.text[:200],
                description=row.note,
                severity=Severity.CRITICAL if row.item.is_critical else Severity.MAJOR,
                due_on=due_on,
                audit_result=row,
            )
    audit.score = score_of(results)
    audit.status = Audit.Status.COMPLETED
    audit.completed_at = timezone.now()
    audit.note = note.strip()
    audit.save(update_fields=["score", "status", "completed_at", "note"])
    return audit
