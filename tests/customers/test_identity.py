import pytest
from django.db import connection

from crm.core.scope import Scope, network_wide, scoped
from crm.customers.exceptions import InvalidPhone
from crm.customers.models import ContactPoint, Customer, CustomerDealer, DuplicateCandidate
from crm.customers.services import customer_resolve
from crm.network.access import access_for
from crm.network.models import Role
from tests.factories import CustomerFactory, DealerFactory, staff

pytestmark = pytest.mark.django_db


def as_user(user):
    """The scope a request by `user` runs in."""
    return scoped(access_for(user).scope)


def count_all(model) -> int:
    with network_wide(reason="test count"):
        return model.objects.count()


def test_same_person_with_differently_formatted_phones_is_one_customer():
    dealer = DealerFactory()
    salesperson = staff(Role.SALESPERSON, dealer=dealer)
    with as_user(salesperson):
        first = customer_resolve(by=salesperson, dealer=dealer, name="王小明", phones=["138 1234 5678"])
    with as_user(salesperson):
        second = customer_resolve(by=salesperson, dealer=dealer, name="王小明", phones=["+86-138-1234-5678"])
    with as_user(salesperson):
        third = customer_resolve(
            by=salesperson, dealer=dealer, name="Wang Xiaoming", phones=["0086 13812345678"]
        )
    assert first.created and not second.created and not third.created
    assert first.customer.id == second.customer.id == third.customer.id
    assert count_all(Customer) == 1
    assert count_all(ContactPoint) == 1
    with network_wide(reason="test"):
        assert ContactPoint.objects.get().value == "+8613812345678"


def test_a_second_dealer_attaches_to_the_network_customer_and_learns_only_through_its_own_link():
    shanghai, beijing = DealerFactory(), DealerFactory()
    seller_a = staff(Role.SALESPERSON, dealer=shanghai)
    seller_b = staff(Role.SALESPERSON, dealer=beijing)
    with as_user(seller_a):
        original = customer_resolve(
            by=seller_a, dealer=shanghai, name="李娜", phones=["13900001111"], emails=["Li.Na@Example.com"]
        ).customer
    with as_user(seller_b):
        assert not Customer.objects.filter(id=original.id).exists()  # no relationship yet: invisible
        again = customer_resolve(by=seller_b, dealer=beijing, name="李娜", emails=["li.na@example.com"])
        assert again.customer.id == original.id and not again.created
        assert Customer.objects.filter(id=original.id).exists()
        # Beijing sees its own link only, not Shanghai's.
        assert list(CustomerDealer.objects.values_list("dealer_id", flat=True)) == [beijing.id]


def test_close_name_and_same_phone_tail_is_queued_as_a_possible_duplicate():
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    with as_user(seller):
        customer_resolve(by=seller, dealer=dealer, name="张伟", phones=["13811115678"])
        created = customer_resolve(by=seller, dealer=dealer, name="张玮", phones=["13922225678"])
    assert created.created and created.possible_duplicates
    assert count_all(DuplicateCandidate) == 1


def test_bad_phone_is_refused_before_anything_is_written():
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    with pytest.raises(InvalidPhone), as_user(seller):
        customer_resolve(by=seller, dealer=dealer, name="Bad Number", phones=["12345"])
    assert count_all(Customer) == 0


def test_identity_function_answers_only_an_id():
    dealer = DealerFactory()
    customer = CustomerFactory(dealer=dealer, phone="+8613700001234")
    with scoped(Scope.nothing()), connection.cursor() as cursor:
        cursor.execute("SELECT crm_identity_match(ARRAY['+8613700001234'], ARRAY[]::text[])")
        assert cursor.fetchone() == (customer.id,)
        cursor.execute("SELECT count(*) FROM customers_customer")
        assert cursor.fetchone() == (0,)
