"""The dealers' pages on test figures with known values (tests/dealers/conftest.py): the regional ranking and
heat table, a dealer's page with its trend and drill-downs, the dealer's own view with its rank."""

from datetime import date

import pytest
from django.urls import reverse

from crm.core.names import staff_name
from crm.core.scope import network_wide
from crm.network.models import Role
from dealers.models import OemRead
from dealers.selectors.periods import compared_period, trend_months
from tests.dealers.conftest import TEST_FIGURES, leads_at

pytestmark = pytest.mark.django_db


def dealer_order(html: str, *names: str) -> list[str]:
    return sorted(names, key=html.index)


def read_count(**filters) -> int:
    with network_wide(reason="test: read log"):
        return OemRead.objects.filter(**filters).count()


# --- Periods ------------------------------------------------------------------------------------------------


def test_this_month_is_compared_with_last_months_same_days():
    compared = compared_period("this_month", today=date(2026, 3, 31))
    assert (compared.current.first_day, compared.current.last_day) == (date(2026, 3, 1), date(2026, 3, 31))
    assert (compared.previous.first_day, compared.previous.last_day) == (date(2026, 2, 1), date(2026, 2, 28))


def test_last_three_months_are_whole_months_before_this_one():
    compared = compared_period("last_3_months", today=date(2026, 1, 15))
    assert (compared.current.first_day, compared.current.last_day) == (date(2025, 10, 1), date(2025, 12, 31))
    assert (compared.previous.first_day, compared.previous.last_day) == (date(2025, 7, 1), date(2025, 9, 30))


def test_custom_period_is_compared_with_as_many_days_before():
    compared = compared_period("custom", today=date(2026, 5, 1), first_day=date(2026, 4, 11), last_day=date(2026, 4, 20))
    assert (compared.previous.first_day, compared.previous.last_day) == (date(2026, 4, 1), date(2026, 4, 10))


def test_trend_months_end_with_the_month_so_far():
    months = trend_months(last_day=date(2026, 2, 10), count=3)
    assert [(m.first_day, m.last_day) for m in months] == [
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 10)),
    ]


# --- The regional landing -----------------------------------------------------------------------------------


def test_regional_manager_lands_on_the_region_ranked_worst_first(network, client_as):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    landing = client.get("/")
    assert landing.status_code == 302 and landing["Location"] == reverse("dealers:network")
    response = client.get(reverse("dealers:network"))
    html = response.content.decode()
    assert response.status_code == 200
    assert dealer_order(html, "Good Motors", "Middling Motors", "Bad Motors") == [
        "Bad Motors",
        "Middling Motors",
        "Good Motors",
    ]
    assert "Far Motors" not in html
    # The region's median order rate is 50 %: Bad is worse, Good better, Middling at it; in words too.
    assert "25.0 %" in html and "75.0 %" in html
    assert html.count("dl-cell dl-bad") >= 2 and "worse than region median" in html
    assert "dl-cell dl-good" in html and "dl-cell dl-par" in html
    # Every figure states its definition.
    assert "Leads that ordered, of the leads that arrived." in html
    assert "Leads lost, of the leads that arrived." in html


def test_ranking_on_a_lower_is_better_figure_puts_the_highest_first(network, client_as):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    html = client.get(reverse("dealers:network"), {"figure": "test_lost_rate"}).content.decode()
    assert dealer_order(html, "Good Motors", "Bad Motors") == ["Bad Motors", "Good Motors"]


def test_ranking_shows_the_trend_against_the_previous_period(network, client_as):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    html = client.get(reverse("dealers:network")).content.decode()
    # Bad ordered 1 of 2 in last month's first days, 1 of 4 this month: −25 points, worse.
    assert "−25.0 pts" in html
    assert "▼ worse" in html


def test_every_heat_cell_links_to_the_rows_behind_it(network, client_as):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    html = client.get(reverse("dealers:network")).content.decode()
    assert f"dealer={network.bad.id}" in html and "stage=ordered" in html and "stage=lost" in html


def test_the_rows_url_lists_exactly_the_leads_counted(network, client_as):
    """Same query, same count: the page links each number to its figure's rows URL for the dealer and the
    period, and Bad's lost rate (2 of 4) opens its two lost leads."""
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    response = client.get(reverse("dealers:dealer", args=[network.bad.id]))
    period = response.context["figures"].compared.current
    lost_rate = next(f for f in TEST_FIGURES if f.code == "test_lost_rate")
    expected = lost_rate.rows_url(network.bad.id, period.first_day, period.last_day)
    assert expected.replace("&", "&amp;") in response.content.decode()
    listed = client.get(expected)
    assert listed.status_code == 200
    assert len(listed.context["leads"]) == 2
    # The previous period's value opens its own rows too.
    previous = response.context["figures"].compared.previous
    order_rate = next(f for f in TEST_FIGURES if f.code == "test_order_rate")
    previous_url = order_rate.rows_url(network.bad.id, previous.first_day, previous.last_day)
    assert previous_url.replace("&", "&amp;") in response.content.decode()


def test_oem_admin_sees_every_region_grouped_and_can_choose_one(network, client_as):
    client = client_as(network.users[Role.OEM_ADMIN])
    html = client.get(reverse("dealers:network")).content.decode()
    assert "East" in html and "North" in html and "Far Motors" in html and "Bad Motors" in html
    only_north = client.get(reverse("dealers:network"), {"region": network.north.id}).content.decode()
    assert "Far Motors" in only_north and "Bad Motors" not in only_north


def test_a_foreign_region_in_the_query_is_refused_beside_the_field(network, client_as):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    response = client.get(reverse("dealers:network"), {"region": network.north.id})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Far Motors" not in html and "alert-danger" in html and "Bad Motors" in html


def test_an_inverted_custom_period_says_so_and_shows_this_month(network, client_as):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    response = client.get(
        reverse("dealers:network"), {"period": "custom", "first_day": "2026-05-10", "last_day": "2026-05-01"}
    )
    assert response.status_code == 200
    assert "The period ends before it starts." in response.content.decode()


def test_last_month_has_nothing_to_measure_for_most_dealers(network, client_as):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    html = client.get(reverse("dealers:network"), {"period": "last_month"}).content.decode()
    assert "nothing to measure" in html


def test_salespeople_dealer_staff_and_call_centre_get_no_ranking(network, client_as):
    for role in (Role.SALESPERSON, Role.SALES_MANAGER, Role.DEALER_ADMIN, Role.CALL_CENTRE_AGENT):
        client = client_as(network.users[role])
        assert client.get(reverse("dealers:network")).status_code == 404, role


def test_ranking_queries_do_not_grow_with_leads(network, client_as, django_assert_max_num_queries):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    client.get(reverse("dealers:network"))  # warm the session and caches
    with django_assert_max_num_queries(60) as before:
        client.get(reverse("dealers:network"))
    leads_at(network.good, ordered=5, lost=5, open_=5)
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("dealers:network"))


def test_without_registered_figures_the_pages_say_so(db, client_as):
    from tests.dealers.conftest import registry_holding
    from tests.factories import DealerFactory, RegionFactory, staff

    region = RegionFactory(code="empty")
    dealer = DealerFactory(region=region)
    with registry_holding(measures=(), figures=()):
        client = client_as(staff(Role.REGIONAL_MANAGER, region=region))
        assert "No key figures are registered yet" in client.get(reverse("dealers:network")).content.decode()
        page = client.get(reverse("dealers:dealer", args=[dealer.id]))
        assert page.status_code == 200 and "No key figures are registered yet" in page.content.decode()


# --- A dealer's page ----------------------------------------------------------------------------------------


def test_dealer_page_shows_figures_trend_salespeople_and_drill_downs(network, client_as):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    response = client.get(reverse("dealers:dealer", args=[network.bad.id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bad Motors" in html and "Good Motors" not in html
    assert "25.0 %" in html and "50.0 %" in html  # order rate, lost rate
    assert "3rd of 3" in html  # its rank in the region on the order rate
    assert "Trend per month" in html and "dl-chart-data" in html
    # Its sales staff, each linked to the funnel's per-salesperson figures for the dealer and period.
    for role in (Role.SALESPERSON, Role.SALES_MANAGER):
        person = network.users[role]
        assert staff_name(person) in html
        assert f"owner={person.id}" in html
    assert staff_name(network.users[Role.SERVICE_ADVISOR]) not in html
    assert f"dealer={network.bad.id}" in html


def test_dealer_page_queries_do_not_grow_with_leads(network, client_as, django_assert_max_num_queries):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    url = reverse("dealers:dealer", args=[network.bad.id])
    client.get(url)
    with django_assert_max_num_queries(200) as before:
        client.get(url)
    leads_at(network.bad, ordered=4, lost=4, open_=4)
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(url)


def test_an_oem_view_of_a_dealer_page_is_recorded_in_its_read_log(network, client_as):
    manager = network.users[Role.REGIONAL_MANAGER]
    client_as(manager).get(reverse("dealers:dealer", args=[network.bad.id]), {"period": "last_month"})
    with network_wide(reason="test: read log"):
        read = OemRead.objects.get()
    assert (read.dealer_id, read.reader_id, read.kind, read.what) == (
        network.bad.id,
        manager.id,
        OemRead.Kind.PAGE,
        OemRead.Subject.DEALER_PAGE,
    )
    assert read.first_day.day == 1 and read.last_day >= read.first_day


def test_a_regional_manager_gets_404_on_another_regions_dealer_and_nothing_is_logged(network, client_as):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    assert client.get(reverse("dealers:dealer", args=[network.far.id])).status_code == 404
    assert client.get(reverse("dealers:dealer_export", args=[network.far.id])).status_code == 404
    assert client.get(reverse("dealers:dealer", args=[999999])).status_code == 404
    assert read_count() == 0


def test_dealer_staff_cannot_open_the_oem_dealer_page(network, client_as):
    for role in (Role.SALESPERSON, Role.SALES_MANAGER, Role.DEALER_ADMIN, Role.CALL_CENTRE_AGENT):
        client = client_as(network.users[role])
        assert client.get(reverse("dealers:dealer", args=[network.bad.id])).status_code == 404, role
    assert read_count() == 0


# --- The dealer's own view --------------------------------------------------------------------------------


def test_dealer_manager_sees_own_rank_with_other_dealers_hidden_and_what_to_fix(network, client_as):
    client = client_as(network.users[Role.SALES_MANAGER])
    response = client.get(reverse("dealers:own"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bad Motors" in html
    assert "Good Motors" not in html and "Middling Motors" not in html and "Far Motors" not in html
    assert "3rd of 3" in html
    fix_first = html[html.index("What to fix first") :]
    assert "Test order rate" in fix_first and "Test lost rate" in fix_first
    assert "stage=lost" in fix_first  # the drill-down of what to fix


def test_the_best_dealer_has_nothing_to_fix(network, client_as):
    from tests.factories import staff

    client = client_as(staff(Role.DEALER_ADMIN, dealer=network.good))
    html = client.get(reverse("dealers:own")).content.decode()
    assert "1st of 3" in html and "No figure is worse than its target" in html


def test_own_view_is_in_chinese_for_a_chinese_reader(network, client_as):
    from crm.network.models import StaffProfile

    manager = network.users[Role.SALES_MANAGER]
    with network_wide(reason="test arrange"):
        StaffProfile.objects.filter(user=manager).update(language="zh-hans")
    html = client_as(manager).get(reverse("dealers:own")).content.decode()
    assert "第3名（共3家）" in html and "优先改进项" in html and "差于大区中位数" in html


def test_salespeople_and_oem_staff_have_no_own_view(network, client_as):
    for role in (Role.SALESPERSON, Role.SERVICE_ADVISOR, Role.REGIONAL_MANAGER, Role.OEM_ADMIN):
        assert client_as(network.users[role]).get(reverse("dealers:own")).status_code == 404, role


def test_a_dealer_staffs_view_of_its_own_figures_is_not_an_oem_read(network, client_as):
    client_as(network.users[Role.SALES_MANAGER]).get(reverse("dealers:own"))
    assert read_count() == 0


# --- Built from the registry only ---------------------------------------------------------------------------


def test_a_figure_another_app_registers_later_appears_without_a_change(network, client_as):
    from crm.core import key_figures
    from crm.core.key_figures import KeyFigure, Measure, MeasureKind, Unit, total_of

    key_figures.measure_register(
        Measure("test_retained", MeasureKind.COUNT, lambda *, dealer_ids, first_day, last_day: [])
    )
    key_figures.figure_register(
        KeyFigure(
            code="test_owners_retained",
            owner="service",
            label="Test owners retained",
            unit=Unit.COUNT,
            higher_is_better=True,
            definition="Owners who came back for service.",
            measures=("test_retained",),
            combine=total_of("test_retained"),
            group="service",
        )
    )
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    for url in (reverse("dealers:network"), reverse("dealers:dealer", args=[network.bad.id])):
        html = client.get(url).content.decode()
        assert "Test owners retained" in html and "Owners who came back for service." in html


def test_the_header_offers_each_role_its_dealers_pages(network):
    from crm.core.navigation import nav_items
    from crm.network.access import access_for

    def entries(role):
        return {(str(item.label), item.is_secondary) for item in nav_items(access_for(network.users[role]))}

    assert ("Dealer figures", False) in entries(Role.REGIONAL_MANAGER)
    assert ("Dealer figures", False) in entries(Role.OEM_ADMIN)
    assert ("Our figures", True) in entries(Role.SALES_MANAGER)  # a sales manager's header is full
    assert {("Our figures", False), ("OEM reads of our data", True)} <= entries(Role.DEALER_ADMIN)
    for role in (Role.SALESPERSON, Role.SERVICE_ADVISOR, Role.CALL_CENTRE_AGENT):
        labels = {label for label, _secondary in entries(role)}
        assert not labels & {"Dealer figures", "Our figures", "OEM reads of our data"}, role
