"""Findings: raised by the OEM (from a failed checklist item, a key figure or a mystery shop), answered by the
dealer with a corrective action and evidence, then verified by the OEM: closed, or reopened with a new due
date. Overdue findings are escalated once (the owner, the dealer's managers and the region's OEM staff are
notified) and feed the scorecards' veto gates.

Each service locks the finding, checks the state it expects and the permission (dealers/permissions.py),
and writes the change with its step row in one transaction.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import NotFound
from crm.core.scope import network_wide
from crm.messaging.services.notifications import staff_notify
from crm.network.access import access_for
from crm.network.models import DEALER_MANAGER_ROLES, DEALER_ROLES, Dealer, Role, RoleAssignment
from dealers import permissions
from dealers.exceptions import FindingWrongState, OwnerNotAtDealer
from dealers.models import Finding, FindingStep
from dealers.services.evidence import evidence_store


def _owner_check(owner, dealer_id: int) -> None:
    if owner is None:
        return
    works_there = RoleAssignment.objects.filter(
        user=owner, dealer_id=dealer_id, role__in=sorted(DEALER_ROLES), is_active=True
    ).exists()
    if not works_there:
        raise OwnerNotAtDealer()


def _step(finding: Finding, kind: str, by, note: str = "", at: datetime | None = None) -> FindingStep:
    return FindingStep.objects.create(
        finding=finding, dealer_id=finding.dealer_id, kind=kind, by=by, at=at or timezone.now(), note=note
    )


@transaction.atomic
def finding_raise(
    *,
    dealer: Dealer,
    by,
    title: str,
    severity: str,
    due_on: date,
    description: str = "",
    owner=None,
    is_data_falsification: bool = False,
    audit_result=None,
    figure_code: str = "",
    mystery_shop=None,
    raised_at: datetime | None = None,
) -> Finding:
    """A new open finding at `dealer`, from exactly one source: a failed checklist item, a key figure or a
    mystery shop. A failed item or a shop opens at most one finding (the database refuses a second).
    `raised_at` is for the demo's history (a finding raised last month); pages and audits raise it now."""
    raised_at = raised_at or timezone.now()
    permissions.require(permissions.can_raise_finding(access_for(by), dealer.id))
    _owner_check(owner, dealer.id)
    source = (
        Finding.Source.AUDIT
        if audit_result is not None
        else Finding.Source.MYSTERY_SHOP
        if mystery_shop is not None
        else Finding.Source.FIGURE
    )
    try:
        with transaction.atomic():
            finding = Finding.objects.create(
                dealer=dealer,
                source=source,
                audit_result=audit_result,
                figure_code=figure_code,
                mystery_shop=mystery_shop,
                title=title,
                description=description,
                severity=severity,
                is_data_falsification=is_data_falsification,
                owner=owner,
                due_on=due_on,
                raised_by=by,
                raised_at=raised_at,
            )
    except IntegrityError as error:
        raise FindingWrongState(_("A finding was already raised from this.")) from error
    _step(finding, FindingStep.Kind.RAISED, by, description, at=raised_at)
    return finding


def _locked(finding: Finding) -> Finding:
    locked = Finding.objects.select_for_update().filter(pk=finding.pk).first()
    if locked is None:
        raise NotFound()
    return locked


@transaction.atomic
def finding_answer(*, finding: Finding, by, corrective_action: str, files=()) -> Finding:
    """The dealer's corrective action, with evidence files. Only the dealer answers, and only an open one."""
    finding = _locked(finding)
    access = access_for(by)
    if not permissions.can_read_finding(access, finding):
        raise NotFound()
    if finding.status != Finding.Status.OPEN:
        raise FindingWrongState()
    permissions.require(permissions.can_answer_finding(access, finding))
    if not corrective_action.strip():
        raise FindingWrongState(_("Say what was done to correct it."), field="corrective_action")
    step = _step(finding, FindingStep.Kind.ANSWERED, by, corrective_action.strip())
    evidence_store(files=files, dealer_id=finding.dealer_id, by=by, finding_step=step)
    finding.status = Finding.Status.ANSWERED
    finding.answered_at = step.at
    finding.save(update_fields=["status", "answered_at"])
    return finding


@transaction.atomic
def finding_close(*, finding: Finding, by, note: str = "") -> Finding:
    """The OEM verified the corrective action. Only the OEM closes, and only an answered finding."""
    finding = _locked(finding)
    access = access_for(by)
    if finding.status != Finding.Status.ANSWERED:
        raise FindingWrongState()
    permissions.require(permissions.can_verify_finding(access, finding))
    step = _step(finding, FindingStep.Kind.CLOSED, by, note)
    finding.status = Finding.Status.CLOSED
    finding.closed_at = step.at
    finding.closed_by = by
    finding.save(update_fields=["status", "closed_at", "closed_by"])
    return finding


@transaction.atomic
def finding_reopen(*, finding: Finding, by, note: str, due_on: date | None = None) -> Finding:
    """The corrective action does not do: open again (optionally with a new due date); the answer is no
    longer counted as given, so an overdue critical finding trips the veto gate again."""
    finding = _locked(finding)
    access = access_for(by)
    if finding.status != Finding.Status.ANSWERED:
        raise FindingWrongState()
    permissions.require(permissions.can_verify_finding(access, finding))
    if not note.strip():
        raise FindingWrongState(_("Say why the corrective action does not do."), field="note")
    _step(finding, FindingStep.Kind.REOPENED, by, note.strip())
    finding.status = Finding.Status.OPEN
    finding.answered_at = None
    finding.escalated_at = None
    finding.reopen_count = F("reopen_count") + 1
    if due_on is not None:
        finding.due_on = due_on
    finding.save(update_fields=["status", "answered_at", "escalated_at", "reopen_count", "due_on"])
    finding.refresh_from_db()
    return finding


def _is_overdue(finding: Finding, now: datetime) -> bool:
    return timezone.localtime(now, ZoneInfo(finding.dealer.time_zone)).date() > finding.due_on


def _people_to_tell(finding: Finding) -> list:
    dealer_staff = Q(dealer_id=finding.dealer_id, role__in=sorted(DEALER_MANAGER_ROLES))
    regional = Q(region_id=finding.dealer.region_id, role=Role.REGIONAL_MANAGER)
    user_ids = set(
        RoleAssignment.objects.filter(dealer_staff | regional, is_active=True).values_list("user_id", flat=True)
    )
    if finding.owner_id:
        user_ids.add(finding.owner_id)
    return list(get_user_model().objects.filter(id__in=user_ids, is_active=True).order_by("id"))


def findings_escalate(*, now: datetime | None = None) -> int:
    """The beat's job: every open finding past its due date (in the dealer's zone) not yet escalated is
    escalated once: a step, and a notification to each person concerned (each exactly once per key)."""
    now = now or timezone.now()
    escalated = 0
    with network_wide(reason="findings: overdue escalation"):
        candidates = list(
            Finding.objects.filter(status=Finding.Status.OPEN, escalated_at__isnull=True, due_on__lte=now.date())
            .order_by("id")
            .values_list("id", flat=True)
        )
    # Candidates carry a day's margin (zones ahead of UTC): the dealer's own zone decides, under the lock.
    for finding_id in candidates:
        with network_wide(reason="findings: overdue escalation"):
            finding = (
                Finding.objects.select_for_update(of=("self",))
                .select_related("dealer")
                .filter(id=finding_id, status=Finding.Status.OPEN, escalated_at__isnull=True)
                .first()
            )
            if finding is None or not _is_overdue(finding, now):
                continue
            finding.escalated_at = now
            finding.save(update_fields=["escalated_at"])
            _step(finding, FindingStep.Kind.ESCALATED, None, at=now)
            link = reverse("dealers:finding_detail", args=[finding.id])
            for person in _people_to_tell(finding):
                staff_notify(
                    user=person,
                    key=f"dealers:finding-overdue:{finding.id}:{finding.reopen_count}:{person.id}",
                    kind="finding_overdue",
                    title=_("Finding overdue at %(dealer)s: %(title)s")
                    % {"dealer": finding.dealer.name, "title": finding.title},
                    body=_("It was due on %(date)s.") % {"date": finding.due_on.isoformat()},
                    link=link,
                    email=finding.severity == "critical",
                )
            escalated += 1
    return escalated
