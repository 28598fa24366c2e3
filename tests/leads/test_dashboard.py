"""The funnel dashboard: figures arranged through the services at two dealers of one region and one of
another, checked for a salesperson, a sales manager, the regional manager and the OEM; every count equals
the lead list it drills into; exports carry the same numbers; the query count does not grow with leads."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide, scoped
from crm.network.access import access_for
from crm.network.models import Role
from leads.dashboard.forms import FunnelFilterForm
from leads.dashboard.selectors import ALL_STAGES, FunnelFilters, funnel_figures, funnel_leads
from leads.models import Lead, LeadSource, LeadType, LostVerdict, Stage
from leads.selectors import leads_for_user
from leads.services import (
    contact_log,
    lost_decide,
    lost_propose,
    order_deliver,
    order_place,
    order_quote,
    visit_log,
)
from tests.factories import DealerFactory, RegionFactory, contact_witnessed, make_vin, staff, web_lead

pytestmark = pytest.mark.django_db

ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
FOREIGN = "Zqxforeign"


def as_user(user):
    return scoped(access_for(user).scope)


def period() -> dict[str, str]:
    today = timezone.localdate()
    return {"arrived_from": (today - timedelta(days=7)).isoformat(), "arrived_to": today.isoformat()}


def filters(**extra) -> FunnelFilters:
    today = timezone.localdate()
    return FunnelFilters(date_from=today - timedelta(days=7), date_to=today, **extra)


def contact(lead, by, *, minutes, verified=False):
    at = lead.arrived_at + timedelta(minutes=minutes)
    if verified:  # witnessed: an answered click-to-call with its record
        contact_witnessed(lead, by, at=at)
        return
    with as_user(by):
        contact_log(lead=lead, by=by, channel="call", outcome="reached", at=at)


def lose(lead, seller, manager, *, reason, brand="", freeze=False):
    with as_user(seller):
        verdict = lost_propose(
            lead=lead, by=seller, reason=reason, competitor_brand=brand, freeze_only=freeze
        )
    with as_user(manager):
        lost_decide(verdict=verdict, by=manager, approve=True)


def arrange_dealer_a(dealer, a1, a2, manager, *, suffix=""):
    """Six leads: delivered (web, 10 min, verified), lost to BYD (web, 90 min, claimed), visited (phone,
    200 min: breached), new (phone, no contact yet), visited walk-in (A6), frozen walk-in (Q5)."""
    with network_wide(reason="test arrange"):
        source = LeadSource.objects.get_or_create(
            code=f"web-{dealer.code}",
            defaults={"name": "Dealer website", "channel": "web_form", "dealer": dealer},
        )[0]
    delivered = web_lead(
        dealer,
        name="Delivered" + suffix,
        phone="13800000001",
        owner=a1,
        hours_ago=30,
        source=source,
        models=["A6"],
    )
    contact(delivered, a1, minutes=10, verified=True)
    with as_user(a1):
        order = order_quote(lead=delivered, by=a1, model="A6", list_price=Decimal("300000"))
        order = order_place(order=order, by=a1)
        order_deliver(order=order, by=a1, vin=make_vin())
    lost = web_lead(
        dealer,
        name="Lost" + suffix,
        phone="13800000002",
        owner=a1,
        hours_ago=30,
        source=source,
        models=["A4"],
    )
    contact(lost, a1, minutes=90)
    lose(lost, a1, manager, reason=LostVerdict.Reason.COMPETITOR_BRAND, brand="BYD")
    visited = web_lead(
        dealer,
        name="Visited" + suffix,
        phone="13800000003",
        owner=a2,
        hours_ago=30,
        type=LeadType.PHONE,
        source=None,
    )
    contact(visited, a2, minutes=200)
    with as_user(a2):
        visit_log(by=a2, dealer=dealer, phone="13800000003", models_of_interest=["A6"])
    web_lead(
        dealer,
        name="Waiting" + suffix,
        phone="13800000004",
        owner=a2,
        hours_ago=1,
        type=LeadType.PHONE,
        source=None,
    )
    with as_user(a1):
        visit_log(
            by=a1,
            dealer=dealer,
            phone="13800000005",
            name="Walk-in" + suffix,
            models_of_interest=["A6"],
            grade="H",
        )
        visit_log(by=a1, dealer=dealer, party_size=2)  # anonymous: traffic only
    with as_user(a2):
        frozen = visit_log(
            by=a2, dealer=dealer, phone="13800000006", name="Frozen" + suffix, models_of_interest=["Q5"]
        ).lead
    lose(frozen, a2, manager, reason=LostVerdict.Reason.PRICE, freeze=True)


@pytest.fixture
def world():
    east, north = RegionFactory(code="east"), RegionFactory(code="north")
    a = DealerFactory(
        region=east, name="Alpha Motors", code="ALPHA", business_hours=ALWAYS_OPEN, time_zone="Asia/Shanghai"
    )
    b = DealerFactory(
        region=east, name="Bravo Motors", code="BRAVO", business_hours=ALWAYS_OPEN, time_zone="Asia/Shanghai"
    )
    c = DealerFactory(
        region=north,
        name=f"{FOREIGN} Motors",
        code="FAR",
        business_hours=ALWAYS_OPEN,
        time_zone="Asia/Shanghai",
    )
    people = {
        "a1": staff(Role.SALESPERSON, dealer=a),
        "a2": staff(Role.SALESPERSON, dealer=a),
        "manager_a": staff(Role.SALES_MANAGER, dealer=a),
        "b1": staff(Role.SALESPERSON, dealer=b),
        "manager_b": staff(Role.SALES_MANAGER, dealer=b),
        "c1": staff(Role.SALESPERSON, dealer=c),
        "regional": staff(Role.REGIONAL_MANAGER, region=east),
        "oem": staff(Role.OEM_ADMIN),
        "call_centre": staff(Role.CALL_CENTRE_AGENT),
        "advisor": staff(Role.SERVICE_ADVISOR, dealer=a),
    }
    arrange_dealer_a(a, people["a1"], people["a2"], people["manager_a"])
    bravo = web_lead(b, name="Bravo web", phone="13800000011", owner=people["b1"], hours_ago=5, source=None)
    contact(bravo, people["b1"], minutes=30, verified=True)
    with as_user(people["b1"]):
        visit_log(by=people["b1"], dealer=b, phone="13800000012", name="Bravo walk-in")
    for number in range(3):
        far = web_lead(
            c,
            name=f"{FOREIGN} {number}",
            phone=f"1390000002{number}",
            owner=people["c1"],
            hours_ago=9,
            source=None,
        )
        contact(far, people["c1"], minutes=500)
    return {"dealers": {"a": a, "b": b, "c": c}, **people}


def figures_for(user, **extra):
    with as_user(user):
        return funnel_figures(user=user, filters=filters(**extra))


def stage_counts(figures) -> dict[str, int]:
    return {row.stage: row.current.value for row in figures.stages}


def reached_counts(figures) -> dict[str, int]:
    return {row.stage: row.reached.value for row in figures.stages if row.reached is not None}


def test_a_sales_manager_sees_the_dealers_funnel(world):
    figures = figures_for(world["manager_a"])
    assert figures.total.value == 6
    assert stage_counts(figures) == {
        Stage.NEW: 1,
        Stage.CONTACTED: 0,
        Stage.VISITED: 2,
        Stage.TEST_DRIVE: 0,
        Stage.NEGOTIATION: 0,
        Stage.ORDERED: 0,
        Stage.DELIVERED: 1,
        Stage.LOST: 1,
        Stage.FROZEN: 1,
    }
    # A jump (contacted → negotiation, new → visited) counts as passing the skipped stages.
    assert reached_counts(figures) == {
        Stage.NEW: 6,
        Stage.CONTACTED: 5,
        Stage.VISITED: 4,
        Stage.TEST_DRIVE: 1,
        Stage.NEGOTIATION: 1,
        Stage.ORDERED: 1,
        Stage.DELIVERED: 1,
    }
    conversion = {row.stage: row.share_of_cohort for row in figures.stages if row.reached is not None}
    assert conversion[Stage.VISITED] == pytest.approx(4 / 6)
    assert {row.stage: row.step_conversion for row in figures.stages}[Stage.TEST_DRIVE] == pytest.approx(
        1 / 4
    )
    assert (figures.lost.value, figures.frozen.value) == (1, 1)


def test_first_response_buckets_breach_rate_and_verified_share(world):
    figures = figures_for(world["manager_a"])
    buckets = {key: figure.value for key, _label, figure in figures.first_response}
    assert buckets == {"lt15": 1, "15_60": 0, "1_2h": 1, "2_8h": 1, "8_24h": 0, "gt24h": 0, "none": 1}
    assert figures.clocked.value == 4  # walk-ins have no first-response clock
    assert figures.breached.value == 1
    assert figures.breach_rate == pytest.approx(0.25)
    assert (figures.verified.value, figures.claimed.value) == (1, 2)
    assert figures.median_first_response == pytest.approx(90)


def test_lost_reasons_breakdowns_time_in_stage_and_traffic(world):
    figures = figures_for(world["manager_a"])
    reasons = {reason: (lost.value, frozen.value) for reason, _label, lost, frozen in figures.lost_reasons}
    assert reasons == {"competitor_brand": (1, 0), "price": (0, 1)}
    assert figures.competitors == [("BYD", 1)]
    assert {row.label: row.leads.value for row in figures.by_model} == {"A6": 3, "A4": 1, "Q5": 1}
    assert {row.label: row.leads.value for row in figures.by_source} == {"Dealer website": 2, "No source": 4}
    owners = {row.key: (row.leads.value, row.ordered.value) for row in figures.by_owner}
    assert owners == {world["a1"].id: (3, 1), world["a2"].id: (3, 0)}
    assert figures.by_dealer == []  # one dealer: no dealer breakdown
    assert sum(row.leads.value for row in figures.trend) == 6
    assert {stage for stage, *_rest in figures.time_in_stage} >= {
        Stage.NEW,
        Stage.CONTACTED,
        Stage.NEGOTIATION,
    }
    assert figures.traffic == {"visits": 4, "anonymous": 1, "first": 3, "returning": 0, "people": 5}


def test_a_salesperson_sees_only_their_own_figures(world):
    figures = figures_for(world["a1"])
    assert figures.viewer.own_figures_only
    assert figures.total.value == 3
    assert figures.filters.owner == world["a1"].id
    assert figures.total.params["owner"] == str(world["a1"].id)
    assert {row.key for row in figures.by_owner} == {world["a1"].id}
    # Asking for a colleague's figures still answers with one's own.
    assert figures_for(world["a1"], owner=world["a2"].id).total.value == 3
    assert figures.traffic["visits"] == 2  # the visits they logged


def test_the_regional_manager_sees_the_region_rolled_up_with_drill_down(world):
    figures = figures_for(world["regional"])
    assert figures.total.value == 8
    dealers = {row.key: row.leads.value for row in figures.by_dealer}
    assert dealers == {world["dealers"]["a"].id: 6, world["dealers"]["b"].id: 2}
    drilled = figures_for(world["regional"], dealer_id=world["dealers"]["b"].id)
    assert drilled.total.value == 2
    assert stage_counts(drilled)[Stage.CONTACTED] == 1 and stage_counts(drilled)[Stage.VISITED] == 1
    by_person = figures_for(world["regional"], owner=world["a2"].id)
    assert by_person.total.value == 3
    assert world["dealers"]["c"].id not in dealers


def test_another_dealers_numbers_never_show(world):
    figures = figures_for(world["manager_b"])
    assert figures.total.value == 2
    assert figures.breached.value == 0 and figures.lost_reasons == []
    # Filtering on a foreign dealer selects nothing (and the form refuses it).
    assert figures_for(world["manager_b"], dealer_id=world["dealers"]["c"].id).total.value == 0
    with as_user(world["manager_b"]):
        form = FunnelFilterForm(QueryDict(f"dealer={world['dealers']['c'].id}"), user=world["manager_b"])
        assert not form.is_valid() and "dealer" in form.errors
    client_page = _page(world["regional"])
    assert FOREIGN not in client_page


def test_the_oem_admin_sees_every_dealer(world):
    figures = figures_for(world["oem"])
    assert figures.total.value == 11
    assert len(figures.by_dealer) == 3


def _page(user, **params) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    response = client.get(reverse("leads_dashboard:funnel"), {**period(), **params})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ["call_centre", "advisor"])
def test_roles_without_a_funnel_get_404(world, role, client):
    client.force_login(world[role])
    for name in ("funnel", "export", "export_leads"):
        assert client.get(reverse(f"leads_dashboard:{name}")).status_code == 404
    with network_wide(reason="test check"):
        assert Lead.objects.count() == 11  # nothing changed


def _walk_figures(figures):
    yield figures.total
    yield figures.lost
    yield figures.frozen
    yield figures.clocked
    yield figures.breached
    yield figures.verified
    yield figures.claimed
    for row in figures.stages:
        yield row.current
        if row.reached is not None:
            yield row.reached
    for _key, _label, figure in figures.first_response:
        yield figure
    for _reason, _label, lost, frozen in figures.lost_reasons:
        yield lost
        yield frozen
    for breakdown in (
        figures.by_source,
        figures.by_model,
        figures.by_owner,
        figures.by_dealer,
        figures.trend,
    ):
        for row in breakdown:
            yield from (
                row.leads,
                row.visited,
                row.test_drive,
                row.ordered,
                row.delivered,
                row.lost,
                row.breached,
            )


@pytest.mark.parametrize("who", ["manager_a", "a1", "regional"])
def test_every_count_equals_the_lead_list_it_drills_into(world, who):
    """Each figure's link parameters, read back by the list's filter contract, select exactly that many."""
    user = world[who]
    figures = figures_for(user)
    checked = 0
    with as_user(user):
        for figure in _walk_figures(figures):
            query = QueryDict(mutable=True)
            query.update(figure.params)
            form = FunnelFilterForm(query, user=user)
            assert form.is_valid(), (figure.params, form.errors)
            assert funnel_leads(user=user, filters=form.filters()).count() == figure.value, figure.params
            assert figure.url.startswith("/leads/?")
            checked += 1
    assert checked > 60


def test_each_stage_count_equals_leads_for_user_filtered_the_same_way(world):
    user = world["regional"]
    figures = figures_for(user)
    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    start = timezone.datetime.combine(today - timedelta(days=7), timezone.datetime.min.time(), tzinfo=zone)
    end = timezone.datetime.combine(today + timedelta(days=1), timezone.datetime.min.time(), tzinfo=zone)
    with as_user(user):
        for row in figures.stages:
            expected = leads_for_user(user=user).filter(
                arrived_at__gte=start, arrived_at__lt=end, stage=row.stage
            )
            assert row.current.value == expected.count(), row.stage
            assert row.current.params == {**period(), "stage": row.stage}
        breached = leads_for_user(user=user).filter(
            arrived_at__gte=start, arrived_at__lt=end, is_sla_breached=True
        )
        assert figures.breached.value == breached.count()
        assert figures.breached.params == {**period(), "sla_breached": "1"}
    assert set(ALL_STAGES) == {row.stage for row in figures.stages}


def test_the_page_renders_with_links_to_the_lead_list(world, client):
    client.force_login(world["manager_a"])
    response = client.get(reverse("leads_dashboard:funnel"), {"period": "last_30_days"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "/leads/?" in body and "stage=visited" in body
    assert "chart.umd.min.js" in body and "cdn" not in body.lower()
    assert FOREIGN not in body


def test_the_figures_export_opens_and_carries_the_same_numbers(world, client):
    client.force_login(world["manager_a"])
    figures = figures_for(world["manager_a"])
    url = reverse("leads_dashboard:export")
    xlsx = client.get(url, {**period(), "format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = {(r[0], r[1], r[2]): r[3] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[("Summary", "Leads", "Leads")] == figures.total.value == 6
    assert rows[("Current stage", "Visited", "Leads")] == 2
    assert rows[("Reached stage", "Contacted", "Leads")] == 5
    assert rows[("First response", "SLA breached", "Leads")] == 1
    assert rows[("First response", "SLA breached", "Rate")] == 0.25
    assert rows[("Lost reasons", "Bought a competitor's brand", "Lost")] == 1
    assert rows[("Competitor brands", "BYD", "Lost")] == 1
    assert rows[("Showroom traffic", "Anonymous walk-ins", "Count")] == 1

    raw = client.get(url, {**period(), "format": "csv"}).content
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == ["Section", "Item", "Measure", "Value"]
    assert ["Current stage", "Visited", "Leads", "2"] in table
    assert ["First response", "< 15 min", "Leads", "1"] in table


def test_the_lead_rows_export_is_the_list_behind_a_figure(world, client):
    client.force_login(world["regional"])
    url = reverse("leads_dashboard:export_leads")
    response = client.get(url, {**period(), "stage": "visited", "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    data = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(data) == 3  # two at Alpha, one at Bravo
    assert {row[9] for row in data} == {"Visited"}
    assert response["X-Export-Truncated"] == "false"
    raw = client.get(url, {**period(), "format": "csv"}).content
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(lines) == 1 + 8
    assert not any(FOREIGN in cell for line in lines for cell in line)
    assert client.get(url, {**period(), "format": "pdf"}).status_code == 400


def test_the_lead_rows_export_says_when_it_cut(world, client, monkeypatch):
    monkeypatch.setattr("leads.dashboard.selectors.EXPORT_ROW_LIMIT", 2)
    monkeypatch.setattr("leads.dashboard.views.selectors.EXPORT_ROW_LIMIT", 2)
    client.force_login(world["manager_a"])
    response = client.get(reverse("leads_dashboard:export_leads"), {**period(), "format": "csv"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response["X-Export-Truncated"] == "true"
    assert len(lines) == 1 + 2 + 1 and "Only the first" in lines[-1][0]


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("who", ["manager_a", "regional"])
def test_query_count_does_not_grow_with_leads(world, who, client):
    client.force_login(world[who])
    url = reverse("leads_dashboard:funnel")
    before = _queries(client, url, period())
    # More leads, sources, models and salespeople at both dealers of the region.
    arrange_dealer_a(
        world["dealers"]["b"],
        world["b1"],
        staff(Role.SALESPERSON, dealer=world["dealers"]["b"]),
        world["manager_b"],
        suffix=" B",
    )
    extra = staff(Role.SALESPERSON, dealer=world["dealers"]["a"])
    for number in range(6):
        web_lead(
            world["dealers"]["a"],
            name=f"More {number}",
            phone=f"1370000000{number}",
            owner=extra,
            hours_ago=number + 1,
            models=[f"M{number}"],
            source=None,
        )
    after = _queries(client, url, period())
    assert after == before
    # About ten are the request's own (session, user, language, roles, scope); the rest are the figures.
    assert after <= 25


@pytest.mark.parametrize("who", ["manager_a", "regional"])
def test_the_lead_list_page_shows_exactly_the_leads_a_figure_counts(world, client, who):
    """Clicking a figure opens the lead list with exactly that many rows (the figures here fit one page)."""
    user = world[who]
    figures = figures_for(user)
    client.force_login(user)
    opened = 0
    for figure in _walk_figures(figures):
        if not 0 < figure.value <= 25:
            continue
        response = client.get(figure.url)
        assert response.status_code == 200, figure.url
        assert response.content.decode().count("<tr data-href=") == figure.value, figure.url
        opened += 1
    assert opened > 10


def test_the_dashboard_creates_no_table_and_takes_any_model_text_as_data(world, client):
    """No temporary table per request (nothing written; a read-only replica could answer): the cohort is
    a bound subquery of each aggregate, so a model typed with a `%` or a quote is only data."""
    client.force_login(world["manager_a"])
    with CaptureQueriesContext(connection) as context:
        assert client.get(reverse("leads_dashboard:funnel"), period()).status_code == 200
    statements = [query["sql"].lstrip().upper() for query in context.captured_queries]
    assert not [sql for sql in statements if sql.startswith(("CREATE", "DROP", "INSERT"))]
    for typed in ("100%", "A6' OR 'x'='x", "%s"):
        figures = figures_for(world["manager_a"], model=typed)
        assert stage_counts(figures) == dict.fromkeys(ALL_STAGES, 0)
    assert sum(stage_counts(figures_for(world["manager_a"], model="A6")).values()) > 0
