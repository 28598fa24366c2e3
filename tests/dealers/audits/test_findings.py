"""Findings: the OEM raises, only the dealer answers (with evidence of the right type and size), only the OEM
closes or reopens; overdue findings escalate once; field audits freeze their checklist and open findings."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction

from crm.core.exceptions import NotFound, PermissionDenied
from crm.core.scope import network_wide
from crm.messaging.models import Notification
from dealers.exceptions import AuditIncomplete, EvidenceRefused, FindingWrongState, Frozen, OwnerNotAtDealer
from dealers.models import AuditChecklist, AuditResult, Evidence, Finding, FindingStep
from dealers.services.audits import (
    ItemTerms,
    audit_complete,
    audit_record,
    audit_start,
    checklist_draft_save,
    checklist_publish,
)
from dealers.services.findings import (
    finding_answer,
    finding_close,
    finding_raise,
    finding_reopen,
    findings_escalate,
)
from tests.dealers.audits.conftest import as_user, dealers_state

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def png(name="photo.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


def raised(network, **extra) -> Finding:
    regional = network["regional"]
    with as_user(regional):
        return finding_raise(
            dealer=network["home"],
            by=regional,
            title="Overdue follow-ups not worked",
            severity=extra.pop("severity", "major"),
            due_on=extra.pop("due_on", date.today() + timedelta(days=7)),
            figure_code="leads.overdue_backlog",
            owner=network["manager"],
            **extra,
        )


def test_the_finding_lifecycle_raise_answer_with_evidence_close(network):
    finding = raised(network)
    manager, regional = network["manager"], network["regional"]

    with as_user(manager):
        finding = finding_answer(
            finding=finding, by=manager, corrective_action="Daily overdue review at 9:00.", files=[png()]
        )
    assert finding.status == Finding.Status.ANSWERED
    with as_user(regional):
        finding = finding_close(finding=finding, by=regional, note="Checked the log.")

    assert (finding.status, finding.closed_by) == (Finding.Status.CLOSED, regional)
    with network_wide(reason="test check"):
        steps = list(finding.steps.values_list("kind", flat=True))
        evidence = Evidence.objects.get()
    assert steps == ["raised", "answered", "closed"]
    assert (evidence.name, evidence.content_type, evidence.dealer_id) == ("photo.png", "image/png", network["home"].id)
    assert evidence.file.path.startswith(str(evidence.file.storage.location))
    assert evidence.file.read() == PNG


def test_reopening_sends_it_back_to_the_dealer_with_a_new_due_date(network):
    finding = raised(network)
    with as_user(network["manager"]):
        finding_answer(finding=finding, by=network["manager"], corrective_action="Done.")
    with as_user(network["regional"]):
        with pytest.raises(FindingWrongState):
            finding_reopen(finding=finding, by=network["regional"], note="  ")
        finding = finding_reopen(
            finding=finding, by=network["regional"], note="No evidence.", due_on=date.today() + timedelta(days=3)
        )
    assert (finding.status, finding.reopen_count, finding.answered_at) == ("open", 1, None)
    assert finding.due_on == date.today() + timedelta(days=3)


@pytest.mark.parametrize("who", ["regional", "oem_admin", "north_regional", "neighbour_manager", "agent"])
def test_only_the_dealer_answers(network, who):
    finding = raised(network)
    before = dealers_state()
    user = network[who]
    with as_user(user), pytest.raises((PermissionDenied, NotFound)):
        finding_answer(finding=finding, by=user, corrective_action="Not mine to answer.")
    assert dealers_state() == before


@pytest.mark.parametrize("who", ["manager", "dealer_admin", "seller", "north_regional", "neighbour_manager"])
def test_only_the_oem_over_the_dealer_closes(network, who):
    finding = raised(network)
    with as_user(network["manager"]):
        finding_answer(finding=finding, by=network["manager"], corrective_action="Done.")
    before = dealers_state()
    user = network[who]
    with as_user(user), pytest.raises((PermissionDenied, NotFound)):
        finding_close(finding=finding, by=user)
    assert dealers_state() == before


def test_a_finding_cannot_be_closed_before_it_is_answered_nor_answered_twice(network):
    finding = raised(network)
    with as_user(network["regional"]), pytest.raises(FindingWrongState):
        finding_close(finding=finding, by=network["regional"])
    with as_user(network["manager"]):
        finding_answer(finding=finding, by=network["manager"], corrective_action="Done.")
        with pytest.raises(FindingWrongState):
            finding_answer(finding=finding, by=network["manager"], corrective_action="Again.")


def test_dealers_never_raise_findings_and_owners_work_at_the_dealer(network):
    with as_user(network["manager"]), pytest.raises(PermissionDenied):
        finding_raise(
            dealer=network["home"], by=network["manager"], title="x", severity="minor",
            due_on=date.today(), figure_code="x",
        )
    with as_user(network["regional"]), pytest.raises(OwnerNotAtDealer):
        finding_raise(
            dealer=network["home"], by=network["regional"], title="x", severity="minor",
            due_on=date.today(), figure_code="x", owner=network["neighbour_manager"],
        )
    with network_wide(reason="test check"):
        assert not Finding.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("script.exe", b"MZ" + b"\x00" * 10, "only PDF"),
        ("fake.png", b"<html>not an image</html>", "not the kind of file"),
        ("empty.pdf", b"", "empty"),
        ("huge.pdf", PDF + b"0" * 2048, "larger than"),
    ],
)
def test_evidence_of_the_wrong_type_or_size_is_refused_and_nothing_changes(network, settings, name, content, message):
    settings.DEALERS_EVIDENCE_MAX_BYTES = 1024
    finding = raised(network)
    before = dealers_state()
    with as_user(network["manager"]), pytest.raises(EvidenceRefused, match=message):
        finding_answer(
            finding=finding, by=network["manager"], corrective_action="See attached.",
            files=[png("ok.png"), SimpleUploadedFile(name, content)],
        )
    assert dealers_state() == before


def test_an_overdue_finding_escalates_once_to_the_owner_managers_and_region(network):
    finding = raised(network, severity="critical", due_on=date(2026, 11, 30))
    # 1 December 00:30 in Shanghai is still 30 November in UTC: the dealer's zone decides.
    now = datetime(2026, 12, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))

    assert findings_escalate(now=now - timedelta(hours=1)) == 0
    assert findings_escalate(now=now) == 1
    assert findings_escalate(now=now + timedelta(hours=1)) == 0

    with network_wide(reason="test check"):
        told = set(Notification.objects.filter(kind="finding_overdue").values_list("user__username", flat=True))
        assert FindingStep.objects.filter(finding=finding, kind="escalated").count() == 1
    assert told == {"home-manager", "home-admin", "east-regional"}


def checklist(admin):
    with as_user(admin):
        draft = checklist_draft_save(
            by=admin,
            title="Showroom standards",
            items=[
                ItemTerms("Showroom", "Walk-ins are logged at the door", weight=3, is_critical=True),
                ItemTerms("Showroom", "Demo cars are clean", weight=1, is_evidence_required=True),
                ItemTerms("Service", "Waiting area has Wi-Fi", weight=1),
            ],
        )
        return checklist_publish(checklist=draft, by=admin)


def test_an_audit_keeps_its_checklist_version_scores_and_opens_findings(network):
    first = checklist(network["oem_admin"])
    regional = network["regional"]
    with as_user(regional):
        audit = audit_start(dealer=network["home"], by=regional, visited_on=date.today())
    with as_user(network["oem_admin"]):  # a new version published while the audit runs changes nothing
        checklist_publish(
            checklist=checklist_draft_save(
                by=network["oem_admin"], title="v2", items=[ItemTerms("Other", "Something else")]
            ),
            by=network["oem_admin"],
        )
    with network_wide(reason="test check"):
        items = {row.item.text: row.item_id for row in audit.results.select_related("item")}
    assert audit.checklist_id == first.id and len(items) == 3

    with as_user(regional):
        audit_record(audit=audit, by=regional, item_id=items["Walk-ins are logged at the door"], result="fail", note="Two of five")
        audit_record(audit=audit, by=regional, item_id=items["Demo cars are clean"], result="pass")
        audit_record(audit=audit, by=regional, item_id=items["Waiting area has Wi-Fi"], result="na")
        with pytest.raises(AuditIncomplete):
            audit_complete(audit=audit, by=regional)  # the demo cars need a photo
        audit_record(audit=audit, by=regional, item_id=items["Demo cars are clean"], result="pass", files=[png()])
        audit = audit_complete(audit=audit, by=regional)

    assert audit.score == 25  # 1 of the 4 applicable weight passed
    with network_wide(reason="test check"):
        finding = Finding.objects.get()
        assert (finding.source, finding.severity, finding.audit_result.item.text) == (
            "audit", "critical", "Walk-ins are logged at the door",
        )
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditResult.objects.filter(audit=audit).update(result="pass")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditChecklist.objects.filter(id=first.id).update(title="Changed")
    with as_user(regional), pytest.raises(PermissionDenied):
        audit_record(audit=audit, by=regional, item_id=items["Demo cars are clean"], result="fail")


def test_a_published_checklist_is_frozen(network):
    published = checklist(network["oem_admin"])
    with as_user(network["oem_admin"]), pytest.raises(Frozen):
        checklist_draft_save(by=network["oem_admin"], title="x", items=[ItemTerms("a", "b")], checklist=published)


def test_dealers_and_other_regions_cannot_audit(network):
    checklist(network["oem_admin"])
    for who in ("manager", "north_regional"):
        with as_user(network[who]), pytest.raises(PermissionDenied):
            audit_start(dealer=network["home"], by=network[who], visited_on=date.today())
