"""The figures API: read-only, scoped like the rest of the API (a dealer outside the caller's scope is not found),
for the OEM's oversight and the dealer's own managers; bad input is a 400 with the reason."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from crm.network.models import Role
from dealers.models import DailyFact
from tests.factories import DealerFactory, RegionFactory, staff, web_lead

pytestmark = pytest.mark.django_db

PERIOD = {"first_day": "2026-11-01", "last_day": "2026-11-30"}


@pytest.fixture
def network():
    east, west = RegionFactory(code="east"), RegionFactory(code="west")
    dealer = DealerFactory(region=east, time_zone="Asia/Shanghai")
    neighbour = DealerFactory(region=east)
    far = DealerFactory(region=west)
    arrived = datetime(2026, 11, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    web_lead(dealer, phone="+8613900000101", arrived_at=arrived)
    web_lead(dealer, phone="+8613900000102", arrived_at=arrived)
    return {
        "dealer": dealer,
        "neighbour": neighbour,
        "far": far,
        "manager": staff(Role.SALES_MANAGER, dealer=dealer),
        "seller": staff(Role.SALESPERSON, dealer=dealer),
        "neighbour_manager": staff(Role.SALES_MANAGER, dealer=neighbour),
        "regional": staff(Role.REGIONAL_MANAGER, region=east),
        "oem": staff(Role.OEM_ADMIN),
    }


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def figures_of(user, dealer, **params):
    return client_for(user).get(f"/api/v1/dealers/{dealer.id}/figures/", {**PERIOD, **params})


def test_the_catalogue_lists_every_registered_figure(network):
    response = client_for(network["regional"]).get("/api/v1/figures/")
    assert response.status_code == 200
    codes = {row["code"] for row in response.json()}
    assert {"leads.received", "leads.first_response_median", "leads.first_contact_verified"} <= codes
    row = next(row for row in response.json() if row["code"] == "leads.first_response_median")
    assert (row["unit"], row["higher_is_better"]) == ("minutes", False)


def test_a_dealers_manager_reads_its_figures_with_the_rows_behind_them(network):
    response = figures_of(network["manager"], network["dealer"], figure=["leads.received", "leads.never_contacted"])
    assert response.status_code == 200
    body = response.json()
    values = {row["code"]: row for row in body["figures"]}
    assert values["leads.received"]["value"] == 2
    assert (values["leads.never_contacted"]["numerator"], values["leads.never_contacted"]["denominator"]) == (2, 2)
    assert values["leads.received"]["rows_url"].startswith("/leads/?rows=received")


@pytest.mark.parametrize("who", ["regional", "oem"])
def test_the_oem_reads_the_figures_of_the_dealers_in_its_scope(network, who):
    assert figures_of(network[who], network["dealer"]).status_code == 200


@pytest.mark.parametrize(("who", "dealer", "status"), [
    ("neighbour_manager", "dealer", 404),  # another dealer's figures: not found
    ("regional", "far", 404),  # outside the region
    ("manager", "far", 404),
    ("seller", "dealer", 403),  # salespeople do not read the dealers' scores
])
def test_nobody_reads_figures_outside_their_scope(network, who, dealer, status):
    assert figures_of(network[who], network[dealer]).status_code == status


def test_the_api_writes_nothing(network):
    client = client_for(network["oem"])
    assert client.post(f"/api/v1/dealers/{network['dealer'].id}/figures/", PERIOD).status_code == 405
    assert client.post("/api/v1/figures/", {}).status_code == 405
    assert not DailyFact.objects.exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"first_day": "2026-11-30", "last_day": "2026-11-01"}, "last_day"),
        ({"first_day": "2020-01-01", "last_day": "2026-01-01"}, "last_day"),
        ({"first_day": "0001-01-01", "last_day": "2026-01-01"}, "first_day"),
        ({"first_day": "2026-02-30", "last_day": "2026-03-01"}, "first_day"),
        ({**PERIOD, "figure": "leads.nothing"}, "figure"),
        ({"last_day": "2026-11-30"}, "first_day"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_field(network, params, field):
    response = client_for(network["manager"]).get(f"/api/v1/dealers/{network['dealer'].id}/figures/", params)
    assert response.status_code == 400
    assert field in str(response.json())


def test_the_values_are_figure_values(network):
    from crm.core.scope import network_wide
    from dealers.selectors.figures import Period, figure_values

    body = figures_of(network["oem"], network["dealer"]).json()
    with network_wide(reason="test check"):
        expected = figure_values(
            codes=[row["code"] for row in body["figures"]],
            dealer_ids=[network["dealer"].id],
            period=Period(date(2026, 11, 1), date(2026, 11, 30)),
        )
    for row in body["figures"]:
        value = expected[row["code"]][network["dealer"].id].value
        assert row["value"] == (None if value is None else float(value)), row["code"]
