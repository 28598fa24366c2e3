"""The list API's `q` uses the search page's own matching rule (selectors.customers_matching): the same
rows, found on the stored indexed columns (reversed phone, VIN, reversed VIN), never a LIKE on an
expression the indexes cannot serve."""

import pytest

from crm.core.scope import network_wide
from crm.customers.api.filters import CustomerFilter
from crm.customers.models import Customer
from crm.network.models import Role
from tests.customers.test_api import CUSTOMERS, client_for, ids
from tests.factories import CustomerFactory, DealerFactory, VehicleFactory, make_vin, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def searchable():
    """Dealer A's customer and dealer B's customer share a phone ending and a VIN ending."""
    dealer_a, dealer_b = DealerFactory(), DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer_a)
    mine = CustomerFactory(dealer=dealer_a, phone="+8613912345678")
    theirs = CustomerFactory(dealer=dealer_b, phone="+8613812345678")
    my_car = VehicleFactory(owner=mine, vin=make_vin("LSVAB4BR", 4711))
    VehicleFactory(owner=theirs, vin=make_vin("LFVAB4BR", 4711))
    return seller, mine, my_car


def test_phone_tail_typed_with_spaces_finds_own_customer_only(searchable):
    seller, mine, _ = searchable
    client = client_for(seller)
    assert ids(client.get(CUSTOMERS, {"q": "5678"})) == [mine.id]
    assert ids(client.get(CUSTOMERS, {"q": " 45 678 "})) == [mine.id]
    assert ids(client.get(CUSTOMERS, {"q": "0000"})) == []


def test_vin_typed_in_lower_case_with_spaces_or_only_its_end_finds_the_owner(searchable):
    seller, mine, my_car = searchable
    client = client_for(seller)
    typed = f"{my_car.vin[:8].lower()} {my_car.vin[8:].lower()}"
    assert ids(client.get(CUSTOMERS, {"q": typed})) == [mine.id]
    assert ids(client.get(CUSTOMERS, {"q": my_car.vin[-8:].lower()})) == [mine.id]  # the end only


@pytest.mark.parametrize(
    ("typed", "column"),
    [
        ("5678", '"value_reversed" >='),
        ("lsvab4br0na004711", '"vin" ='),
        ("na004711", '"vin_reversed" >='),
    ],
)
def test_the_filter_compares_the_indexed_column_not_an_expression(typed, column):
    with network_wide(reason="test"):
        sql = str(CustomerFilter({"q": typed}, queryset=Customer.objects.all()).qs.query)
    assert column in sql
    assert "REVERSE(" not in sql.upper() and " LIKE " not in sql.upper()
