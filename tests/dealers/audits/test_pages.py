"""The dealers pages as people use them: the dealer manager answers a finding with an evidence file, the
auditor closes it, the file is served only to those who may see it; a dealer never sees a draft scorecard;
the template editor says why the weights are wrong beside the key figures; exports are CSV and XLSX."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from crm.core.scope import network_wide
from dealers.models import Evidence, Finding, ScorecardTemplate
from dealers.services.findings import finding_raise
from dealers.services.scorecards import (
    KpiTerms,
    TierTerms,
    scorecard_publish,
    scorecards_draft_month,
    template_draft_save,
    template_publish,
)
from tests.dealers.audits.conftest import as_user, dealers_state, figure_data_set

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def raised(network) -> Finding:
    with as_user(network["regional"]):
        return finding_raise(
            dealer=network["home"], by=network["regional"], title="Walk-ins not logged", severity="critical",
            due_on=date.today() + timedelta(days=5), figure_code="leads.visits", owner=network["manager"],
        )


def test_the_dealer_answers_with_a_file_and_the_auditor_closes(network):
    finding = raised(network)
    manager = client_for(network["manager"])
    page = manager.get(reverse("dealers:finding_detail", args=[finding.id]))
    assert page.status_code == 200 and b"Answer with a corrective action" in page.content

    response = manager.post(
        reverse("dealers:finding_answer", args=[finding.id]),
        {"corrective_action": "Door greeter logs every visit.", "files": [SimpleUploadedFile("door.png", PNG)]},
    )
    assert response.status_code == 302
    # The dealer cannot close its own finding: the verification route does not exist for it.
    assert manager.post(reverse("dealers:finding_verify", args=[finding.id]), {"decision": "close"}).status_code == 404

    regional = client_for(network["regional"])
    page = regional.get(reverse("dealers:finding_detail", args=[finding.id]))
    assert b"Verify the corrective action" in page.content and b"door.png" in page.content
    response = regional.post(reverse("dealers:finding_verify", args=[finding.id]), {"decision": "close", "note": "Seen."})
    assert response.status_code == 302
    with network_wide(reason="test check"):
        assert Finding.objects.get(id=finding.id).status == "closed"


def test_a_refused_file_is_explained_beside_the_field(network):
    finding = raised(network)
    before = dealers_state()
    response = client_for(network["manager"]).post(
        reverse("dealers:finding_answer", args=[finding.id]),
        {"corrective_action": "See file.", "files": [SimpleUploadedFile("virus.exe", b"MZ....")]},
    )
    assert response.status_code == 400
    assert "only PDF, JPEG, PNG and WebP files" in response.content.decode()
    assert dealers_state() == before


def test_evidence_is_served_only_to_those_who_may_see_the_finding(network):
    finding = raised(network)
    with as_user(network["manager"]):
        from dealers.services.findings import finding_answer

        finding_answer(
            finding=finding, by=network["manager"], corrective_action="x", files=[SimpleUploadedFile("a.png", PNG)]
        )
    with network_wide(reason="test check"):
        evidence = Evidence.objects.get()
    url = reverse("dealers:evidence", args=[evidence.id])
    for who in ("manager", "dealer_admin", "regional", "oem_admin"):
        response = client_for(network[who]).get(url)
        assert response.status_code == 200, who
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png" and "attachment" in response["Content-Disposition"]
    for who in ("seller", "neighbour_manager", "north_regional", "agent"):
        assert client_for(network[who]).get(url).status_code == 404, who
    assert Client().get(url).status_code == 302


def test_a_dealer_sees_its_published_scorecards_only(network, test_figures):
    admin = network["oem_admin"]
    with as_user(admin):
        template = template_draft_save(
            by=admin, name="Sales", tiers=TierTerms(),
            kpis=[KpiTerms("test_audit.sla_share", 100, Decimal(90), Decimal(50))],
        )
        template_publish(template=template, by=admin)
    for dealer in (network["home"], network["neighbour"]):
        figure_data_set(dealer, date(2026, 10, 3), within=7, received=10)
    scorecards_draft_month(month=date(2026, 10, 1), dealer_ids=[network["home"].id, network["neighbour"].id])
    from dealers.models import Scorecard

    with network_wide(reason="test check"):
        home_card = Scorecard.objects.get(dealer=network["home"])
        neighbour_card = Scorecard.objects.get(dealer=network["neighbour"])
    manager = client_for(network["manager"])
    detail = reverse("dealers:scorecard_detail", args=[home_card.id])
    assert manager.get(detail).status_code == 404  # a draft
    assert b"Home Motors" not in manager.get(reverse("dealers:scorecard_list")).content

    regional = client_for(network["regional"])
    assert regional.get(detail).status_code == 200
    assert regional.post(reverse("dealers:scorecard_publish", args=[home_card.id])).status_code == 302
    with as_user(network["regional"]):
        scorecard_publish(scorecard=neighbour_card, by=network["regional"])

    page = manager.get(detail)
    assert page.status_code == 200 and b"Within the SLA" in page.content
    listing = manager.get(reverse("dealers:scorecard_list")).content.decode()
    assert "Home Motors" in listing and "Neighbour Motors" not in listing
    assert manager.get(reverse("dealers:scorecard_detail", args=[neighbour_card.id])).status_code == 404
    assert client_for(network["north_regional"]).get(detail).status_code == 404

    csv = manager.get(reverse("dealers:scorecard_export"), {"as": "csv", "month": "2026-10"})
    assert csv.status_code == 200 and "Home Motors" in csv.content.decode("utf-8-sig")
    assert "Neighbour Motors" not in csv.content.decode("utf-8-sig")
    xlsx = regional.get(reverse("dealers:scorecard_export"), {"as": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert regional.get(reverse("dealers:scorecard_export"), {"as": "pdf"}).status_code == 400


def test_the_template_editor_explains_weights_beside_the_key_figures(network, test_figures):
    admin = client_for(network["oem_admin"])
    form = {
        "name": "Sales 2027", "tier_a_min": "90", "tier_b_min": "80", "tier_c_min": "70", "veto_cap_tier": "C",
        "rebate_a": "1.5", "rebate_b": "1", "rebate_c": "0.5", "rebate_d": "0",
        "kpi-0-figure": "test_audit.sla_share", "kpi-0-weight": "60", "kpi-0-target": "90", "kpi-0-floor": "50",
        "kpi-1-figure": "test_audit.response_minutes", "kpi-1-weight": "30", "kpi-1-target": "120",
        "kpi-1-floor": "30",
    }
    response = admin.post(reverse("dealers:template_new"), form)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The weights add up to 90; they must add up to 100." in body
    assert "Lower is better here: the target must be below the floor." in body
    with network_wide(reason="test check"):
        assert not ScorecardTemplate.objects.exists()

    form.update({"kpi-1-weight": "40", "kpi-1-target": "30", "kpi-1-floor": "120", "publish": "1"})
    assert admin.post(reverse("dealers:template_new"), form).status_code == 302
    with network_wide(reason="test check"):
        template = ScorecardTemplate.objects.get()
    assert (template.status, template.kpis.count()) == ("published", 2)
    # Editing the published version opens the editor of the next one.
    response = admin.get(reverse("dealers:template_edit", args=[template.id]))
    assert response.status_code == 302 and f"from={template.id}" in response["Location"]


def test_pages_render_for_their_roles(network, test_figures):
    finding = raised(network)
    for who, names in {
        "regional": ["dealers:finding_list", "dealers:audit_list", "dealers:shop_list", "dealers:shop_new", "dealers:finding_new"],
        "manager": ["dealers:finding_list", "dealers:audit_list", "dealers:scorecard_list"],
        "oem_admin": ["dealers:template_list", "dealers:checklist_list", "dealers:checklist_new", "dealers:template_new"],
    }.items():
        client = client_for(network[who])
        for name in names:
            assert client.get(reverse(name)).status_code == 200, (who, name)
        assert client.get(reverse("dealers:finding_detail", args=[finding.id])).status_code == 200


def test_the_owner_list_holds_only_the_chosen_dealers_staff(network, test_figures):
    regional = client_for(network["regional"])
    page = regional.get(reverse("dealers:finding_new"), {"dealer": network["home"].id}).content.decode()
    assert "home-manager" in page and "neighbour-manager" not in page
    assert "home-manager" not in regional.get(reverse("dealers:finding_new")).content.decode()
    before = dealers_state()
    response = regional.post(
        reverse("dealers:finding_new"),
        {"dealer": network["home"].id, "figure_code": "test_audit.sla_share", "title": "x", "severity": "minor",
         "due_on": "2030-01-01", "owner": network["neighbour_manager"].id},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert dealers_state() == before
