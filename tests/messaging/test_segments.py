"""The segment builder: a form built from the registered filters, a live count of who they select (only
among the segment owner's customers, under the user's scope), and saving the filters as JSON."""

from datetime import date

import pytest
from django.urls import reverse

from crm.core.exceptions import PermissionDenied
from crm.core.scope import network_wide, scoped
from crm.messaging.exceptions import SegmentFilterInvalid
from crm.messaging.models import Campaign, Segment
from crm.messaging.registry import segment_filters
from crm.messaging.services import library as services
from crm.network.access import access_for
from tests.factories import CustomerFactory, RegionFactory, VehicleFactory
from tests.messaging.library_world import build_world, client_for, library_state, queries_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = build_world()
    home, far = world["home"], world["far"]
    # Born in May: 王伟 (from the world), two more at Home, one at Far (never counted for Home).
    world["may"] = [
        world["wang"],
        CustomerFactory(dealer=home, name="May One", birthday=date(1985, 5, 20), preferred_language="en"),
        CustomerFactory(dealer=home, name="May Two", birthday=date(1979, 5, 1)),
    ]
    CustomerFactory(dealer=far, name="Far May", birthday=date(1988, 5, 9))
    CustomerFactory(dealer=home, name="June Only", birthday=date(1990, 6, 9))
    return world


def count(client, **data):
    response = client.post(reverse("messaging:segment_count"), data)
    assert response.status_code == 200, response.content
    return response.content.decode()


def number_in(page: str) -> int:
    return int(page.split('data-count="')[1].split('"')[0])


def test_the_builder_shows_every_registered_filter_grouped(world):
    page = client_for(world["people"]["manager"]).get(reverse("messaging:segment_new")).content.decode()
    for segment_filter in segment_filters():
        field = segment_filter.field()
        if getattr(field, "choices", None) is not None and not list(field.choices):
            continue  # a choice with nothing to choose yet (no club tiers defined) renders no input
        assert f'name="f_{segment_filter.key}"' in page
    assert 'data-group="customer"' in page and 'data-group="vehicle"' in page and 'data-group="lead"' in page


def test_the_live_count_follows_the_filters(world):
    client = client_for(world["people"]["manager"])
    assert number_in(count(client)) == 5  # everyone known to Home: 王伟, Li Na, May One, May Two, June Only
    page = count(client, f_birthday_month="5")
    assert number_in(page) == 3
    assert "May One" in page and "王伟" in page and "June Only" not in page
    assert number_in(count(client, f_birthday_month="5", f_language="en")) == 1


def test_a_dealers_count_never_includes_another_dealers_customers(world):
    client = client_for(world["people"]["manager"])
    page = count(client, f_birthday_month="5")
    assert "Far May" not in page and number_in(page) == 3
    page = count(client_for(world["people"]["oem"]), f_birthday_month="5", dealer="")
    assert number_in(page) == 4 and "across the whole network" in page


def test_the_count_shows_at_most_ten_names(world):
    for number in range(12):
        CustomerFactory(dealer=world["home"], name=f"Bulk {number}", birthday=date(2000, 5, 1))
    page = count(client_for(world["people"]["manager"]), f_birthday_month="5")
    assert number_in(page) == 15
    assert page.count('<li class="chip">') == 10


def test_the_count_of_an_invalid_filter_asks_to_fix_it(world):
    page = count(client_for(world["people"]["manager"]), f_purchased_from="not a date")
    assert "not valid yet" in page


def test_the_count_of_a_vehicle_filter(world):
    VehicleFactory(owner=world["li"], model="Q5", purchase_date=date(2024, 3, 1))
    client = client_for(world["people"]["manager"])
    assert number_in(count(client, f_models_owned="A6, Q5")) == 2
    assert number_in(count(client, f_models_owned="Q5", f_purchased_from="2024-01-01")) == 1


def test_saving_stores_the_filters_as_json_with_the_count(world):
    client = client_for(world["people"]["manager"])
    region = RegionFactory(code="east")
    response = client.post(
        reverse("messaging:segment_new"),
        {
            "name": "May birthdays",
            "f_birthday_month": "5",
            "f_purchased_to": "2025-12-31",
            "f_region": [region.id],
        },
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        segment = Segment.objects.get(name="May birthdays")
    assert segment.dealer_id == world["home"].id
    assert segment.filters == {"birthday_month": 5, "purchased_to": "2025-12-31", "region": [region.id]}
    assert segment.last_count == 0  # nobody at Home bought a car with a purchase date
    assert segment.last_counted_at is not None
    assert segment.created_by == world["people"]["manager"]


def test_editing_a_segment_shows_its_filters_and_updates_the_count(world):
    segment = world["segments"]["home"]
    client = client_for(world["people"]["manager"])
    page = client.get(reverse("messaging:segment_edit", args=[segment.id])).content.decode()
    assert "Home May birthdays" in page and '<option value="5" selected>' in page
    page = count(client, segment=str(segment.id), f_birthday_month="5")
    assert number_in(page) == 3
    response = client.post(
        reverse("messaging:segment_edit", args=[segment.id]),
        {"name": "Home May birthdays", "f_birthday_month": "5", "f_language": "en"},
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        segment = Segment.objects.get(pk=segment.pk)
    assert segment.filters == {"birthday_month": 5, "language": "en"} and segment.last_count == 1


def test_a_manager_of_several_dealers_picks_one_of_theirs(world):
    client = client_for(world["people"]["multi"])
    page = client.get(reverse("messaging:segment_new")).content.decode()
    assert "Second Motors" in page and "Far Motors" not in page and "Whole network" not in page
    before = library_state()
    assert client.post(reverse("messaging:segment_new"), {"name": "x"}).status_code == 200
    response = client.post(reverse("messaging:segment_new"), {"name": "x", "dealer": str(world["far"].id)})
    assert response.status_code == 200 and library_state() == before
    assert "Choose the dealer first." in count(client, dealer=str(world["far"].id))
    response = client.post(
        reverse("messaging:segment_new"), {"name": "Second all", "dealer": str(world["second"].id)}
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        assert Segment.objects.get(name="Second all").dealer_id == world["second"].id


def test_oem_admins_build_network_segments_or_a_dealers(world):
    client = client_for(world["people"]["oem"])
    assert client.post(
        reverse("messaging:segment_new"), {"name": "All May", "dealer": "", "f_birthday_month": "5"}
    )["Location"] == reverse("messaging:segments")
    client.post(
        reverse("messaging:segment_new"),
        {"name": "Far May", "dealer": str(world["far"].id), "f_birthday_month": "5"},
    )
    with network_wide(reason="test check"):
        network = Segment.objects.get(name="All May")
        far = Segment.objects.get(name="Far May")
    assert (network.dealer_id, network.last_count) == (None, 4)
    assert (far.dealer_id, far.last_count) == (world["far"].id, 1)


def test_only_oem_admins_save_network_segments(world):
    manager = world["people"]["manager"]
    with scoped(access_for(manager).scope), pytest.raises(PermissionDenied):
        services.segment_save(by=manager, dealer_id=None, name="Everyone", filters={})


def test_an_unknown_filter_cannot_be_saved(world):
    oem = world["people"]["oem"]
    with scoped(access_for(oem).scope), pytest.raises(SegmentFilterInvalid):
        services.segment_save(by=oem, dealer_id=None, name="Odd", filters={"shoe_size": 42})


@pytest.mark.parametrize("role", ["salesperson", "advisor", "regional", "agent"])
def test_people_who_do_not_manage_messaging_cannot_count_or_save(world, role):
    client = client_for(world["people"][role])
    before = library_state()
    assert client.post(reverse("messaging:segment_count"), {"f_birthday_month": "5"}).status_code == 403
    assert client.get(reverse("messaging:segments")).status_code == 403
    assert client.post(reverse("messaging:segment_new"), {"name": "x"}).status_code == 403
    assert library_state() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_dealers_segment_is_missing_and_unchanged(world, method):
    segment = world["segments"]["far"]
    client = client_for(world["people"]["manager"])
    before = library_state()
    url = reverse("messaging:segment_edit", args=[segment.id])
    response = getattr(client, method)(url, {"name": "Hijacked"} if method == "post" else None)
    assert response.status_code == 404
    assert client.post(reverse("messaging:segment_count"), {"segment": segment.id}).status_code == 404
    network = world["segments"]["network"]
    assert client.get(reverse("messaging:segment_edit", args=[network.id])).status_code == 404
    assert library_state() == before


def test_the_segment_list_shows_own_segments_with_their_filters_in_words(world):
    page = client_for(world["people"]["manager"]).get(reverse("messaging:segments")).content.decode()
    assert "Home May birthdays" in page and "Birthday month: 5" in page
    assert "Far everyone" not in page and "Network all" not in page


def test_a_segment_a_sending_campaign_uses_keeps_its_filters(world):
    segment = world["segments"]["home"]
    with network_wide(reason="test arrange"):
        Campaign.objects.create(
            dealer=world["home"],
            name="Sending",
            segment=segment,
            template=world["templates"]["home"],
            channel="sms",
            purpose="marketing",
            status=Campaign.Status.SENDING,
        )
    client = client_for(world["people"]["manager"])
    response = client.post(
        reverse("messaging:segment_edit", args=[segment.id]), {"name": "x", "f_birthday_month": "6"}
    )
    assert "uses this segment" in response.content.decode()
    with network_wide(reason="test check"):
        assert Segment.objects.get(pk=segment.pk).filters == {"birthday_month": 5}
    response = client.post(
        reverse("messaging:segment_edit", args=[segment.id]), {"name": "Renamed", "f_birthday_month": "5"}
    )
    assert response.status_code == 302


def test_segment_list_costs_the_same_queries_however_many_rows(world, django_assert_max_num_queries):
    client = client_for(world["people"]["oem"])
    region = RegionFactory(code="east")

    def add(number):
        with network_wide(reason="test arrange"):
            Segment.objects.create(
                dealer=world["home"] if number % 2 else None,
                name=f"Bulk {number}",
                filters={"region": [region.id], "lead_grade": ["H", "A"], "birthday_month": 5},
                created_by=world["people"]["manager"],
            )

    add(0)
    baseline = queries_for(client, reverse("messaging:segments"))
    for number in range(1, 25):
        add(number)
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("messaging:segments"))
    page = response.content.decode()
    assert "Bulk 24" in page and "H · buys within 7 days" in page
