"""Two bookings of one bay (or one advisor) at the same time, on two real database connections: exactly one
wins, and the loser is told why. Threads with their own connections, committed transactions (transactional_db).

The first test makes the race deterministic: the first booking has inserted its row but not committed when the
second one checks the capacity (it sees a free bay) and inserts — so only the exclusion constraint can stop it.
PostgreSQL makes the second insert wait for the first transaction and then refuses it."""

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from crm.customers.models import Customer
from service.appointments import services
from service.appointments.exceptions import AdvisorTaken, BayTaken, SlotTaken
from service.models import Appointment
from tests.factories import CustomerFactory, VehicleFactory
from tests.service.appointment_helpers import as_user, everything, local

pytestmark = pytest.mark.django_db(transaction=True)


def _party(shop, number: int) -> services.Party:
    car = VehicleFactory(owner=CustomerFactory(dealer=shop["dealer"], name=f"Racer {number}"))
    return services.Party(vehicle_id=car.id)


def _race(shop, *, first_kwargs, second_kwargs):
    """Book `first` and hold its transaction open until `second` has tried; return both outcomes."""
    dealer, advisor = shop["dealer"], shop["advisor"]
    starts_at = local(dealer, shop["tomorrow"], 10)
    parties = [_party(shop, 1), _party(shop, 2)]
    first_inserted, second_started = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def first():
        try:
            with as_user(advisor), transaction.atomic():
                outcomes["first"] = services.appointment_book(
                    dealer=dealer, by=advisor, party=parties[0], starts_at=starts_at, **first_kwargs
                )
                first_inserted.set()
                second_started.wait(10)
                time.sleep(0.5)  # the second booking is now blocked on our uncommitted row
        except SlotTaken as error:
            outcomes["first"] = error
        finally:
            first_inserted.set()
            connection.close()

    def second():
        try:
            first_inserted.wait(10)
            second_started.set()
            with as_user(advisor):
                outcomes["second"] = services.appointment_book(
                    dealer=dealer, by=advisor, party=parties[1], starts_at=starts_at, **second_kwargs
                )
        except SlotTaken as error:
            outcomes["second"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_two_bookings_of_one_bay_at_the_same_time_exactly_one_wins(shop):
    bay = shop["bays"][0]
    first_advisor, second_advisor = shop["advisors"]
    outcomes = _race(
        shop,
        first_kwargs={"bay": bay, "advisor": first_advisor},
        second_kwargs={"bay": bay, "advisor": second_advisor},
    )
    assert isinstance(outcomes["first"], Appointment)
    assert isinstance(outcomes["second"], BayTaken)
    # Refused by the database (the capacity check before it saw a free bay), not by the service's own check.
    assert isinstance(outcomes["second"].__cause__, IntegrityError)
    with everything():
        assert list(Appointment.objects.values_list("bay_id", "advisor_id")) == [(bay.id, first_advisor.id)]
        # The loser's booking left nothing behind: its customer was arranged before, no second appointment.
        assert Customer.objects.filter(name__startswith="Racer").count() == 2


def test_two_bookings_of_one_advisor_at_the_same_time_exactly_one_wins(shop):
    advisor = shop["advisor"]
    outcomes = _race(
        shop,
        first_kwargs={"bay": shop["bays"][0], "advisor": advisor},
        second_kwargs={"bay": shop["bays"][1], "advisor": advisor},
    )
    assert isinstance(outcomes["first"], Appointment)
    assert isinstance(outcomes["second"], AdvisorTaken)
    assert isinstance(outcomes["second"].__cause__, IntegrityError)
    with everything():
        assert Appointment.objects.count() == 1


def test_many_simultaneous_bookings_of_one_bay_leave_exactly_one(shop):
    dealer, bay = shop["dealer"], shop["bays"][0]
    starts_at = local(dealer, shop["tomorrow"], 15)
    parties = [_party(shop, n) for n in range(6)]
    barrier = threading.Barrier(len(parties))
    outcomes: list[str] = []

    def attempt(number: int):
        advisor = shop["advisors"][number % 2]
        try:
            barrier.wait(10)
            with as_user(advisor):
                services.appointment_book(
                    dealer=dealer, by=advisor, party=parties[number], starts_at=starts_at, bay=bay, advisor=advisor
                )
            outcomes.append("won")
        except SlotTaken:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(parties))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["refused"] * (len(parties) - 1) + ["won"]
    with everything():
        assert Appointment.objects.filter(bay=bay).count() == 1
