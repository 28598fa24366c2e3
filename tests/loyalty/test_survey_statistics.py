"""Survey statistics on known data: the response rate over delivered invitations only, NPS with skipped
answers out of the denominator, the 0–100 satisfaction index, breakdowns by who was judged at send time,
the key figures registered for the dealers' scorecards, the page and its exports, and the demo seed."""

from datetime import timedelta
from io import BytesIO, StringIO

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.core.key_figures import figure_get, totals_from_raw
from crm.core.scope import network_wide, scoped
from crm.messaging.models import OutboxMessage
from crm.network.access import access_for
from crm.network.models import Role
from loyalty.models import SurveyResponse
from loyalty.selectors.surveys import StatisticsFilters, survey_statistics
from tests.factories import DealerFactory, customer_with, staff
from tests.loyalty import surveys_setup
from tests.loyalty.surveys_setup import answer, invite

pytestmark = pytest.mark.django_db
survey_world = surveys_setup.survey_world  # the shared fixture


def delivered(*invitations, status=OutboxMessage.Status.DELIVERED):
    """The gateway's receipt for the invitations' messages."""
    with network_wide(reason="test: gateway receipts"):
        OutboxMessage.objects.filter(id__in=[i.message_id for i in invitations]).update(status=status)


@pytest.fixture
def known(survey_world):
    """Five CSI invitations at one dealer for advisor A, sent today: four delivered, one failed.
    Answers: NPS 10, 9, 3, skipped (scale 1 = bottom), and one delivered but unanswered."""
    world = survey_world
    advisor = world["advisor"]
    invitations = [
        invite(world, customer=customer_with(world["dealer"]), advisor_id=advisor.id) for _ in range(5)
    ]
    delivered(*invitations[:4])
    delivered(invitations[4], status=OutboxMessage.Status.FAILED)
    answer(invitations[0], nps=10, scale=5, text="很满意")
    answer(invitations[1], nps=9, scale=4)
    answer(invitations[2], nps=3, scale=2, text="等太久")
    answer(invitations[3], scale=1)  # NPS skipped
    return {**world, "invitations": invitations}


def statistics_for(user, filters):
    """The selector as a page calls it: inside the user's scope."""
    with scoped(access_for(user).scope):
        return survey_statistics(user=user, filters=filters)


def today_filters(**extra) -> StatisticsFilters:
    today = timezone.localdate()
    return StatisticsFilters(date_from=today - timedelta(days=1), date_to=today + timedelta(days=1), **extra)


def test_nps_leaves_skipped_answers_out_and_the_rate_counts_delivered_invitations(known):
    stats = statistics_for(known["admin"], today_filters())
    totals = stats.totals
    assert (totals.invited, totals.delivered, totals.responses) == (5, 4, 4)
    assert totals.response_rate == 100.0
    assert (totals.promoters, totals.detractors, totals.nps_answers) == (2, 1, 3)
    assert totals.nps == pytest.approx(100 / 3)  # (2 − 1) / 3, not / 4
    # Scale 1–5 on 0–100: 5 → 100, 4 → 75, 2 → 25, 1 → 0.
    assert totals.index == pytest.approx(50.0)
    assert totals.low_responses == 2  # the detractor and the bottom of the scale
    assert stats.nps_distribution[10] == 1 and stats.nps_distribution[3] == 1 and sum(stats.nps_distribution) == 3
    assert [v.text for v in stats.verbatims] == ["等太久", "很满意"]  # newest first


def test_a_breakdown_by_advisor_keeps_the_advisor_judged_at_send(known):
    other = staff(Role.SERVICE_ADVISOR, dealer=known["dealer"])
    later = invite(known, customer=customer_with(known["dealer"]), advisor_id=other.id)
    delivered(later)
    answer(later, nps=0)
    rows = {row.key: row.figures for row in statistics_for(
        known["admin"], today_filters(group_by="advisor")
    ).groups}
    assert rows[known["advisor"].id].responses == 4 and rows[other.id].nps == -100


def test_a_dealer_manager_sees_only_their_dealer(known):
    elsewhere = DealerFactory()
    foreign = invite(known, customer=customer_with(elsewhere), dealer=elsewhere)
    delivered(foreign)
    answer(foreign, nps=0)
    manager_view = statistics_for(known["manager"], today_filters())
    admin_view = statistics_for(known["admin"], today_filters())
    assert (manager_view.totals.responses, admin_view.totals.responses) == (4, 5)


def test_the_key_figures_agree_with_the_statistics(known):
    today = timezone.localdate()
    codes = {
        code
        for figure in ("survey_nps", "survey_csi", "survey_ssi", "survey_response_rate")
        for code in figure_get(figure).measures
    }
    with network_wide(reason="test: the facts' reference"):
        totals = totals_from_raw(
            codes=codes, dealer_ids=[known["dealer"].id], first_day=today - timedelta(days=1), last_day=today + timedelta(days=1)
        )
    assert figure_get("survey_response_rate").combine(totals).value == 100.0
    nps = figure_get("survey_nps").combine(totals)
    assert (nps.numerator, nps.denominator) == (1, 3) and nps.value == pytest.approx(100 / 3)
    assert figure_get("survey_csi").combine(totals).value == pytest.approx(50.0)
    assert figure_get("survey_ssi").combine(totals).value is None  # no sales survey: no value, not zero
    with network_wide(reason="test"):
        low = totals_from_raw(
            codes=["survey_low_responses"],
            dealer_ids=[known["dealer"].id],
            first_day=today - timedelta(days=1),
            last_day=today + timedelta(days=1),
        )
    assert figure_get("survey_complaints").combine(low).value == 2


def test_the_statistics_page_and_its_exports(known, django_assert_max_num_queries):
    client = Client()
    client.force_login(known["manager"])
    url = reverse("loyalty:surveys:statistics")
    with django_assert_max_num_queries(40):
        page = client.get(url, {"group_by": "advisor"})
    body = page.content.decode()
    assert page.status_code == 200 and "等太久" in body and "survey-chart-data" in body
    csv = client.get(reverse("loyalty:surveys:statistics_export"), {"format": "csv"})
    assert csv.status_code == 200 and "等太久" not in csv.content.decode("utf-8-sig")
    xlsx = client.get(reverse("loyalty:surveys:statistics_export"), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(BytesIO(xlsx.content)).active
    assert sheet.cell(row=1, column=4).value in ("Responses", "回复")
    assert client.get(reverse("loyalty:surveys:statistics_export"), {"format": "pdf"}).status_code == 400
    assert client.get(url, {"date_from": "2026-13-01"}).status_code == 200  # a bad date is said, not a 500


def test_the_statistics_query_count_does_not_grow_with_responses(known, django_assert_max_num_queries):
    for _ in range(10):
        extra = invite(known, customer=customer_with(known["dealer"]), advisor_id=known["advisor"].id)
        answer(extra, nps=8, scale=4, text="ok")
    client = Client()
    client.force_login(known["admin"])
    with django_assert_max_num_queries(40):
        assert client.get(reverse("loyalty:surveys:statistics")).status_code == 200


def test_the_demo_seed_fills_the_statistics_and_runs_once():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo_surveys", stdout=out)
    call_command("seed_demo_surveys", stdout=out)
    assert "demo surveys already loaded" in out.getvalue()
    with network_wide(reason="test"):
        assert SurveyResponse.objects.count() > 50
    client = Client()
    client.force_login(get_user_model().objects.get(username="manager.sh"))
    page = client.get(reverse("loyalty:surveys:statistics"))
    assert page.status_code == 200
    stats = page.context["s"]
    assert stats.totals.responses > 0 and stats.totals.nps is not None and stats.totals.response_rate is not None
