"""Every dealers route (scorecards, templates, audits, checklists, findings, evidence, mystery shops) × every
role: nobody sees or changes another dealer's rows through them, and each page opens only for the roles it
is for. Reuses the access matrix's world (tests/core/test_access_matrix.py), adding this app's rows at the
foreign dealer Far, each carrying the marker."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from crm.core.scope import network_wide
from crm.network.models import Dealer, Role
from dealers.models import (
    Audit,
    AuditChecklist,
    AuditChecklistItem,
    AuditResult,
    Evidence,
    Finding,
    FindingStep,
    MysteryShop,
    Scorecard,
    ScorecardLine,
    ScorecardTemplate,
)
from tests.core.test_access_matrix import (  # noqa: F401 - `world` is a fixture used below
    DEALER_SCOPED_ROLES,
    FOREIGN_ID,
    FOREIGN_PHONE,
    MARKER,
    ROUTES,
    assert_nothing_leaks,
    urls_for,
    world,
)
from tests.dealers.audits.conftest import dealers_state

pytestmark = pytest.mark.django_db

DEALERS_ROUTES = [route for route in ROUTES if route.name.startswith("dealers:")]
ALL_ROLES = [*DEALER_SCOPED_ROLES, Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN]


@pytest.fixture
def audit_world(world, settings, tmp_path):  # noqa: F811 - the matrix fixture
    """The matrix's world plus, at Far: a published and a draft scorecard, a completed audit with evidence, a
    finding answered with evidence, and a mystery shop with the foreign customer's phone; each row with the matrix's FOREIGN_ID."""
    settings.DEALERS_EVIDENCE_ROOT = tmp_path / "evidence"
    admin = world["users"][Role.OEM_ADMIN]
    with network_wide(reason="test arrange"):
        far = Dealer.objects.get(name=f"{MARKER} Motors")
        template = ScorecardTemplate.objects.create(version=99, name="Template", created_by=admin)
        published = Scorecard.objects.create(
            id=FOREIGN_ID, dealer=far, template=template, month=date(2026, 10, 1), points_tier="B", tier="B",
            rebate_rate=Decimal(1), computed_at=timezone.now(), total_points=Decimal("84.00"),
            vetoes=[{"kind": "data_falsification", "finding_id": 0, "title": f"{MARKER} Veto"}],
        )
        ScorecardLine.objects.create(
            scorecard=published, dealer=far, figure_code=f"{MARKER}.figure", weight=100, target=90, floor=50,
            higher_is_better=True, value=80, points=75,
        )
        Scorecard.objects.filter(id=published.id).update(status="published", published_at=timezone.now())
        Scorecard.objects.create(
            id=FOREIGN_ID + 1, dealer=far, template=template, month=date(2026, 10, 1), version=2, restates=published,
            points_tier="A", tier="A", rebate_rate=Decimal(1), computed_at=timezone.now(),
        )
        checklist = AuditChecklist.objects.create(version=99, title="Checklist", created_by=admin)
        item = AuditChecklistItem.objects.create(checklist=checklist, category="c", text="t")
        audit = Audit.objects.create(id=FOREIGN_ID, dealer=far, checklist=checklist, auditor=admin, visited_on=date.today(), note=MARKER)
        result = AuditResult.objects.create(id=FOREIGN_ID, audit=audit, dealer=far, item=item, result="fail", note=f"{MARKER} note")
        audit_evidence = Evidence(
            id=FOREIGN_ID, dealer=far, audit_result=result, name=f"{MARKER}-audit.png", content_type="image/png", size=9,
            uploaded_by=admin,
        )
        audit_evidence.file.save("a.png", SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n0"), save=False)
        audit_evidence.save()
        MysteryShop.objects.create(
            id=FOREIGN_ID, dealer=far, kind="visit", occurred_at=timezone.now(), shopper_phone=FOREIGN_PHONE,
            scenario=f"{MARKER} scenario", recorded_by=admin,
        )
        finding = Finding.objects.create(
            id=FOREIGN_ID, dealer=far, source="figure", figure_code="x", title=f"{MARKER} Finding", severity="critical",
            due_on=date.today() + timedelta(days=3), raised_by=admin, raised_at=timezone.now(),
        )
        step = FindingStep.objects.create(finding=finding, dealer=far, kind="answered", at=timezone.now(), note=MARKER)
        finding_evidence = Evidence(
            id=FOREIGN_ID + 1, dealer=far, finding_step=step, name=f"{MARKER}-answer.pdf", content_type="application/pdf", size=9,
            uploaded_by=admin,
        )
        finding_evidence.file.save("b.pdf", SimpleUploadedFile("b.pdf", b"%PDF-1.7 0"), save=False)
        finding_evidence.save()
        Finding.objects.filter(id=finding.id).update(status="answered", answered_at=timezone.now())
    return {
        **world,  # every row above has the matrix's FOREIGN_ID (or the next one): the world's foreign ids cover them
        "secrets": [
            *world["secrets"],
            f"{MARKER} Finding",
            f"{MARKER} scenario",
            f"{MARKER} note",
            f"{MARKER} Veto",
            f"{MARKER}.figure",
            f"{MARKER}-audit.png",
            f"{MARKER}-answer.pdf",
            "%PDF-1.7",
        ],
    }


def test_every_dealers_route_is_covered():
    assert len(DEALERS_ROUTES) >= 25


@pytest.mark.parametrize("role", DEALER_SCOPED_ROLES, ids=str)
def test_no_dealers_route_shows_or_changes_another_dealers_rows(role, audit_world):
    client = APIClient()
    client.force_login(audit_world["users"][role])
    before = dealers_state()
    for route in DEALERS_ROUTES:
        for url in urls_for(route, audit_world):
            assert_nothing_leaks(client.get(url), audit_world, f"{role} GET {url}")
            for data in (
                {"decision": "close", "note": "x"},
                {"decision": "reopen", "note": "x", "due_on": "2030-01-01"},
                {"corrective_action": "x", "item": "1", "result": "pass", "due_on": "2030-01-01"},
            ):
                response = client.post(url, data)
                assert_nothing_leaks(response, audit_world, f"{role} POST {url}")
    assert dealers_state() == before


@pytest.mark.parametrize("role", [Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN], ids=str)
def test_network_roles_reach_every_dealers_route_without_errors(role, audit_world):
    client = APIClient()
    client.force_login(audit_world["users"][role])
    for route in DEALERS_ROUTES:
        for url in urls_for(route, audit_world):
            assert client.get(url).status_code < 500, f"{role} GET {url}"


def test_anonymous_callers_reach_no_dealers_page(audit_world):
    client = APIClient()
    before = dealers_state()
    for route in DEALERS_ROUTES:
        for url in urls_for(route, audit_world):
            assert client.get(url).status_code in (302, 404, 405), url
            assert client.post(url, {"decision": "close"}).status_code in (302, 403, 404, 405), url
    assert dealers_state() == before


# Which list pages open for which role (200), and which do not exist for it (404).
PAGES = {
    "dealers:scorecard_list": {Role.SALES_MANAGER, Role.DEALER_ADMIN, Role.REGIONAL_MANAGER, Role.OEM_ADMIN},
    "dealers:finding_list": {
        Role.SALESPERSON, Role.SALES_MANAGER, Role.SERVICE_ADVISOR, Role.DEALER_ADMIN, Role.REGIONAL_MANAGER,
        Role.OEM_ADMIN,
    },
    "dealers:audit_list": {Role.SALES_MANAGER, Role.DEALER_ADMIN, Role.REGIONAL_MANAGER, Role.OEM_ADMIN},
    "dealers:finding_new": {Role.REGIONAL_MANAGER, Role.OEM_ADMIN},
    "dealers:shop_list": {Role.REGIONAL_MANAGER, Role.OEM_ADMIN},
    "dealers:shop_new": {Role.REGIONAL_MANAGER, Role.OEM_ADMIN},
    "dealers:template_list": {Role.OEM_ADMIN},
    "dealers:template_new": {Role.OEM_ADMIN},
    "dealers:checklist_list": {Role.OEM_ADMIN},
    "dealers:checklist_new": {Role.OEM_ADMIN},
}


@pytest.mark.parametrize("role", ALL_ROLES, ids=str)
def test_each_page_opens_only_for_the_roles_it_is_for(role, audit_world):
    from django.urls import reverse

    client = APIClient()
    client.force_login(audit_world["users"][role])
    for name, roles in PAGES.items():
        response = client.get(reverse(name))
        assert response.status_code == (200 if role in roles else 404), f"{role} GET {name}"
        if role in DEALER_SCOPED_ROLES:
            assert_nothing_leaks(response, audit_world, f"{role} GET {name}")
