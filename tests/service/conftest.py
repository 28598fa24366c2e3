"""What the service tests share: a dealer's workshop with an advisor, and an owner's car."""

import pytest

from crm.core.scope import scoped
from crm.network.access import access_for
from crm.network.models import Role
from tests.factories import CustomerFactory, DealerFactory, VehicleFactory, staff


def as_user(user):
    return scoped(access_for(user).scope)


@pytest.fixture
def workshop():
    dealer = DealerFactory(name="Pudong Aurora 4S")
    owner = CustomerFactory(dealer=dealer, name="王先生")
    return {
        "dealer": dealer,
        "advisor": staff(Role.SERVICE_ADVISOR, dealer=dealer, username="advisor"),
        "seller": staff(Role.SALESPERSON, dealer=dealer, username="seller"),
        "owner": owner,
        "vehicle": VehicleFactory(owner=owner, recorded_by_dealer=dealer),
    }


from tests.service.appointment_helpers import shop  # noqa: E402, F401 - svc-appointments: a workshop taking bookings
