import pytest
from django.urls import reverse

from crm.core.scope import network_wide
from crm.customers.models import Consent, ContactPoint, Customer, CustomerDealer, DuplicateCandidate, Vehicle
from crm.customers.services import customer_update, timeline_note_add
from crm.network.access import access_for
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from tests.factories import CustomerFactory, DealerFactory, VehicleFactory, make_vin, staff

pytestmark = pytest.mark.django_db


def database_state():
    """Everything a customer page could write, to prove a refused request changed nothing."""
    with network_wide(reason="test check"):
        return {
            "customers": sorted(Customer.objects.values_list("id", "name", "version", "merged_into_id")),
            "contact_points": ContactPoint.objects.count(),
            "consents": Consent.objects.count(),
            "vehicles": Vehicle.objects.count(),
            "links": CustomerDealer.objects.count(),
            "events": TimelineEvent.objects.count(),
            "duplicates": sorted(DuplicateCandidate.objects.values_list("id", "status")),
        }


def as_user(user):
    from crm.core.scope import scoped

    return scoped(access_for(user).scope)


@pytest.fixture
def dealer():
    return DealerFactory(name="Pudong Aurora 4S")


@pytest.fixture
def seller(dealer):
    return staff(Role.SALESPERSON, dealer=dealer)


def test_search_by_last_four_phone_digits_finds_the_customer(client, dealer, seller):
    customer = CustomerFactory(dealer=dealer, name="王小明", phone="+8613812345678")
    CustomerFactory(dealer=dealer, name="李娜", phone="+8613900001111")
    client.force_login(seller)
    response = client.get(reverse("customers:search"), {"q": "5678"})
    assert response.status_code == 200
    assert [c.id for c in response.context["customers"]] == [customer.id]
    assert "138 1234 5678" in response.content.decode()


def test_search_as_you_type_returns_only_the_results_partial(client, dealer, seller):
    CustomerFactory(dealer=dealer, name="王小明")
    client.force_login(seller)
    response = client.get(
        reverse("customers:search"), {"q": "王"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "王小明" in html and "<html" not in html


def test_search_never_shows_another_dealers_customer(client, dealer, seller):
    CustomerFactory(dealer=DealerFactory(), name="王外人", phone="+8613812340000")
    client.force_login(seller)
    assert client.get(reverse("customers:search"), {"q": "0000"}).context["customers"] == []
    assert client.get(reverse("customers:search"), {"q": "王"}).context["customers"] == []


def test_search_query_count_does_not_grow_with_customers(
    client, dealer, seller, django_assert_max_num_queries
):
    for _ in range(15):
        customer = CustomerFactory(dealer=dealer)
        VehicleFactory(owner=customer)
    client.force_login(seller)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("customers:search"))
    assert len(response.context["customers"]) == 15


def test_customer_360_shows_card_vehicles_consents_and_timeline(client, dealer, seller):
    customer = CustomerFactory(dealer=dealer, name="王小明", phone="+8613812345678", city="上海")
    VehicleFactory(owner=customer, plate="沪A12345", model="A6", selling_dealer=dealer)
    with as_user(seller):
        timeline_note_add(customer=customer, by=seller, text="Wants a test drive on Saturday")
    client.force_login(seller)
    response = client.get(reverse("customers:detail", args=[customer.id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "王小明" in html and "138 1234 5678" in html and "沪A12345" in html
    assert "Wants a test drive on Saturday" in html
    assert "Pudong Aurora 4S" in html
    assert reverse("customers:edit", args=[customer.id]) in html


def test_customer_360_query_count_does_not_grow_with_vehicles_and_events(
    client, dealer, seller, django_assert_max_num_queries
):
    customer = CustomerFactory(dealer=dealer)
    for _ in range(8):
        VehicleFactory(owner=customer, selling_dealer=DealerFactory())
    with as_user(seller):
        for number in range(30):
            timeline_note_add(customer=customer, by=seller, text=f"note {number}")
    client.force_login(seller)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("customers:detail", args=[customer.id]))
    assert len(response.context["events"]) == 20 and response.context["next_before_id"]


def test_timeline_load_more_returns_the_older_events(client, dealer, seller):
    customer = CustomerFactory(dealer=dealer)
    with as_user(seller):
        notes = [timeline_note_add(customer=customer, by=seller, text=f"note {n}") for n in range(25)]
    client.force_login(seller)
    first = client.get(reverse("customers:detail", args=[customer.id]))
    more = client.get(
        reverse("customers:timeline", args=[customer.id]),
        {"before_id": first.context["next_before_id"]},
        HTTP_HX_REQUEST="true",
    )
    html = more.content.decode()
    assert "note 0" in html and "note 24" not in html
    assert notes


def test_another_dealers_customer_is_not_found(client, seller):
    stranger = CustomerFactory(dealer=DealerFactory())
    client.force_login(seller)
    assert client.get(reverse("customers:detail", args=[stranger.id])).status_code == 404
    assert client.get(reverse("customers:history", args=[stranger.id])).status_code == 404


def test_merged_customer_redirects_to_the_survivor(client, dealer, seller):
    survivor = CustomerFactory(dealer=dealer)
    merged = CustomerFactory(dealer=dealer)
    manager = staff(Role.SALES_MANAGER, dealer=dealer)
    from crm.customers.services import customers_merge

    with as_user(manager):
        customers_merge(survivor=survivor, merged=merged, by=manager)
    client.force_login(seller)
    response = client.get(reverse("customers:detail", args=[merged.id]))
    assert response.status_code == 302 and response.url == reverse("customers:detail", args=[survivor.id])


def test_note_added_with_htmx_appears_on_the_timeline(client, dealer, seller):
    customer = CustomerFactory(dealer=dealer)
    client.force_login(seller)
    response = client.post(
        reverse("customers:note_add", args=[customer.id]),
        {"text": "Called, no answer"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Called, no answer" in response.content.decode()
    with network_wide(reason="test"):
        assert TimelineEvent.objects.filter(customer=customer, kind="customer.note").count() == 1


def test_create_customer_records_them_for_the_salespersons_dealer(client, dealer, seller):
    client.force_login(seller)
    response = client.post(
        reverse("customers:create"),
        {
            "name": "张伟",
            "kind": "person",
            "phone": "139 0000 2222",
            "preferred_language": "zh-hans",
            "preferred_channel": "wechat",
        },
    )
    with network_wide(reason="test"):
        customer = Customer.objects.get(name="张伟")
        assert CustomerDealer.objects.filter(customer=customer, dealer=dealer).exists()
        assert ContactPoint.objects.get(customer=customer).value == "+8613900002222"
    assert response.status_code == 302 and response.url == reverse("customers:detail", args=[customer.id])


def test_create_with_a_known_phone_attaches_to_the_existing_customer(client, dealer, seller):
    existing = CustomerFactory(dealer=DealerFactory(), name="李娜", phone="+8613900001111")
    client.force_login(seller)
    response = client.post(
        reverse("customers:create"),
        {
            "name": "李娜",
            "kind": "person",
            "phone": "13900001111",
            "preferred_language": "zh-hans",
            "preferred_channel": "phone",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("customers:detail", args=[existing.id])
    assert "already a customer" in response.content.decode()
    with network_wide(reason="test"):
        assert Customer.objects.count() == 1


def test_create_shows_an_invalid_phone_in_the_form_and_writes_nothing(client, seller):
    client.force_login(seller)
    before = database_state()
    response = client.post(
        reverse("customers:create"),
        {
            "name": "Bad",
            "kind": "person",
            "phone": "12345",
            "preferred_language": "en",
            "preferred_channel": "phone",
        },
    )
    assert response.status_code == 200 and "not a" in response.content.decode()
    assert database_state() == before


def test_create_for_a_user_at_two_dealers_offers_only_their_dealers(client, dealer):
    second, foreign = DealerFactory(), DealerFactory()
    user = staff(Role.SALESPERSON, dealer=dealer)
    with network_wide(reason="test"):
        user.role_assignments.create(role=Role.SALESPERSON, dealer=second)
    client.force_login(user)
    choices = dict(client.get(reverse("customers:create")).context["form"].fields["dealer"].choices)
    assert set(choices) == {dealer.id, second.id}
    before = database_state()
    response = client.post(
        reverse("customers:create"),
        {
            "name": "X",
            "kind": "person",
            "phone": "13900003333",
            "preferred_language": "en",
            "preferred_channel": "phone",
            "dealer": foreign.id,
        },
    )
    assert response.status_code == 200
    assert database_state() == before


def test_edit_saves_changes_with_the_version(client, dealer, seller):
    customer = CustomerFactory(dealer=dealer, name="Old Name")
    client.force_login(seller)
    form = client.get(reverse("customers:edit", args=[customer.id])).context["form"]
    data = {**{k: v or "" for k, v in form.initial.items() if k != "id"}, "name": "New Name"}
    response = client.post(reverse("customers:edit", args=[customer.id]), data)
    assert response.status_code == 302
    with network_wide(reason="test"):
        customer.refresh_from_db()
    assert customer.name == "New Name" and customer.version == 2


def test_edit_after_someone_else_saved_shows_a_conflict_and_keeps_what_was_typed(client, dealer, seller):
    customer = CustomerFactory(dealer=dealer, name="Old Name", city="Shanghai")
    client.force_login(seller)
    form = client.get(reverse("customers:edit", args=[customer.id])).context["form"]
    data = {**{k: v or "" for k, v in form.initial.items() if k != "id"}, "name": "Typed Name"}
    colleague = staff(Role.SALESPERSON, dealer=dealer)
    with as_user(colleague):
        customer_update(customer=customer, by=colleague, expected_version=1, changes={"city": "Hangzhou"})
    response = client.post(reverse("customers:edit", args=[customer.id]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this record" in html
    assert 'value="Typed Name"' in html and "Hangzhou" in html
    assert response.context["form"]["version"].value() == "2"
    with network_wide(reason="test"):
        customer.refresh_from_db()
    assert customer.name == "Old Name" and customer.city == "Hangzhou"


def test_add_contact_point_consent_and_vehicle(client, dealer, seller):
    customer = CustomerFactory(dealer=dealer)
    client.force_login(seller)
    vin = make_vin(serial=4242)
    assert (
        client.post(
            reverse("customers:contact_point_add", args=[customer.id]),
            {"kind": "email", "value": "A@Example.com"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("customers:consent_add", args=[customer.id]),
            {"channel": "sms", "purpose": "marketing", "status": "opt_out", "source": "phone"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("customers:vehicle_add", args=[customer.id]),
            {"vin": vin, "make": "Aurora", "model": "A6", "plate": "沪a 99999", "sold_here": "on"},
        ).status_code
        == 302
    )
    with network_wide(reason="test"):
        assert customer.contact_points.filter(kind="email", value="a@example.com").exists()
        assert customer.consents.get(channel="sms", purpose="marketing").status == "opt_out"
        vehicle = Vehicle.objects.get(vin=vin)
    assert (
        vehicle.owner_id == customer.id
        and vehicle.plate == "沪A99999"
        and vehicle.selling_dealer_id == dealer.id
    )


def test_bad_vin_is_shown_in_the_form(client, dealer, seller):
    customer = CustomerFactory(dealer=dealer)
    client.force_login(seller)
    before = database_state()
    response = client.post(
        reverse("customers:vehicle_add", args=[customer.id]), {"vin": "NOTAVIN", "make": "A", "model": "B"}
    )
    assert response.status_code == 200 and "17 letters" in response.content.decode()
    assert database_state() == before


def test_regional_manager_sees_the_360_without_write_buttons_and_cannot_post(client, dealer):
    customer = CustomerFactory(dealer=dealer)
    auditor = staff(Role.REGIONAL_MANAGER, region=dealer.region)
    client.force_login(auditor)
    page = client.get(reverse("customers:detail", args=[customer.id]))
    assert page.status_code == 200
    assert reverse("customers:edit", args=[customer.id]) not in page.content.decode()
    assert reverse("customers:note_add", args=[customer.id]) not in page.content.decode()
    before = database_state()
    posts = [
        (reverse("customers:note_add", args=[customer.id]), {"text": "x"}),
        (reverse("customers:edit", args=[customer.id]), {"name": "Changed", "version": 1}),
        (
            reverse("customers:contact_point_add", args=[customer.id]),
            {"kind": "email", "value": "x@example.com"},
        ),
        (
            reverse("customers:consent_add", args=[customer.id]),
            {"channel": "sms", "purpose": "marketing", "status": "opt_in", "source": "phone"},
        ),
        (
            reverse("customers:vehicle_add", args=[customer.id]),
            {"vin": make_vin(serial=7), "make": "A", "model": "B"},
        ),
        (
            reverse("customers:create"),
            {
                "name": "X",
                "kind": "person",
                "phone": "13900004444",
                "preferred_language": "en",
                "preferred_channel": "phone",
            },
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert database_state() == before


def test_salesperson_cannot_write_to_another_dealers_customer(client, seller):
    stranger = CustomerFactory(dealer=DealerFactory())
    client.force_login(seller)
    before = database_state()
    assert client.post(reverse("customers:note_add", args=[stranger.id]), {"text": "x"}).status_code == 404
    assert (
        client.post(reverse("customers:edit", args=[stranger.id]), {"name": "x", "version": 1}).status_code
        == 404
    )
    assert database_state() == before


def test_history_lists_field_changes_with_who_made_them(client, dealer, seller):
    customer = CustomerFactory(dealer=dealer, name="Before")
    with as_user(seller):
        customer_update(customer=customer, by=seller, expected_version=1, changes={"city": "Suzhou"})
    client.force_login(seller)
    response = client.get(reverse("customers:history", args=[customer.id]))
    assert response.status_code == 200
    assert "Suzhou" in response.content.decode()


def duplicate_pair(dealer):
    first = CustomerFactory(dealer=dealer, name="张伟", phone="+8613811115678")
    second = CustomerFactory(dealer=dealer, name="张玮", phone="+8613922225678")
    with network_wide(reason="test"):
        low, high = sorted((first, second), key=lambda c: c.id)
        candidate = DuplicateCandidate.objects.create(customer=low, other=high, score=0.5, reason="test")
    return low, high, candidate


def test_manager_reviews_duplicates_with_a_bounded_number_of_queries(
    client, dealer, django_assert_max_num_queries
):
    for _ in range(6):
        duplicate_pair(dealer)
    client.force_login(staff(Role.SALES_MANAGER, dealer=dealer))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("customers:duplicates"))
    assert len(response.context["candidates"]) == 6


def test_manager_merges_a_pair_after_confirming(client, dealer):
    low, high, candidate = duplicate_pair(dealer)
    client.force_login(staff(Role.SALES_MANAGER, dealer=dealer))
    confirm = client.get(reverse("customers:merge", args=[candidate.id]), {"survivor": high.id})
    assert confirm.status_code == 200 and confirm.context["merged"].id == low.id
    response = client.post(reverse("customers:merge", args=[candidate.id]), {"survivor": high.id})
    assert response.status_code == 302 and response.url == reverse("customers:detail", args=[high.id])
    with network_wide(reason="test"):
        low.refresh_from_db()
        candidate.refresh_from_db()
    assert low.merged_into_id == high.id and candidate.status == DuplicateCandidate.Status.MERGED


def test_manager_dismisses_a_pair(client, dealer):
    _low, _high, candidate = duplicate_pair(dealer)
    client.force_login(staff(Role.SALES_MANAGER, dealer=dealer))
    assert client.post(reverse("customers:duplicate_dismiss", args=[candidate.id])).status_code == 302
    with network_wide(reason="test"):
        candidate.refresh_from_db()
    assert candidate.status == DuplicateCandidate.Status.DISMISSED


def test_salesperson_can_neither_review_nor_merge_duplicates(client, dealer, seller):
    low, high, candidate = duplicate_pair(dealer)
    client.force_login(seller)
    before = database_state()
    assert client.get(reverse("customers:duplicates")).status_code == 404
    assert (
        client.post(reverse("customers:merge", args=[candidate.id]), {"survivor": high.id}).status_code == 404
    )
    assert client.post(reverse("customers:duplicate_dismiss", args=[candidate.id])).status_code == 404
    assert database_state() == before


def test_merge_refuses_a_survivor_outside_the_pair(client, dealer):
    _low, _high, candidate = duplicate_pair(dealer)
    outsider = CustomerFactory(dealer=dealer)
    client.force_login(staff(Role.SALES_MANAGER, dealer=dealer))
    before = database_state()
    assert (
        client.post(reverse("customers:merge", args=[candidate.id]), {"survivor": outsider.id}).status_code
        == 404
    )
    assert database_state() == before
