"""The reads other pages use for a dealer's panel: its open findings and its newest scorecard, as the user
may see them."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dealers.selectors.audits import findings_open_for_dealer
from dealers.selectors.scorecards import scorecard_latest
from dealers.services.findings import finding_answer, finding_close, finding_raise
from dealers.services.scorecards import (
    KpiTerms,
    TierTerms,
    scorecard_publish,
    scorecards_draft_month,
    template_draft_save,
    template_publish,
)
from tests.dealers.audits.conftest import as_user, figure_data_set

pytestmark = pytest.mark.django_db


def test_open_findings_of_a_dealer_most_urgent_first(network):
    regional, manager = network["regional"], network["manager"]
    with as_user(regional):
        later, sooner, done = (
            finding_raise(dealer=network["home"], by=regional, title=title, severity="minor",
                          due_on=date.today() + timedelta(days=days), figure_code="x")
            for title, days in (("later", 9), ("sooner", 2), ("done", 1))
        )
    with as_user(manager):
        finding_answer(finding=done, by=manager, corrective_action="Fixed.")
    with as_user(regional):
        finding_close(finding=done, by=regional)
        assert [f.title for f in findings_open_for_dealer(user=regional, dealer_id=network["home"].id)] == ["sooner", "later"]
    with as_user(network["neighbour_manager"]):
        assert not findings_open_for_dealer(user=network["neighbour_manager"], dealer_id=network["home"].id).exists()


def test_the_newest_scorecard_is_the_newest_the_user_may_read(network, test_figures):
    admin, regional = network["oem_admin"], network["regional"]
    with as_user(admin):
        template_publish(
            template=template_draft_save(by=admin, name="T", tiers=TierTerms(),
                                         kpis=[KpiTerms("test_audit.sla_share", 100, Decimal(90), Decimal(50))]),
            by=admin,
        )
    home = network["home"]
    for month in (date(2026, 9, 1), date(2026, 10, 1)):
        figure_data_set(home, month + timedelta(days=3), within=8, received=10)
        scorecards_draft_month(month=month, dealer_ids=[home.id])
    with as_user(regional):
        assert scorecard_latest(user=regional, dealer_id=home.id).month == date(2026, 10, 1)  # the OEM sees the October draft
        from dealers.models import Scorecard

        scorecard_publish(scorecard=Scorecard.objects.get(dealer=home, month=date(2026, 9, 1)), by=regional)
    with as_user(network["manager"]):
        assert scorecard_latest(user=network["manager"], dealer_id=home.id).month == date(2026, 9, 1)
