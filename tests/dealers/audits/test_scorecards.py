"""Scorecards: templates with weights summing to 100, the linear points between floor and target either way
round, tiers, veto gates that cap the tier and cancel the rebate, the frozen published scorecard, and the
restatement that late data makes."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from crm.core.scope import network_wide
from dealers.exceptions import Frozen, TemplateInvalid, UnknownFigure, WeightsNotHundred
from dealers.models import Finding, Scorecard, ScorecardTemplate
from dealers.services.findings import finding_raise
from dealers.services.scorecards import (
    KpiTerms,
    TierTerms,
    points_for,
    scorecard_publish,
    scorecards_draft,
    scorecards_draft_month,
    template_draft_save,
    template_publish,
)
from tests.dealers.audits.conftest import as_user, figure_data_set

pytestmark = pytest.mark.django_db

MONTH = date(2026, 10, 1)
DAY = date(2026, 10, 15)
KPIS = [
    KpiTerms("test_audit.sla_share", 60, Decimal(90), Decimal(50)),
    KpiTerms("test_audit.response_minutes", 40, Decimal(30), Decimal(120)),
]


def published_template(admin, kpis=KPIS, **tiers):
    with as_user(admin):
        template = template_draft_save(by=admin, name="Sales 2026", kpis=kpis, tiers=TierTerms(**tiers))
        return template_publish(template=template, by=admin)


def scorecard_of(dealer, month=MONTH) -> Scorecard:
    with network_wide(reason="test check"):
        return Scorecard.objects.filter(dealer=dealer, month=month).order_by("-version").first()


def test_points_map_linearly_from_floor_to_target_either_way_round():
    assert points_for(value=Decimal(70), target=Decimal(90), floor=Decimal(50)) == Decimal("50.00")
    assert points_for(value=Decimal(95), target=Decimal(90), floor=Decimal(50)) == Decimal("100.00")
    assert points_for(value=Decimal(10), target=Decimal(90), floor=Decimal(50)) == Decimal("0.00")
    # Lower is better: 48 minutes between a 30-minute target and a 120-minute floor is 80 % of the way.
    assert points_for(value=Decimal(48), target=Decimal(30), floor=Decimal(120)) == Decimal("80.00")
    assert points_for(value=Decimal(20), target=Decimal(30), floor=Decimal(120)) == Decimal("100.00")
    assert points_for(value=Decimal(200), target=Decimal(30), floor=Decimal(120)) == Decimal("0.00")
    assert points_for(value=None, target=Decimal(30), floor=Decimal(120)) is None


def test_a_dealers_month_is_weighted_tiered_and_earns_its_tiers_rebate(network, test_figures):
    published_template(network["oem_admin"])
    home, neighbour = network["home"], network["neighbour"]
    figure_data_set(home, DAY, within=7, received=10, minutes=[40, 48, 60])  # 70 % -> 50; 48 min -> 80
    figure_data_set(neighbour, DAY, within=19, received=20, minutes=[25])  # 95 % -> 100; 25 min -> 100

    counts = scorecards_draft_month(month=MONTH, dealer_ids=[home.id, neighbour.id])

    assert counts == {"created": 2}
    scorecard = scorecard_of(home)
    assert scorecard.total_points == Decimal("62.00")  # (50 × 60 + 80 × 40) / 100
    assert (scorecard.points_tier, scorecard.tier, scorecard.rebate_rate) == ("D", "D", Decimal("0.00"))
    assert scorecard.status == Scorecard.Status.DRAFT
    with network_wide(reason="test check"):
        lines = {line.figure_code: line for line in scorecard.lines.all()}
    assert lines["test_audit.sla_share"].value == Decimal(70)
    assert lines["test_audit.response_minutes"].points == Decimal(80)
    best = scorecard_of(neighbour)
    assert (best.total_points, best.tier, best.rebate_rate) == (Decimal(100), "A", Decimal("1.50"))


def test_a_figure_without_a_value_gives_its_weight_to_the_others(network, test_figures):
    published_template(network["oem_admin"])
    figure_data_set(network["home"], DAY, within=8, received=10)  # 80 % -> 75 points; no response times

    scorecards_draft_month(month=MONTH, dealer_ids=[network["home"].id])

    scorecard = scorecard_of(network["home"])
    assert scorecard.total_points == Decimal("75.00")
    assert scorecard.tier == "C"


def test_an_overdue_critical_finding_caps_the_tier_and_cancels_the_rebate(network, test_figures):
    published_template(network["oem_admin"])
    home = network["home"]
    figure_data_set(home, DAY, within=10, received=10, minutes=[10])  # 100 points: tier A
    with as_user(network["regional"]):
        finding = finding_raise(
            dealer=home, by=network["regional"], title="Walk-ins not logged", severity="critical",
            due_on=date(2026, 10, 20), figure_code="test_audit.sla_share",
        )
    with network_wide(reason="test arrange"):
        Finding.objects.filter(id=finding.id).update(raised_at=datetime(2026, 10, 10, tzinfo=ZoneInfo("UTC")))

    scorecards_draft_month(month=MONTH, dealer_ids=[home.id])

    scorecard = scorecard_of(home)
    assert (scorecard.total_points, scorecard.points_tier) == (Decimal(100), "A")
    assert (scorecard.tier, scorecard.rebate_rate) == ("C", Decimal(0))
    assert scorecard.vetoes == [{"kind": "overdue_critical", "finding_id": finding.id, "title": "Walk-ins not logged"}]


def test_data_falsification_vetoes_even_when_the_finding_is_not_due(network, test_figures):
    published_template(network["oem_admin"], veto_cap_tier="D")
    home = network["home"]
    figure_data_set(home, DAY, within=10, received=10, minutes=[10])
    with as_user(network["oem_admin"]):
        finding = finding_raise(
            dealer=home, by=network["oem_admin"], title="Back-dated contact claims", severity="major",
            due_on=date(2026, 12, 31), figure_code="test_audit.sla_share", is_data_falsification=True,
        )
    with network_wide(reason="test arrange"):
        Finding.objects.filter(id=finding.id).update(raised_at=datetime(2026, 10, 28, tzinfo=ZoneInfo("UTC")))

    scorecards_draft_month(month=MONTH, dealer_ids=[home.id])

    assert (scorecard_of(home).tier, scorecard_of(home).rebate_rate) == ("D", Decimal(0))


def test_late_data_restates_a_published_scorecard_as_a_new_version(network, test_figures):
    published_template(network["oem_admin"])
    home, regional = network["home"], network["regional"]
    figure_data_set(home, DAY, within=7, received=10, minutes=[48])
    scorecards_draft_month(month=MONTH, dealer_ids=[home.id])
    with as_user(regional):
        original = scorecard_publish(scorecard=scorecard_of(home), by=regional)
    assert scorecards_draft_month(month=MONTH, dealer_ids=[home.id]) == {"unchanged": 1}

    figure_data_set(home, DAY, within=9, received=10)  # late contacts logged: 90 % -> 100 points

    assert scorecards_draft_month(month=MONTH, dealer_ids=[home.id]) == {"restated": 1}
    assert scorecards_draft_month(month=MONTH, dealer_ids=[home.id]) == {"unchanged": 1}
    restatement = scorecard_of(home)
    assert (restatement.version, restatement.restates_id, restatement.status) == (2, original.id, "draft")
    assert restatement.total_points == Decimal("92.00")  # (100 × 60 + 80 × 40) / 100
    with network_wide(reason="test check"):
        original.refresh_from_db()
        assert (original.total_points, original.status) == (Decimal("62.00"), "published")
        from dealers.selectors.scorecards import scorecard_differences

        differences = {d.figure_code: d for d in scorecard_differences(scorecard=restatement)}
    assert differences["test_audit.sla_share"].before_value == Decimal(70)
    assert differences["test_audit.sla_share"].after_value == Decimal(90)
    assert differences["test_audit.sla_share"].points_change == Decimal(50)
    assert differences["test_audit.response_minutes"].points_change == Decimal(0)


def test_a_published_scorecard_is_frozen_in_the_database(network, test_figures):
    published_template(network["oem_admin"])
    figure_data_set(network["home"], DAY, within=7, received=10)
    scorecards_draft_month(month=MONTH, dealer_ids=[network["home"].id])
    with as_user(network["regional"]):
        scorecard = scorecard_publish(scorecard=scorecard_of(network["home"]), by=network["regional"])
        with pytest.raises(Frozen):
            scorecard_publish(scorecard=scorecard, by=network["regional"])
    with network_wide(reason="test"), pytest.raises(DatabaseError), transaction.atomic():
        Scorecard.objects.filter(id=scorecard.id).update(tier="A")
    with network_wide(reason="test"), pytest.raises(DatabaseError), transaction.atomic():
        scorecard.lines.update(points=100)
    with network_wide(reason="test"), pytest.raises(DatabaseError), transaction.atomic():
        Scorecard.objects.filter(id=scorecard.id).delete()
    assert scorecard_of(network["home"]).tier == "D"


def test_template_weights_must_sum_to_100_in_the_service_and_the_database(network, test_figures):
    admin = network["oem_admin"]
    wrong = [KpiTerms("test_audit.sla_share", 60, Decimal(90), Decimal(50))]
    with as_user(admin), pytest.raises(WeightsNotHundred):
        template_draft_save(by=admin, name="Wrong", kpis=wrong, tiers=TierTerms())
    with as_user(admin):
        template = template_draft_save(by=admin, name="Right", kpis=KPIS, tiers=TierTerms())
    with network_wide(reason="test"), pytest.raises(IntegrityError), transaction.atomic():
        template.kpis.filter(figure_code="test_audit.sla_share").update(weight=50)
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_only_registered_scorable_figures_in_their_direction(network, test_figures):
    admin = network["oem_admin"]
    with as_user(admin):
        with pytest.raises(UnknownFigure):
            template_draft_save(
                by=admin, name="x", tiers=TierTerms(),
                kpis=[KpiTerms("test_audit.nowhere", 100, Decimal(90), Decimal(50))],
            )
        with pytest.raises(UnknownFigure):
            template_draft_save(
                by=admin, name="x", tiers=TierTerms(),
                kpis=[KpiTerms("test_audit.leads_received", 100, Decimal(90), Decimal(50))],
            )
        with pytest.raises(TemplateInvalid, match="lower is better"):
            template_draft_save(
                by=admin, name="x", tiers=TierTerms(),
                kpis=[KpiTerms("test_audit.response_minutes", 100, Decimal(120), Decimal(30))],
            )
        with pytest.raises(TemplateInvalid, match="descend"):
            template_draft_save(by=admin, name="x", kpis=KPIS, tiers=TierTerms(tier_b_min=Decimal(95)))


def test_a_published_template_is_frozen_and_editing_makes_the_next_version(network, test_figures):
    admin = network["oem_admin"]
    first = published_template(admin)
    with as_user(admin):
        with pytest.raises(Frozen):
            template_draft_save(by=admin, name="Edited", kpis=KPIS, tiers=TierTerms(), template=first)
        second = template_draft_save(by=admin, name="Edited", kpis=KPIS, tiers=TierTerms())
    assert (first.version, second.version, second.status) == (1, 2, "draft")
    with network_wide(reason="test"), pytest.raises(DatabaseError), transaction.atomic():
        ScorecardTemplate.objects.filter(id=first.id).update(name="Changed")
    with network_wide(reason="test"), pytest.raises(DatabaseError), transaction.atomic():
        first.kpis.update(weight=1)


def test_regional_staff_cannot_edit_templates(network, test_figures):
    from crm.core.exceptions import PermissionDenied

    with as_user(network["regional"]), pytest.raises(PermissionDenied):
        template_draft_save(by=network["regional"], name="x", kpis=KPIS, tiers=TierTerms())
    with network_wide(reason="test check"):
        assert not ScorecardTemplate.objects.exists()


def test_the_month_close_job_drafts_the_closed_month_once(network, test_figures):
    published_template(network["oem_admin"])
    figure_data_set(network["home"], DAY, within=7, received=10)
    # 1 November, 00:30 in Shanghai: October has closed there, not yet in UTC.
    now = datetime(2026, 11, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))

    first = scorecards_draft(now=now)
    again = scorecards_draft(now=now + timedelta(hours=1))

    assert first == {"created": 3}
    assert again == {"unchanged": 3}
    with network_wide(reason="test check"):
        assert set(Scorecard.objects.values_list("month", flat=True)) == {MONTH}
