"""The OEM read log's hook on the dealers' detail pages (dealers/views/read_log.py): every OEM user's view of a
dealer's scorecard, scorecard history, audit, finding, evidence file, mystery shop and value ledger, and every
scorecard export, is one append-only row in that dealer's log; a dealer's own reads and refused reads are not."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from crm.core.scope import network_wide
from dealers.models import OemRead, Scorecard
from dealers.services.audits import ItemTerms, audit_start, checklist_draft_save, checklist_publish
from dealers.services.findings import finding_answer, finding_raise
from dealers.services.mystery import mystery_shop_record
from dealers.services.scorecards import scorecard_publish, scorecards_draft_month
from tests.dealers.audits.conftest import as_user, figure_data_set
from tests.dealers.audits.test_scorecards import DAY, MONTH, published_template

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + b"0" * 64


def reads() -> list[tuple]:
    with network_wide(reason="test check"):
        return list(OemRead.objects.order_by("id").values_list("dealer_id", "reader_id", "kind", "what", "path"))


@pytest.fixture
def home_rows(network, test_figures):
    """At Home: a published scorecard, an audit, a finding answered with a file, a mystery shop."""
    admin, regional, manager, home = network["oem_admin"], network["regional"], network["manager"], network["home"]
    published_template(admin)
    figure_data_set(home, DAY, within=9, received=10, minutes=[20])
    scorecards_draft_month(month=MONTH, dealer_ids=[home.id])
    with as_user(admin):
        scorecard = scorecard_publish(scorecard=Scorecard.objects.get(dealer=home, month=MONTH), by=admin)
        checklist_publish(
            checklist=checklist_draft_save(by=admin, title="Showroom", items=[ItemTerms("Process", "Greets", 1)]),
            by=admin,
        )
    with as_user(regional):
        audit = audit_start(dealer=home, by=regional, visited_on=date.today())
        finding = finding_raise(
            dealer=home, by=regional, title="Walk-ins", severity="major", due_on=date.today() + timedelta(days=5),
            figure_code="test_audit.sla_share",
        )
        shop = mystery_shop_record(
            dealer=home, by=regional, kind="visit", occurred_at=timezone.now(), shopper_phone="+8613900000999",
            shopper_name="Shopper", scenario="Asks for a test drive", behaviours={},
        )
    with as_user(manager):
        finding_answer(
            finding=finding, by=manager, corrective_action="Logged every walk-in since.",
            files=[SimpleUploadedFile("log.pdf", PDF, content_type="application/pdf")],
        )
    with network_wide(reason="test arrange"):
        evidence = finding.steps.get(kind="answered").evidence.get()
    return {
        "dealers:scorecard_detail": (reverse("dealers:scorecard_detail", args=[scorecard.id]), OemRead.Subject.SCORECARD),
        "dealers:scorecard_history": (reverse("dealers:scorecard_history", args=[home.id]), OemRead.Subject.SCORECARD_HISTORY),
        "dealers:scorecard_export": (reverse("dealers:scorecard_export") + "?as=csv", OemRead.Subject.SCORECARD_EXPORT),
        "dealers:audit_detail": (reverse("dealers:audit_detail", args=[audit.id]), OemRead.Subject.AUDIT),
        "dealers:finding_detail": (reverse("dealers:finding_detail", args=[finding.id]), OemRead.Subject.FINDING),
        "dealers:evidence": (reverse("dealers:evidence", args=[evidence.id]), OemRead.Subject.EVIDENCE),
        "dealers:shop_detail": (reverse("dealers:shop_detail", args=[shop.id]), OemRead.Subject.MYSTERY_SHOP),
        "dealers:value_ledger": (reverse("dealers:value_ledger") + f"?dealer={home.id}", OemRead.Subject.VALUE_LEDGER),
    }


def decorated_routes() -> set[str]:
    """The dealers routes whose view carries the read-log hook."""
    names = set()

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace == "dealers" and hasattr(entry.callback, "records_oem_read"):
                names.add(f"dealers:{entry.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_hooked_page_is_proven_here(home_rows):
    assert decorated_routes() == set(home_rows)


def test_each_oem_read_of_a_dealers_detail_page_is_logged_once(network, home_rows, client):
    regional, home = network["regional"], network["home"]
    client.force_login(regional)
    for name, (url, subject) in home_rows.items():
        before = len(reads())
        response = client.get(url)
        assert response.status_code == 200, f"{name}: {response.status_code}"
        new = reads()[before:]
        assert [(dealer, reader, what) for dealer, reader, _kind, what, _path in new] == [(home.id, regional.id, subject)], name
        kind = new[0][2]
        assert kind == (OemRead.Kind.EXPORT if name in {"dealers:scorecard_export", "dealers:evidence"} else OemRead.Kind.PAGE)
        assert new[0][4] == url


def test_the_dealers_own_reads_and_refused_reads_are_not_logged(network, home_rows, client):
    client.force_login(network["manager"])
    for name in ("dealers:scorecard_detail", "dealers:finding_detail", "dealers:evidence", "dealers:value_ledger"):
        assert client.get(home_rows[name][0]).status_code == 200, name
    client.force_login(network["north_regional"])
    for name in ("dealers:scorecard_detail", "dealers:audit_detail", "dealers:finding_detail", "dealers:shop_detail"):
        assert client.get(home_rows[name][0]).status_code == 404, name
    assert reads() == []


def test_the_dealer_admin_sees_the_new_reads_in_its_log(network, home_rows, client):
    client.force_login(network["regional"])
    client.get(home_rows["dealers:audit_detail"][0])
    client.force_login(network["dealer_admin"])
    page = client.get(reverse("dealers:oem_reads")).content.decode()
    assert "A field audit" in page
