"""What the funnel services keep on each lead for the dashboard: its furthest stage reached
(Lead.furthest_stage) and its time in stage (Lead.left_stages, Lead.left_stage_hours). They must always equal
what the stage-change log says, computed here from scratch; the migration's backfill computes the same; and
the dashboard's "time in stage" equals, exactly, the window over the stage changes it replaced."""

import importlib
from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from crm.core.scope import network_wide
from crm.network.models import Role
from leads.dashboard.selectors import FunnelFilters, funnel_figures, funnel_leads
from leads.models import FUNNEL_STAGES, Lead, LostVerdict, Stage, StageChange
from leads.services import lead_move, order_place, order_quote, visit_log
from tests.factories import DealerFactory, RegionFactory, staff, web_lead
from tests.leads.test_dashboard import ALWAYS_OPEN, arrange_dealer_a, as_user, contact, lose

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("leads.migrations.0005_funnel_furthest_stage_and_time_in_stage")


def bookkeeping_from_stage_changes() -> dict[int, tuple[str, list[str], list[float]]]:
    """Lead id -> (furthest stage, stages left, hours in each), from the stage-change log alone: the furthest
    funnel stage among the lead's changes and its current stage (lost and frozen are not funnel stages),
    and for each change followed by another (ordered by time, then id) its stage and the hours until then."""
    with network_wide(reason="test check"):
        changes = defaultdict(list)
        for change in StageChange.objects.order_by("lead_id", "at", "id"):
            changes[change.lead_id].append(change)
        expected = {}
        for lead in Lead.objects.all():
            ordered = changes[lead.id]
            stages = [lead.stage, *(change.to_stage for change in ordered)]
            ranks = [FUNNEL_STAGES.index(stage) for stage in stages if stage in FUNNEL_STAGES]
            pairs = list(zip(ordered, ordered[1:], strict=False))
            expected[lead.id] = (
                FUNNEL_STAGES[max(ranks, default=0)],
                [change.to_stage for change, _next in pairs],
                [(successor.at - change.at).total_seconds() / 3600 for change, successor in pairs],
            )
    return expected


def bookkeeping_kept() -> dict[int, tuple[str, list[str], list[float]]]:
    with network_wide(reason="test check"):
        return {
            lead_id: (furthest, stages, hours)
            for lead_id, furthest, stages, hours in Lead.objects.values_list(
                "id", "furthest_stage", "left_stages", "left_stage_hours"
            )
        }


def assert_bookkeeping_matches_the_log() -> None:
    kept, expected = bookkeeping_kept(), bookkeeping_from_stage_changes()
    assert kept.keys() == expected.keys()
    for lead_id, (furthest, stages, hours) in expected.items():
        assert kept[lead_id][:2] == (furthest, stages), lead_id
        assert kept[lead_id][2] == pytest.approx(hours, rel=1e-12), lead_id


@pytest.fixture
def shop():
    region = RegionFactory(code="east")
    dealer = DealerFactory(region=region, code="ALPHA", business_hours=ALWAYS_OPEN, time_zone="Asia/Shanghai")
    people = {
        "a1": staff(Role.SALESPERSON, dealer=dealer),
        "a2": staff(Role.SALESPERSON, dealer=dealer),
        "manager": staff(Role.SALES_MANAGER, dealer=dealer),
        "regional": staff(Role.REGIONAL_MANAGER, region=region),
    }
    arrange_dealer_a(dealer, people["a1"], people["a2"], people["manager"])
    a1 = people["a1"]
    # Ordered, then back to negotiating (the order fell through), then a test drive again.
    back = web_lead(dealer, name="Back and forth", phone="13800000021", owner=a1, hours_ago=40, source=None)
    contact(back, a1, minutes=20)
    with as_user(a1):
        order = order_quote(lead=back, by=a1, model="A6", list_price=Decimal("250000"))
        order_place(order=order, by=a1)
        lead_move(lead=back, to_stage=Stage.NEGOTIATION, by=a1)
        lead_move(lead=back, to_stage=Stage.TEST_DRIVE, by=a1)
    # Moved by hand now, then a visit logged afterwards for an hour ago: the log is not written in order.
    late = web_lead(dealer, name="Late visit", phone="13800000022", owner=a1, hours_ago=20, source=None)
    with as_user(a1):
        lead_move(lead=late, to_stage=Stage.CONTACTED, by=a1)
        visit_log(by=a1, dealer=dealer, phone="13800000022", arrived_at=timezone.now() - timedelta(hours=1))
    # Contacted, then lost: it keeps "contacted" as the furthest stage it reached.
    gone = web_lead(dealer, name="Gone", phone="13800000023", owner=a1, hours_ago=10, source=None)
    contact(gone, a1, minutes=30)
    lose(gone, a1, people["manager"], reason=LostVerdict.Reason.PRICE)
    return {"dealer": dealer, "back": back, "late": late, "gone": gone, **people}


def test_every_move_keeps_the_furthest_stage_and_the_time_in_stage(shop):
    assert_bookkeeping_matches_the_log()
    kept = bookkeeping_kept()
    back, late, gone = (kept[shop[name].id] for name in ("back", "late", "gone"))
    assert back[:2] == (
        Stage.ORDERED,
        [Stage.NEW, Stage.CONTACTED, Stage.NEGOTIATION, Stage.ORDERED, Stage.NEGOTIATION],
    )
    assert gone[:2] == (Stage.CONTACTED, [Stage.NEW, Stage.CONTACTED])
    # The visit logged afterwards sits before the manual move in time: "visited" was left for "contacted".
    assert late[:2] == (Stage.VISITED, [Stage.NEW, Stage.VISITED])
    assert late[2][1] == pytest.approx(1, abs=0.01)
    with network_wide(reason="test check"):
        assert Lead.objects.get(id=shop["late"].id).stage == Stage.VISITED


def test_a_lead_that_moved_back_still_counts_as_having_reached_its_furthest_stage(shop):
    user = shop["manager"]
    today = timezone.localdate()
    filters = FunnelFilters(date_from=today - timedelta(days=7), date_to=today)
    with as_user(user):
        figures = funnel_figures(user=user, filters=filters)
        reached = {row.stage: row.reached for row in figures.stages if row.reached is not None}
        ordered = funnel_leads(user=user, filters=replace(filters, reached=Stage.ORDERED))
        assert set(ordered.values_list("id", flat=True)) >= {shop["back"].id}
        # The delivered lead, and the one whose order fell through.
        assert reached[Stage.ORDERED].value == ordered.count() == 2


def test_the_database_refuses_a_furthest_stage_behind_the_current_one(shop):
    with network_wide(reason="test check"), pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.filter(id=shop["back"].id).update(furthest_stage=Stage.CONTACTED)


def test_the_migration_backfill_computes_what_the_services_keep(shop):
    kept = bookkeeping_kept()
    with network_wide(reason="test arrange"):
        # Forget what the check allows: everyone's time in stage, and a closed lead's furthest stage.
        Lead.objects.update(left_stages=[], left_stage_hours=[])
        Lead.objects.filter(id=shop["gone"].id).update(furthest_stage=Stage.NEW)
    with connection.cursor() as cursor:
        cursor.execute(backfill.BACKFILL_SQL)
    assert bookkeeping_kept() == kept
    assert_bookkeeping_matches_the_log()


def test_time_in_stage_equals_the_window_over_the_stage_changes(shop):
    """The dashboard reads the leads' own time in stage; the figures are exactly those of the window over
    the stage changes it replaced."""
    user = shop["regional"]
    today = timezone.localdate()
    filters = FunnelFilters(date_from=today - timedelta(days=7), date_to=today)
    with as_user(user):
        figures = funnel_figures(user=user, filters=filters)
        ids = list(funnel_leads(user=user, filters=filters).values_list("id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT to_stage, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours), count(*) FROM ("
                "  SELECT c.to_stage, EXTRACT(EPOCH FROM (lead(c.at) OVER (PARTITION BY c.lead_id"
                "  ORDER BY c.at, c.id) - c.at)) / 3600.0 AS hours FROM leads_stagechange AS c"
                "  WHERE c.lead_id = ANY(%s)"
                ") AS t WHERE hours IS NOT NULL GROUP BY to_stage",
                [ids],
            )
            window = {stage: (float(median), moves) for stage, median, moves in cursor.fetchall()}
    assert {stage: (median, moves) for stage, _label, median, moves in figures.time_in_stage} == window
    assert window[Stage.NEGOTIATION][1] == 3  # the delivered lead once, the one that went back twice
