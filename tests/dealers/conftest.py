"""The dealers' pages are built from whatever the key-figure registry holds. Their tests register figures of
their own over lead rows (and unregister them after), so the pages are proven without naming any figure
an app registers: `test_figures` swaps the registry's contents for three test figures for one test.

`network`: region East (dealers Good, Middling, Bad) and region North (dealer Far), with this month's leads
that give known order and loss rates, and a user of every role that reads these pages."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from crm.core import key_figures
from crm.core.key_figures import KeyFigure, Measure, MeasureKind, Unit, ratio, total_of
from crm.core.scope import network_wide
from crm.network.models import Role
from dealers.selectors.periods import month_start
from leads.models import Lead, Stage
from tests.factories import DealerFactory, RegionFactory, staff, web_lead

SHANGHAI = ZoneInfo("Asia/Shanghai")


@contextmanager
def registry_holding(*, measures, figures):
    """The key-figure registry holding only these measures and figures inside the block (the core has no
    unregister: tests swap its contents and put them back)."""
    registry = key_figures._registry
    saved_measures, saved_figures = dict(registry.measures), dict(registry.figures)
    registry.measures.clear()
    registry.figures.clear()
    try:
        key_figures.measure_register(*measures)
        key_figures.figure_register(*figures)
        yield
    finally:
        registry.measures.clear()
        registry.figures.clear()
        registry.measures.update(saved_measures)
        registry.figures.update(saved_figures)


def _lead_count(**conditions):
    def compute(*, dealer_ids, first_day: date, last_day: date):
        rows = (
            Lead.objects.filter(dealer_id__in=dealer_ids, **conditions)
            .annotate(day=TruncDate("arrived_at", tzinfo=SHANGHAI))
            .filter(day__gte=first_day, day__lte=last_day)
            .values("dealer_id", "day")
            .annotate(total=Count("id"))
            .order_by()
        )
        return [(row["dealer_id"], row["day"], row["total"]) for row in rows]

    return compute


def _leads_url(**extra):
    def url(dealer_id, first_day, last_day):
        query = {"arrived_from": first_day.isoformat(), "arrived_to": last_day.isoformat(), **extra}
        if dealer_id is not None:
            query["dealer"] = dealer_id
        return reverse("leads:list") + "?" + urlencode(query)

    return url


TEST_MEASURES = (
    Measure("test_received", MeasureKind.COUNT, _lead_count()),
    Measure("test_ordered", MeasureKind.COUNT, _lead_count(stage=Stage.ORDERED)),
    Measure("test_lost", MeasureKind.COUNT, _lead_count(stage=Stage.LOST)),
)
TEST_FIGURES = (
    KeyFigure(
        code="test_order_rate",
        owner="tests",
        label="Test order rate",
        unit=Unit.PERCENT,
        higher_is_better=True,
        definition="Leads that ordered, of the leads that arrived.",
        measures=("test_ordered", "test_received"),
        combine=ratio("test_ordered", "test_received"),
        group="conversion",
        order=1,
        rows_url=_leads_url(stage=Stage.ORDERED),
        tags=frozenset({"primary"}),
    ),
    KeyFigure(
        code="test_lost_rate",
        owner="tests",
        label="Test lost rate",
        unit=Unit.PERCENT,
        higher_is_better=False,
        definition="Leads lost, of the leads that arrived.",
        measures=("test_lost", "test_received"),
        combine=ratio("test_lost", "test_received"),
        group="conversion",
        order=2,
        rows_url=_leads_url(stage=Stage.LOST),
    ),
    KeyFigure(
        code="test_received_count",
        owner="tests",
        label="Test leads received",
        unit=Unit.COUNT,
        higher_is_better=True,
        definition="Leads that arrived.",
        measures=("test_received",),
        combine=total_of("test_received"),
        group="arrival",
        order=0,
        rows_url=_leads_url(),
        is_scorable=False,
    ),
)


@pytest.fixture
def test_figures():
    with registry_holding(measures=TEST_MEASURES, figures=TEST_FIGURES):
        yield


def leads_at(dealer, *, ordered: int, lost: int, open_: int, arrived_at=None):
    leads = [web_lead(dealer, arrived_at=arrived_at) for _ in range(ordered + lost + open_)]
    with network_wide(reason="test arrange"):
        Lead.objects.filter(id__in=[lead.id for lead in leads[:ordered]]).update(stage=Stage.ORDERED, furthest_stage=Stage.ORDERED)
        Lead.objects.filter(id__in=[lead.id for lead in leads[ordered : ordered + lost]]).update(stage=Stage.LOST, closed_at=timezone.now())
    return leads


@dataclass
class Network:
    east: object
    north: object
    good: object
    middling: object
    bad: object
    far: object
    users: dict


@pytest.fixture
def network(db, test_figures):
    """Order rates this month: Good 75 %, Middling 50 %, Bad 25 %, Far 100 %. Lost rates: Good 0 %,
    Middling 25 %, Bad 50 %. Bad also had leads last month (its trend)."""
    east, north = RegionFactory(code="east", name="East"), RegionFactory(code="north", name="North")
    good = DealerFactory(region=east, code="E1", name="Good Motors")
    middling = DealerFactory(region=east, code="E2", name="Middling Motors")
    bad = DealerFactory(region=east, code="E3", name="Bad Motors")
    far = DealerFactory(region=north, code="N1", name="Far Motors")
    now = timezone.now()
    leads_at(good, ordered=3, lost=0, open_=1, arrived_at=now)
    leads_at(middling, ordered=2, lost=1, open_=1, arrived_at=now)
    leads_at(bad, ordered=1, lost=2, open_=1, arrived_at=now)
    leads_at(far, ordered=2, lost=0, open_=0, arrived_at=now)
    # Last month, Bad did better (1 of 2 ordered): its trend is worse.
    last_month = datetime.combine(month_start(timezone.localdate(), 1), time(12), tzinfo=SHANGHAI)
    leads_at(bad, ordered=1, lost=0, open_=1, arrived_at=last_month)
    users = {
        Role.REGIONAL_MANAGER: staff(Role.REGIONAL_MANAGER, region=east, username="region.east"),
        "north_manager": staff(Role.REGIONAL_MANAGER, region=north, username="region.north"),
        Role.OEM_ADMIN: staff(Role.OEM_ADMIN, username="oem.admin"),
        Role.SALES_MANAGER: staff(Role.SALES_MANAGER, dealer=bad, username="manager.bad"),
        Role.DEALER_ADMIN: staff(Role.DEALER_ADMIN, dealer=bad, username="admin.bad"),
        Role.SALESPERSON: staff(Role.SALESPERSON, dealer=bad, username="sales.bad"),
        Role.CALL_CENTRE_AGENT: staff(Role.CALL_CENTRE_AGENT, username="callcentre"),
        Role.SERVICE_ADVISOR: staff(Role.SERVICE_ADVISOR, dealer=bad, username="advisor.bad"),
    }
    return Network(east, north, good, middling, bad, far, users)


@pytest.fixture
def client_as(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
