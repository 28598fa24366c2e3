from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from crm.core.exceptions import ConcurrentEdit, PermissionDenied
from crm.core.scope import network_wide, scoped
from crm.customers.exceptions import ConsentWithdrawn, InvalidBirthday, InvalidVin, VinAlreadyRegistered
from crm.customers.models import Consent, Customer, Vehicle
from crm.customers.normalize import phone_normalize, vin_normalize
from crm.customers.selectors import customer_history, customer_search, search_query_parse
from crm.customers.services import consent_record, customer_resolve, customer_update, vehicle_register
from crm.network.access import access_for
from crm.network.models import Role
from tests.factories import CustomerFactory, DealerFactory, VehicleFactory, make_vin, staff

pytestmark = pytest.mark.django_db


def as_user(user):
    return scoped(access_for(user).scope)


@pytest.fixture
def shop():
    dealer = DealerFactory()
    return dealer, staff(Role.SALESPERSON, dealer=dealer)


def test_two_edits_from_the_same_version_the_second_is_refused_not_lost(shop):
    dealer, seller = shop
    customer = CustomerFactory(dealer=dealer, name="Chen Jie")
    with as_user(seller):
        customer_update(customer=customer, by=seller, expected_version=1, changes={"city": "Suzhou"})
    with pytest.raises(ConcurrentEdit) as error, as_user(seller):
        customer_update(customer=customer, by=seller, expected_version=1, changes={"city": "Wuxi"})
    assert error.value.extra == {"current_version": 2}
    with network_wide(reason="test"):
        assert Customer.objects.get(id=customer.id).city == "Suzhou"


def test_regional_manager_is_read_only(shop):
    dealer, _ = shop
    auditor = staff(Role.REGIONAL_MANAGER, region=dealer.region)
    customer = CustomerFactory(dealer=dealer, name="Chen Jie")
    with pytest.raises(PermissionDenied), as_user(auditor):
        customer_update(customer=customer, by=auditor, expected_version=1, changes={"city": "Wuxi"})
    with network_wide(reason="test"):
        assert Customer.objects.get(id=customer.id).version == 1


def test_an_import_never_turns_a_withdrawn_consent_back_on(shop):
    dealer, _ = shop
    customer = CustomerFactory(dealer=dealer)
    with network_wide(reason="test"):
        consent_record(
            customer=customer, channel="sms", purpose="marketing", status="opt_out", source="reply"
        )
        with pytest.raises(ConsentWithdrawn):
            consent_record(
                customer=customer, channel="sms", purpose="marketing", status="opt_in", source="import"
            )
        assert Consent.objects.get(customer=customer).status == "opt_out"
        # The customer in person can give it back.
        consent_record(
            customer=customer, channel="sms", purpose="marketing", status="opt_in", source="showroom"
        )
        assert Consent.objects.get(customer=customer).status == "opt_in"


def test_vin_check_digit_is_enforced_and_vins_are_unique(shop):
    dealer, seller = shop
    customer = CustomerFactory(dealer=dealer)
    good = make_vin(serial=42)
    wrong_digit = good[:8] + ("1" if good[8] != "1" else "2") + good[9:]
    with pytest.raises(InvalidVin), as_user(seller):
        vehicle_register(by=seller, owner=customer, vin=wrong_digit, make="Aurora", model="A6", dealer=dealer)
    with as_user(seller):
        vehicle = vehicle_register(
            by=seller,
            owner=customer,
            vin=good.lower(),
            make="Aurora",
            model="A6",
            dealer=dealer,
            plate="沪A 12345",
        )
    assert vehicle.vin == good and vehicle.plate == "沪A12345"
    with pytest.raises(VinAlreadyRegistered), as_user(seller):
        vehicle_register(by=seller, owner=customer, vin=good, make="Aurora", model="A6", dealer=dealer)
    with network_wide(reason="test"):
        assert Vehicle.objects.count() == 1


def test_vin_validation_follows_the_regions_rules(settings):
    assert vin_normalize("1M8GDM9AXKP042788") == "1M8GDM9AXKP042788"  # the textbook example
    settings.VIN_CHECK_DIGIT_REGIONS = ["US"]
    assert vin_normalize("WVWZZZ1JZXW000001", region="DE") == "WVWZZZ1JZXW000001"  # Europe: no check digit
    with pytest.raises(InvalidVin):
        vin_normalize("WVWZZZ1JZXW00000I", region="DE")  # I is never a VIN character


def test_phone_numbers_become_e164_in_the_default_region(settings):
    assert phone_normalize("138-1234-5678") == "+8613812345678"
    assert phone_normalize("+1 (415) 555-2671") == "+14155552671"
    settings.DEFAULT_PHONE_REGION = "US"
    assert phone_normalize("(415) 555-2671") == "+14155552671"


def test_history_records_bulk_and_raw_sql_changes_with_old_and_new_values(shop):
    dealer, seller = shop
    customer = CustomerFactory(dealer=dealer, name="Old Name", city="Hangzhou")
    with network_wide(reason="test"):
        Customer.objects.filter(id=customer.id).update(city="Ningbo")  # bulk update, no save()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE customers_customer SET name = 'New Name' WHERE id = %s", [customer.id])
    with as_user(seller):
        history = customer_history(user=seller, customer=customer)
    changes = [entry.changes for entry in history if entry.what == "customer" and entry.action == "update"]
    assert {"name": ("Old Name", "New Name")} in changes
    assert {"city": ("Hangzhou", "Ningbo")} in changes


def test_history_of_another_dealers_customer_is_invisible(shop):
    dealer, seller = shop
    foreign = CustomerFactory(dealer=DealerFactory(), name="Foreign")
    with as_user(seller):
        assert customer_history(user=seller, customer=foreign) == []


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("13812345678", "phone"),
        ("5678", "phone_tail"),
        ("沪A12345", "plate"),
        ("LSVAB4BR9NA000000", "vin"),
        ("NA000000", "vehicle"),
        ("A12345", "vehicle"),
        ("王", "name"),
        ("Smith", "name"),
    ],
)
def test_search_guesses_what_was_typed(typed, kind):
    assert search_query_parse(typed).kind == kind


def test_search_finds_by_phone_tail_name_plate_and_vin_within_scope(shop):
    dealer, seller = shop
    customer = CustomerFactory(dealer=dealer, name="王小明", phone="+8613811112222")
    vehicle = VehicleFactory(owner=customer, plate="沪A99999")
    CustomerFactory(dealer=DealerFactory(), name="王大明", phone="+8613933332222")  # another dealer's
    with as_user(seller):
        for text in ("2222", "13811112222", "王", "沪A99999", vehicle.vin[-8:]):
            _, found = customer_search(user=seller, text=text)
            assert [c.id for c in found] == [customer.id], text


@pytest.mark.parametrize("which", ["tomorrow", "1899"])
def test_a_birthday_in_the_future_or_before_1900_is_refused_and_nothing_is_written(shop, which):
    dealer, seller = shop
    customer = CustomerFactory(dealer=dealer)
    today = timezone.localdate()
    birthday = today + timedelta(days=1) if which == "tomorrow" else date(1899, 12, 31)
    with pytest.raises(InvalidBirthday) as error, as_user(seller):
        customer_update(customer=customer, by=seller, expected_version=1, changes={"birthday": birthday})
    assert error.value.field == "birthday"
    with pytest.raises(InvalidBirthday), as_user(seller):
        customer_resolve(by=seller, dealer=dealer, name="New", phones=["13600001111"], birthday=birthday)
    with network_wide(reason="test"):
        assert Customer.objects.get(id=customer.id).version == 1
        assert Customer.objects.count() == 1
    with as_user(seller):
        customer_update(customer=customer, by=seller, expected_version=1, changes={"birthday": today})
