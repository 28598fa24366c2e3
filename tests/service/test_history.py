"""A vehicle's history across the network (docs/decisions.md, "Service history across dealers"): a dealer
reads its own repair orders whole and another dealer's settled ones on a vehicle it may see only as a
summary — station, date, mileage, operations, parts — without prices, people, numbers or customer; voided
orders and orders replaced by a settled correction are no history; a dealer that does not know the vehicle
sees nothing of it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from crm.customers.models import CustomerDealer
from crm.network.models import Role
from service import selectors, services
from service.models import RepairOrderSummary
from tests.factories import DealerFactory, RegionFactory, staff
from tests.service.conftest import as_user

pytestmark = pytest.mark.django_db


def settled_order(dealer, advisor, vehicle, *, number, price="1234.56", technician="Wu Tech", voided=False, days_ago=30):
    with as_user(advisor):
        order = services.repair_order_open(
            dealer=dealer,
            vehicle=vehicle,
            by=advisor,
            number=number,
            mileage_in=50_000 - days_ago * 10,
            concern="Brakes squeak",
            opened_at=timezone.now() - timedelta(days=days_ago),
        )
        job = order.jobs.get()
        services.labour_line_add(
            job=job, by=advisor, operation_code="BRK-PAD", description="Front pads", hours=1, rate=price,
            technician_name=technician,
        )
        services.part_line_add(job=job, by=advisor, part_number="PAD-77", description="Pad set", quantity=2, unit_price="333.33")
        if voided:
            return services.repair_order_void(repair_order=order, by=advisor, reason="Duplicate")
        return services.repair_order_settle(repair_order=order, by=advisor)


@pytest.fixture
def network(workshop):
    """Home (the workshop fixture's dealer, region East) and Other (region North) both serviced the owner's
    car; Stranger never met the owner."""
    east, north = RegionFactory(code="east"), RegionFactory(code="north")
    home, vehicle = workshop["dealer"], workshop["vehicle"]
    other, stranger = DealerFactory(region=north, name="Other Motors"), DealerFactory(region=east, name="Stranger Auto")
    with network_wide(reason="test arrange"):
        home.region = east
        home.save(update_fields=["region"])
        CustomerDealer.objects.create(customer=workshop["owner"], dealer=other, reason=CustomerDealer.Reason.MANUAL)
    other_advisor = staff(Role.SERVICE_ADVISOR, dealer=other)
    return {
        **workshop,
        "other": other,
        "other_advisor": other_advisor,
        "stranger_advisor": staff(Role.SERVICE_ADVISOR, dealer=stranger),
        "east_manager": staff(Role.REGIONAL_MANAGER, region=east),
        "home_order": settled_order(home, workshop["advisor"], vehicle, number="HOME-1", price="200", technician="Li Home"),
        "other_order": settled_order(other, other_advisor, vehicle, number="OTHER-SECRET-9", days_ago=60),
        "other_voided": settled_order(other, other_advisor, vehicle, number="OTHER-VOID", voided=True, days_ago=10),
    }


def test_own_orders_are_whole_and_other_dealers_only_summarised(network):
    with as_user(network["advisor"]):
        entries = selectors.vehicle_history(user=network["advisor"], vehicle=network["vehicle"])
    assert [(e.station, e.is_summary) for e in entries] == [(network["dealer"].name, False), ("Other Motors", True)]
    summary = entries[1]
    assert summary.total is None and summary.technicians == [] and summary.repair_order is None
    assert summary.operations == [("BRK-PAD", "Front pads")]
    assert summary.parts == [("PAD-77", "Pad set", "2")]
    assert summary.mileage == 49_400


def test_the_vehicle_page_shows_no_price_person_or_number_of_another_dealers_order(client, network):
    client.force_login(network["advisor"])
    page = client.get(reverse("service:vehicle", args=[network["vehicle"].id])).content.decode()
    assert "HOME-1" in page and "Li Home" in page
    assert "Other Motors" in page and "PAD-77" in page
    for secret in ("OTHER-SECRET-9", "OTHER-VOID", "Wu Tech", "1,234.56", "1234.56", "1,395.06"):
        assert secret not in page, secret


def test_the_other_dealer_sees_its_own_order_whole_and_home_as_a_summary(client, network):
    client.force_login(network["other_advisor"])
    page = client.get(reverse("service:vehicle", args=[network["vehicle"].id])).content.decode()
    assert "OTHER-SECRET-9" in page and "Wu Tech" in page
    assert "HOME-1" not in page and "Li Home" not in page


def test_a_voided_order_is_no_history_and_has_no_summary(network):
    with network_wide(reason="test check"):
        assert not RepairOrderSummary.objects.filter(repair_order=network["other_voided"]).exists()
    with as_user(network["other_advisor"]):
        entries = selectors.vehicle_history(user=network["other_advisor"], vehicle=network["vehicle"])
    assert "OTHER-VOID" not in {e.repair_order.number for e in entries if e.repair_order}


def test_a_settled_correction_replaces_the_order_it_corrects(network):
    advisor = network["advisor"]
    with as_user(advisor):
        correction = services.repair_order_correct(repair_order=network["home_order"], by=advisor)
        services.repair_order_settle(repair_order=correction, by=advisor)
        entries = selectors.vehicle_history(user=advisor, vehicle=network["vehicle"])
    numbers = [e.repair_order.number for e in entries if e.repair_order]
    assert numbers == [correction.number]
    with as_user(network["other_advisor"]):
        summaries = list(RepairOrderSummary.objects.filter(vehicle=network["vehicle"]).values_list("repair_order_id", flat=True))
    assert network["home_order"].id not in summaries and correction.id in summaries


def test_a_dealer_that_does_not_know_the_vehicle_sees_nothing_of_it(client, network):
    client.force_login(network["stranger_advisor"])
    assert client.get(reverse("service:vehicle", args=[network["vehicle"].id])).status_code == 404
    with as_user(network["stranger_advisor"]):
        assert not RepairOrderSummary.objects.exists()  # row-level security: not even the summaries


def test_a_regional_manager_reads_its_regions_orders_whole_and_others_as_summaries(client, network):
    client.force_login(network["east_manager"])
    page = client.get(reverse("service:vehicle", args=[network["vehicle"].id])).content.decode()
    assert "HOME-1" in page and "OTHER-SECRET-9" not in page and "Other Motors" in page
    assert reverse("service:settle", args=[network["home_order"].id]) not in page


def test_the_customer_page_shows_the_service_history_panel(client, network):
    client.force_login(network["advisor"])
    page = client.get(reverse("customers:detail", args=[network["owner"].id])).content.decode()
    assert 'id="service-history"' in page
    assert "HOME-1" in page and "Li Home" in page and "Other Motors" in page
    assert "OTHER-SECRET-9" not in page and "Wu Tech" not in page


def test_a_lower_reading_is_flagged_on_the_vehicle_page(client, network):
    with network_wide(reason="test arrange"):
        services.odometer_record(vehicle=network["vehicle"], km=500, read_at=timezone.now(), source="manual")
    client.force_login(network["advisor"])
    response = client.get(reverse("service:vehicle", args=[network["vehicle"].id]))
    assert response.context["mileage"] == 49_900  # a voided order's reading was still read
    assert [r.km for r in response.context["readings"] if r.is_suspect] == [500]
    assert "table-warning" in response.content.decode()


def test_the_vehicle_history_query_count_does_not_grow_with_orders(client, network, django_assert_max_num_queries):
    client.force_login(network["advisor"])
    url = reverse("service:vehicle", args=[network["vehicle"].id])
    client.get(url)
    with django_assert_max_num_queries(25):
        client.get(url)
    for number in range(3):
        settled_order(network["dealer"], network["advisor"], network["vehicle"], number=f"MORE-{number}", days_ago=number + 1)
        settled_order(network["other"], network["other_advisor"], network["vehicle"], number=f"OMORE-{number}", days_ago=number + 1)
    with django_assert_max_num_queries(25):
        client.get(url)
