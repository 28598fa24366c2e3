import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from crm.core.scope import network_wide
from crm.customers import events
from crm.customers.models import Consent, ContactPoint, Customer, CustomerDealer, Vehicle
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from crm.timeline.services import event_record
from tests.factories import (
    CustomerFactory,
    DealerFactory,
    RegionFactory,
    VehicleFactory,
    api_token,
    make_vin,
    staff,
)

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers/"
VEHICLES = "/api/v1/vehicles/"


def customer_url(customer_id: int, tail: str = "") -> str:
    return f"{CUSTOMERS}{customer_id}/{tail}"


def vehicle_url(vehicle_id: int) -> str:
    return f"{VEHICLES}{vehicle_id}/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def count(model, **filters) -> int:
    with network_wide(reason="test"):
        return model.objects.filter(**filters).count()


def fetch(model, **filters):
    with network_wide(reason="test"):
        return model.objects.get(**filters)


def link(customer, dealer) -> None:
    with network_wide(reason="test"):
        CustomerDealer.objects.create(customer=customer, dealer=dealer, reason=CustomerDealer.Reason.SALE)


@pytest.fixture
def two_dealers():
    """Dealer A with a salesperson and two customers; dealer B with one customer A must never see."""
    dealer_a, dealer_b = DealerFactory(), DealerFactory()
    seller_a = staff(Role.SALESPERSON, dealer=dealer_a)
    mine = [
        CustomerFactory(dealer=dealer_a, city="Shanghai"),
        CustomerFactory(dealer=dealer_a, city="Suzhou"),
    ]
    theirs = CustomerFactory(dealer=dealer_b, city="Shanghai")
    return dealer_a, dealer_b, seller_a, mine, theirs


# --- Scoping --------------------------------------------------------------------------------------------


def test_dealer_lists_only_customers_it_has_a_relationship_with(two_dealers):
    _, _, seller_a, mine, theirs = two_dealers
    listed = ids(client_for(seller_a).get(CUSTOMERS))
    assert sorted(listed) == sorted(c.id for c in mine)
    assert theirs.id not in listed


def test_filters_and_search_never_reach_another_dealers_customers(two_dealers):
    _, _, seller_a, mine, theirs = two_dealers
    client = client_for(seller_a)
    with network_wide(reason="test"):
        their_phone = theirs.contact_points.get().value
        my_phone = mine[0].contact_points.get().value
    assert ids(client.get(CUSTOMERS, {"city": "shanghai"})) == [mine[0].id]
    assert ids(client.get(CUSTOMERS, {"q": their_phone})) == []
    assert theirs.id not in ids(client.get(CUSTOMERS, {"q": their_phone[-4:]}))
    assert theirs.id not in ids(client.get(CUSTOMERS, {"q": theirs.name}))
    assert ids(client.get(CUSTOMERS, {"q": my_phone})) == [mine[0].id]
    assert mine[1].id in ids(client.get(CUSTOMERS, {"q": mine[1].name[:1]}))


def test_search_by_phone_tail_and_name_finds_own_customers_only():
    dealer_a, dealer_b = DealerFactory(), DealerFactory()
    seller_a = staff(Role.SALESPERSON, dealer=dealer_a)
    mine = CustomerFactory(dealer=dealer_a, name="欧阳明", phone="+8613912345678")
    CustomerFactory(dealer=dealer_b, name="欧阳华", phone="+8613812345678")
    client = client_for(seller_a)
    assert ids(client.get(CUSTOMERS, {"q": "5678"})) == [mine.id]
    assert ids(client.get(CUSTOMERS, {"q": "欧阳"})) == [mine.id]
    assert ids(client.get(CUSTOMERS, {"q": "139 1234 5678"})) == [mine.id]


def test_filters_by_kind_and_updated_since_and_ignores_ordering_outside_the_allow_list():
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    person = CustomerFactory(dealer=dealer)
    company = CustomerFactory(dealer=dealer, kind=Customer.Kind.COMPANY, name="Aaa Logistics")
    with network_wide(reason="test"):
        Customer.objects.filter(id=person.id).update(updated_at=timezone.now() - timedelta(days=30))
    client = client_for(seller)
    assert ids(client.get(CUSTOMERS, {"kind": "company"})) == [company.id]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(client.get(CUSTOMERS, {"updated_since": since})) == [company.id]
    assert ids(client.get(CUSTOMERS, {"ordering": "name"})) == [company.id, person.id]  # ignored: by -id
    assert ids(client.get(CUSTOMERS, {"ordering": "updated_at"})) == [person.id, company.id]
    bad = client.get(CUSTOMERS, {"kind": "robot"})
    assert bad.status_code == 400 and set(bad.json()) == {"message", "code", "extra"}


def test_another_dealers_customer_is_404_exactly_like_a_missing_one(two_dealers):
    _, _, seller_a, _, theirs = two_dealers
    client = client_for(seller_a)
    foreign = client.get(customer_url(theirs.id))
    missing = client.get(customer_url(theirs.id + 10_000))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert foreign.json()["code"] == "not_found"
    assert client.get(customer_url(theirs.id, "timeline/")).status_code == 404


def test_writes_to_another_dealers_customer_are_404_and_change_nothing(two_dealers):
    _, _, seller_a, _, theirs = two_dealers
    client = client_for(seller_a)
    before = (
        count(ContactPoint),
        count(Consent),
        count(TimelineEvent),
        fetch(Customer, id=theirs.id).version,
    )
    assert client.patch(customer_url(theirs.id), {"city": "X"}, HTTP_IF_MATCH='"1"').status_code == 404
    assert (
        client.post(customer_url(theirs.id, "contact-points/"), {"kind": "phone", "value": "13700001111"})
    ).status_code == 404
    consent = {"channel": "sms", "purpose": "marketing", "status": "opt_out", "source": "phone"}
    assert client.post(customer_url(theirs.id, "consents/"), consent).status_code == 404
    after = (count(ContactPoint), count(Consent), count(TimelineEvent), fetch(Customer, id=theirs.id).version)
    assert after == before
    assert fetch(Customer, id=theirs.id).city == "Shanghai"


def test_detail_shows_contact_points_vehicles_and_only_the_callers_dealer_relationships():
    dealer_a, dealer_b = DealerFactory(), DealerFactory()
    seller_a = staff(Role.SALESPERSON, dealer=dealer_a)
    customer = CustomerFactory(dealer=dealer_a, phone="+8613912340000")
    link(customer, dealer_b)
    vehicle = VehicleFactory(owner=customer)
    response = client_for(seller_a).get(customer_url(customer.id))
    assert response.status_code == 200
    body = response.json()
    assert response["ETag"] == '"1"'
    assert [point["value"] for point in body["contact_points"]] == ["+8613912340000"]
    assert body["vehicles"] == [vehicle.id]
    assert [row["dealer"]["id"] for row in body["dealer_links"]] == [dealer_a.id]


def test_token_authenticated_client_sees_its_dealers_rows_and_not_others(two_dealers):
    # DRF authenticates the token inside the view, after the scope middleware ran for an anonymous user:
    # the API view must re-scope the transaction for the token's user.
    _, _, seller_a, mine, theirs = two_dealers
    token = api_token(seller_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert sorted(ids(client.get(CUSTOMERS))) == sorted(c.id for c in mine)
    assert client.get(customer_url(mine[0].id)).status_code == 200
    assert client.get(customer_url(theirs.id)).status_code == 404
    created = client.post(CUSTOMERS, {"name": "Token Li", "phones": ["13600001234"]}, format="json")
    assert created.status_code == 201, created.content
    assert count(CustomerDealer, customer_id=created.json()["id"], dealer=mine[0].origin_dealer) == 1


def test_anonymous_and_bad_token_callers_are_refused_and_nothing_is_written(two_dealers):
    _, _, _, mine, _ = two_dealers
    anonymous = APIClient()
    assert anonymous.get(CUSTOMERS).status_code == 401
    assert anonymous.get(customer_url(mine[0].id)).status_code == 401
    response = anonymous.post(CUSTOMERS, {"name": "Nobody"}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Bearer crm_not-a-real-token")
    assert forged.get(CUSTOMERS).status_code == 401
    assert count(Customer) == 3


# --- Creating customers ---------------------------------------------------------------------------------


def test_create_at_the_only_dealer_answers_201_then_the_same_phone_answers_200_with_the_record():
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    client = client_for(seller)
    first = client.post(
        CUSTOMERS, {"name": "王小明", "phones": ["138 1234 5678"], "city": "Shanghai"}, format="json"
    )
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["created"] is True and body["city"] == "Shanghai"
    assert first["Location"] == customer_url(body["id"]) and first["ETag"] == '"1"'
    assert [p["value"] for p in body["contact_points"]] == ["+8613812345678"]
    assert [row["dealer"]["id"] for row in body["dealer_links"]] == [dealer.id]
    again = client.post(CUSTOMERS, {"name": "Wang Xiaoming", "phones": ["+86-138-1234-5678"]}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"] and again.json()["created"] is False
    assert count(Customer) == 1


def test_a_user_at_several_dealers_must_name_one_of_their_own():
    dealer_a, dealer_b, other = DealerFactory(), DealerFactory(), DealerFactory()
    manager = staff(Role.SALES_MANAGER, dealer=dealer_a)
    with network_wide(reason="test"):
        manager.role_assignments.create(role=Role.SALES_MANAGER, dealer=dealer_b)
    client = client_for(manager)
    missing = client.post(CUSTOMERS, {"name": "Chen"}, format="json")
    assert missing.status_code == 400 and "dealer" in missing.json()["extra"]["fields"]
    foreign = client.post(CUSTOMERS, {"name": "Chen", "dealer": other.id}, format="json")
    assert foreign.status_code == 400
    assert foreign.json()["code"] == "invalid"
    assert "unknown dealer" in str(foreign.json()["extra"]["fields"]["dealer"]).lower()
    assert count(Customer) == 0
    chosen = client.post(CUSTOMERS, {"name": "Chen", "dealer": dealer_b.id}, format="json")
    assert chosen.status_code == 201
    assert count(CustomerDealer, customer_id=chosen.json()["id"], dealer=dealer_b) == 1


def test_possible_duplicates_at_the_callers_dealer_are_listed():
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    own = CustomerFactory(dealer=dealer, name="张伟", phone="+8613911115678")
    response = client_for(seller).post(CUSTOMERS, {"name": "张伟", "phones": ["13633335678"]}, format="json")
    assert response.status_code == 201
    assert response.json()["possible_duplicates"] == [own.id]


def test_a_lookalike_at_another_dealer_neither_fails_the_intake_nor_is_named():
    dealer_a, dealer_b = DealerFactory(), DealerFactory()
    seller_a = staff(Role.SALESPERSON, dealer=dealer_a)
    own = CustomerFactory(dealer=dealer_a, name="张伟", phone="+8613911115678")
    CustomerFactory(dealer=dealer_b, name="张伟", phone="+8613722225678")
    response = client_for(seller_a).post(
        CUSTOMERS, {"name": "张伟", "phones": ["13633335678"]}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["possible_duplicates"] == [own.id]


def test_typed_and_validation_errors_use_the_one_error_shape():
    dealer = DealerFactory()
    client = client_for(staff(Role.SALESPERSON, dealer=dealer))
    phone = client.post(CUSTOMERS, {"name": "Li", "phones": ["12345"]}, format="json")
    assert phone.status_code == 400
    assert phone.json()["code"] == "invalid_phone" and set(phone.json()) == {"message", "code", "extra"}
    nameless = client.post(CUSTOMERS, {"city": "Beijing"}, format="json")
    assert nameless.status_code == 400
    assert nameless.json()["code"] == "invalid" and "name" in nameless.json()["extra"]["fields"]
    assert count(Customer) == 0


# --- Optimistic concurrency -----------------------------------------------------------------------------


def test_patch_with_the_current_etag_updates_and_moves_the_etag_on():
    dealer = DealerFactory()
    customer = CustomerFactory(dealer=dealer)
    client = client_for(staff(Role.SALESPERSON, dealer=dealer))
    etag = client.get(customer_url(customer.id))["ETag"]
    response = client.patch(customer_url(customer.id), {"city": "Hangzhou"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["city"] == "Hangzhou" and response["ETag"] == '"2"'
    unquoted = client.patch(customer_url(customer.id), {"district": "Xihu"}, HTTP_IF_MATCH="2")
    assert unquoted.status_code == 200 and unquoted.json()["version"] == 3
    in_body = client.patch(customer_url(customer.id), {"street": "1 Road", "version": 3}, format="json")
    assert in_body.status_code == 200 and in_body.json()["version"] == 4


def test_patch_with_a_stale_etag_is_412_and_changes_nothing():
    dealer = DealerFactory()
    customer = CustomerFactory(dealer=dealer, city="Shanghai")
    with network_wide(reason="test"):
        Customer.objects.filter(id=customer.id).update(version=2)  # someone else saved meanwhile
    client = client_for(staff(Role.SALESPERSON, dealer=dealer))
    response = client.patch(customer_url(customer.id), {"city": "Hangzhou"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response.json()["extra"] == {"current_version": 2}
    stored = fetch(Customer, id=customer.id)
    assert (stored.city, stored.version) == ("Shanghai", 2)


def test_patch_without_if_match_or_version_is_428():
    dealer = DealerFactory()
    customer = CustomerFactory(dealer=dealer, city="Shanghai")
    client = client_for(staff(Role.SALESPERSON, dealer=dealer))
    response = client.patch(customer_url(customer.id), {"city": "Hangzhou"})
    assert response.status_code == 428
    assert "If-Match required" in response.json()["message"]
    wildcard = client.patch(customer_url(customer.id), {"city": "Hangzhou"}, HTTP_IF_MATCH="*")
    assert wildcard.status_code == 412
    assert fetch(Customer, id=customer.id).city == "Shanghai"


def test_put_replaces_the_details_and_clears_what_is_omitted():
    dealer = DealerFactory()
    customer = CustomerFactory(dealer=dealer, city="Shanghai", contact_person="Mr Li")
    client = client_for(staff(Role.SALESPERSON, dealer=dealer))
    response = client.put(customer_url(customer.id), {"name": "New Name"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    stored = fetch(Customer, id=customer.id)
    assert (stored.name, stored.city, stored.contact_person) == ("New Name", "", "")


# --- Contact points, consents, timeline -----------------------------------------------------------------


def test_contact_point_is_normalised_and_a_second_copy_conflicts():
    dealer = DealerFactory()
    customer = CustomerFactory(dealer=dealer)
    client = client_for(staff(Role.SALESPERSON, dealer=dealer))
    url = customer_url(customer.id, "contact-points/")
    added = client.post(url, {"kind": "email", "value": " Li@Example.COM "})
    assert added.status_code == 201 and added.json()["value"] == "li@example.com"
    again = client.post(url, {"kind": "email", "value": "li@example.com"})
    assert again.status_code == 409 and again.json()["code"] == "contact_point_exists"
    assert count(ContactPoint, customer=customer, kind="email") == 1


def test_consent_is_recorded_and_an_import_cannot_undo_an_opt_out():
    dealer = DealerFactory()
    customer = CustomerFactory(dealer=dealer)
    client = client_for(staff(Role.SALESPERSON, dealer=dealer))
    url = customer_url(customer.id, "consents/")
    out = client.post(url, {"channel": "sms", "purpose": "marketing", "status": "opt_out", "source": "phone"})
    assert out.status_code == 200 and out.json()["status"] == "opt_out"
    assert out.json()["dealer"] == dealer.id
    back = client.post(
        url, {"channel": "sms", "purpose": "marketing", "status": "opt_in", "source": "import"}
    )
    assert back.status_code == 409 and back.json()["code"] == "consent_withdrawn"
    assert fetch(Consent, customer=customer).status == Consent.Status.OPT_OUT


def test_timeline_is_newest_first_paginated_and_hides_other_dealers_events():
    dealer_a, dealer_b = DealerFactory(), DealerFactory()
    seller_a = staff(Role.SALESPERSON, dealer=dealer_a)
    customer = CustomerFactory(dealer=dealer_a)
    link(customer, dealer_b)
    start = timezone.now() - timedelta(hours=1)
    with network_wide(reason="test"):
        mine = [
            event_record(
                customer_id=customer.id,
                kind=events.NOTE_ADDED,
                dealer_id=dealer_a.id,
                actor=seller_a,
                data={"text": f"note {n}"},
                occurred_at=start + timedelta(minutes=n),
            )
            for n in range(5)
        ]
        event_record(
            customer_id=customer.id, kind=events.NOTE_ADDED, dealer_id=dealer_b.id, data={"text": "secret"}
        )
    client = client_for(seller_a)
    seen, url = [], customer_url(customer.id, "timeline/") + "?page_size=2"
    while url:
        page = client.get(url).json()
        seen.extend(page["results"])
        url = page["next"]
    assert [item["id"] for item in seen] == [e.id for e in reversed(mine)]
    assert seen[0]["summary"] == "note 4" and seen[0]["dealer"]["id"] == dealer_a.id
    assert seen[0]["actor"] == seller_a.get_full_name() and seen[0]["data"] == {"text": "note 4"}


# --- Vehicles -------------------------------------------------------------------------------------------


def test_vehicle_owner_from_another_dealer_is_rejected_as_unknown(two_dealers):
    _, _, seller_a, _, theirs = two_dealers
    response = client_for(seller_a).post(
        VEHICLES, {"vin": make_vin(serial=1), "make": "Aurora", "model": "A6", "owner": theirs.id}
    )
    assert response.status_code == 400
    owner_error = str(response.json()["extra"]["fields"]["owner"])
    assert "Invalid pk" in owner_error and "does not exist" in owner_error
    assert count(Vehicle) == 0


def test_vehicle_is_registered_for_own_customer_and_a_bad_or_taken_vin_is_refused():
    dealer = DealerFactory()
    customer = CustomerFactory(dealer=dealer)
    client = client_for(staff(Role.SERVICE_ADVISOR, dealer=dealer))
    vin = make_vin(serial=42)
    payload = {
        "vin": vin.lower(),
        "make": "Aurora",
        "model": "A6",
        "plate": "沪A 12345",
        "owner": customer.id,
    }
    created = client.post(VEHICLES, payload)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["vin"], body["plate"], body["owner"], body["recorded_by_dealer"]) == (
        vin,
        "沪A12345",
        customer.id,
        dealer.id,
    )
    taken = client.post(VEHICLES, payload)
    assert taken.status_code == 409 and taken.json()["code"] == "vin_already_registered"
    bad = client.post(VEHICLES, {**payload, "vin": vin[:8] + "Z" + vin[9:]})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_vin"
    assert count(Vehicle) == 1


def test_vehicle_list_is_scoped_and_filters_by_vin_plate_and_owner(two_dealers):
    _, _, seller_a, mine, theirs = two_dealers
    first = VehicleFactory(owner=mine[0], plate="沪A11111")
    second = VehicleFactory(owner=mine[1])
    hidden = VehicleFactory(owner=theirs, plate="沪A22222")
    client = client_for(seller_a)
    assert sorted(ids(client.get(VEHICLES))) == sorted([first.id, second.id])
    assert ids(client.get(VEHICLES, {"vin": first.vin.lower()})) == [first.id]
    assert ids(client.get(VEHICLES, {"plate": "沪a 11111"})) == [first.id]
    assert ids(client.get(VEHICLES, {"owner": mine[1].id})) == [second.id]
    assert ids(client.get(VEHICLES, {"vin": hidden.vin})) == []
    assert ids(client.get(VEHICLES, {"owner": theirs.id})) == []
    assert client.get(vehicle_url(hidden.id)).status_code == 404


def test_vehicle_patch_honours_if_match():
    dealer = DealerFactory()
    vehicle = VehicleFactory(owner=CustomerFactory(dealer=dealer), colour="white")
    client = client_for(staff(Role.SERVICE_ADVISOR, dealer=dealer))
    detail = client.get(vehicle_url(vehicle.id))
    assert detail.status_code == 200 and detail["ETag"] == '"1"'
    changed = client.patch(vehicle_url(vehicle.id), {"colour": "black"}, HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed["ETag"] == '"2"'
    stale = client.patch(vehicle_url(vehicle.id), {"colour": "red"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert client.patch(vehicle_url(vehicle.id), {"colour": "red"}).status_code == 428
    stored = fetch(Vehicle, id=vehicle.id)
    assert (stored.colour, stored.version) == ("black", 2)


# --- Read-only role -------------------------------------------------------------------------------------


def test_regional_manager_reads_the_region_but_every_write_is_403_and_changes_nothing():
    region = RegionFactory()
    dealer = DealerFactory(region=region)
    customer = CustomerFactory(dealer=dealer, city="Shanghai")
    vehicle = VehicleFactory(owner=customer, colour="white")
    auditor = staff(Role.REGIONAL_MANAGER, region=region)
    client = client_for(auditor)
    assert ids(client.get(CUSTOMERS)) == [customer.id]
    assert client.get(customer_url(customer.id)).status_code == 200

    def snapshot():
        with network_wide(reason="test"):
            stored_customer, stored_vehicle = Customer.objects.get(), Vehicle.objects.get()
            return {
                "rows": [
                    m.objects.count() for m in (Customer, ContactPoint, Consent, Vehicle, TimelineEvent)
                ],
                "customer": (stored_customer.city, stored_customer.version),
                "vehicle": (stored_vehicle.colour, stored_vehicle.version),
            }

    before = snapshot()
    writes = [
        client.post(CUSTOMERS, {"name": "Audit", "dealer": dealer.id}, format="json"),
        client.patch(customer_url(customer.id), {"city": "X"}, HTTP_IF_MATCH='"1"'),
        client.put(customer_url(customer.id), {"name": "X"}, HTTP_IF_MATCH='"1"'),
        client.post(customer_url(customer.id, "contact-points/"), {"kind": "phone", "value": "13700001111"}),
        client.post(
            customer_url(customer.id, "consents/"),
            {
                "channel": "sms",
                "purpose": "marketing",
                "status": "opt_in",
                "source": "staff",
                "dealer": dealer.id,
            },
        ),
        client.post(VEHICLES, {"vin": make_vin(serial=7), "make": "A", "model": "B", "dealer": dealer.id}),
        client.patch(vehicle_url(vehicle.id), {"colour": "red"}, HTTP_IF_MATCH='"1"'),
    ]
    assert [w.status_code for w in writes] == [403] * len(writes)
    assert all(w.json()["code"] == "permission_denied" for w in writes)
    assert snapshot() == before


# --- Lists at scale -------------------------------------------------------------------------------------


def test_customer_list_query_count_does_not_grow_with_rows(django_assert_max_num_queries):
    dealer = DealerFactory()
    client = client_for(staff(Role.SALESPERSON, dealer=dealer))
    CustomerFactory.create_batch(2, dealer=dealer)
    client.get(CUSTOMERS)  # the user's access is computed once and kept on the user object
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get(CUSTOMERS))) == 2
    CustomerFactory.create_batch(25, dealer=dealer)
    with CaptureQueriesContext(connection) as many:
        assert len(ids(client.get(CUSTOMERS))) == 27
    assert len(many) == len(few)
    # The request's transaction and its scope (savepoint, scope read, set, re-set for the API user, restore,
    # release: test-transaction artefacts included), the page, and the primary phones of the page.
    with django_assert_max_num_queries(8):
        client.get(CUSTOMERS, {"q": "1391", "city": "Shanghai"})


def test_vehicle_list_query_count_does_not_grow_with_rows():
    dealer = DealerFactory()
    client = client_for(staff(Role.SERVICE_ADVISOR, dealer=dealer))
    owner = CustomerFactory(dealer=dealer)
    VehicleFactory(owner=owner)
    client.get(VEHICLES)
    with CaptureQueriesContext(connection) as few:
        client.get(VEHICLES)
    VehicleFactory.create_batch(20, owner=owner)
    with CaptureQueriesContext(connection) as many:
        assert len(ids(client.get(VEHICLES))) == 21
    assert len(many) == len(few)


def test_pagination_walks_every_customer_once_across_pages():
    dealer = DealerFactory()
    customers = CustomerFactory.create_batch(7, dealer=dealer)
    CustomerFactory.create_batch(3, dealer=DealerFactory())
    client = client_for(staff(Role.SALESPERSON, dealer=dealer))
    for ordering in ("-id", "updated_at"):
        seen, url, pages = [], f"{CUSTOMERS}?page_size=3&ordering={ordering}", 0
        while url:
            page = client.get(url).json()
            seen.extend(row["id"] for row in page["results"])
            url, pages = page["next"], pages + 1
        assert pages == 3
        assert sorted(seen) == sorted(c.id for c in customers) and len(seen) == len(set(seen))


def test_browsable_api_renders_for_a_signed_in_user():
    dealer = DealerFactory()
    customer = CustomerFactory(dealer=dealer)
    client = client_for(staff(Role.SALESPERSON, dealer=dealer))
    assert client.get(CUSTOMERS, HTTP_ACCEPT="text/html").status_code == 200
    assert client.get(customer_url(customer.id), HTTP_ACCEPT="text/html").status_code == 200


# --- Dates, times and cursors the database could not hold ---------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00+16:00",  # PostgreSQL refuses offsets from 16 hours on
        "2026-01-01T00:00:00-14:30",  # no time zone is that far west
        "0001-01-01T00:00:00+01:00",  # year 0 once in UTC
        "9999-12-31T23:59:59-01:00",  # year 10000 once in UTC
        "1899-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "yesterday",
        "2026-13-01T00:00:00Z",
    ],
)
def test_an_implausible_or_malformed_updated_since_is_a_400_naming_it(value):
    seller = staff(Role.SALESPERSON, dealer=DealerFactory())
    response = client_for(seller).get(CUSTOMERS, {"updated_since": value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"message", "code", "extra"}
    assert list(body["extra"]["fields"]) == ["updated_since"]
    assert "updated_since" in body["message"]


def test_updated_since_with_a_far_but_real_offset_filters_by_the_instant():
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    customer = CustomerFactory(dealer=dealer)
    with network_wide(reason="test"):
        Customer.objects.filter(id=customer.id).update(updated_at=datetime(2026, 1, 1, 10, tzinfo=UTC))
    client = client_for(seller)
    # 2026-01-02 00:00 at +14:00 is 2026-01-01 10:00 UTC.
    assert ids(client.get(CUSTOMERS, {"updated_since": "2026-01-02T00:00:00+14:00"})) == [customer.id]
    assert ids(client.get(CUSTOMERS, {"updated_since": "2026-01-02T00:00:01+14:00"})) == []


@pytest.mark.parametrize(
    "cursor",
    [
        "aurora",  # not base64
        base64.b64encode(b"p=abc").decode(),  # a position that is no id
        base64.b64encode(b"p=1800-01-01").decode(),
    ],
)
def test_a_cursor_we_did_not_issue_is_a_400_naming_it(cursor, two_dealers):
    _, _, seller_a, _, _ = two_dealers
    response = client_for(seller_a).get(CUSTOMERS, {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert list(response.json()["extra"]["fields"]) == ["cursor"]


def test_a_forged_timeline_cursor_with_an_impossible_time_is_a_400(two_dealers):
    _, _, seller_a, mine, _ = two_dealers
    forged = base64.b64encode(b"p=2026-01-01 00:00:00+16:00").decode()
    response = client_for(seller_a).get(customer_url(mine[0].id, "timeline/"), {"cursor": forged})
    assert response.status_code == 400 and list(response.json()["extra"]["fields"]) == ["cursor"]


@pytest.mark.parametrize("birthday", ["0001-01-01", "9999-12-31", "1899-12-31", "tomorrow"])
def test_an_implausible_birthday_is_refused_beside_the_field_and_nothing_changes(birthday):
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    customer = CustomerFactory(dealer=dealer)
    if birthday == "tomorrow":
        birthday = (timezone.localdate() + timedelta(days=1)).isoformat()
    client = client_for(seller)
    created = client.post(
        CUSTOMERS, {"name": "New", "phones": ["13600009999"], "birthday": birthday}, format="json"
    )
    assert created.status_code == 400 and list(created.json()["extra"]["fields"]) == ["birthday"]
    changed = client.patch(
        customer_url(customer.id), {"birthday": birthday}, HTTP_IF_MATCH='"1"', format="json"
    )
    assert changed.status_code == 400 and list(changed.json()["extra"]["fields"]) == ["birthday"]
    assert fetch(Customer, id=customer.id).version == 1
    assert count(Customer) == 1


def test_times_are_answered_in_utc_so_no_local_mean_time_offset_leaks():
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    customer = CustomerFactory(dealer=dealer)
    with network_wide(reason="test"):
        # Asia/Shanghai kept local mean time (+08:05:43) until 1901.
        Customer.objects.filter(id=customer.id).update(created_at=datetime(1900, 6, 1, 12, tzinfo=UTC))
    body = client_for(seller).get(customer_url(customer.id)).json()
    assert body["created_at"] == "1900-06-01T12:00:00Z"
    assert body["updated_at"].endswith("Z")
