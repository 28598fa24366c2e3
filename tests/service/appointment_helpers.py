"""What the appointment tests share: a workshop whose local clock reads a chosen hour right now (so "later
today" and "tomorrow" exist whenever the suite runs), its bays and advisors, and a booking helper."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from crm.core.scope import network_wide, scoped
from crm.network.access import access_for
from crm.network.models import Role
from service.appointments import selectors, services
from tests.factories import CustomerFactory, DealerFactory, VehicleFactory, staff

# 09:00–18:00 every day, as seed_demo's dealers open.
OPEN_ALL_WEEK = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def as_user(user):
    return scoped(access_for(user).scope)


def zone_where_it_is(hour: int) -> str:
    """A fixed-offset zone whose local clock reads `hour` o'clock (give or take the minutes) right now."""
    offset = (hour - datetime.now(UTC).hour + 12) % 24 - 12  # -12 … +11
    # Etc/GMT names count the other way round: Etc/GMT-8 is UTC+8.
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


def local(dealer, day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(dealer.time_zone))


@pytest.fixture
def shop():
    """A dealer whose local time is about 07:xx now (so every slot of today is still to come), two bays, two
    advisors, a customer with a car, and a call-centre agent."""
    dealer = DealerFactory(name="Xuhui Aurora 4S", time_zone=zone_where_it_is(7), business_hours=OPEN_ALL_WEEK)
    first = staff(Role.SERVICE_ADVISOR, dealer=dealer, username="advisor.one")
    second = staff(Role.SERVICE_ADVISOR, dealer=dealer, username="advisor.two")
    owner = CustomerFactory(dealer=dealer, name="周女士")
    with as_user(first):
        services.appointment_settings_save(dealer=dealer, by=first, slot_minutes=60, no_show_grace_minutes=15)
        bays = [services.bay_add(dealer=dealer, by=first, name=name) for name in ("Bay 1", "Bay 2")]
    today = selectors.local_today(dealer)
    return {
        "dealer": dealer,
        "advisors": [first, second],
        "advisor": first,
        "bays": bays,
        "owner": owner,
        "vehicle": VehicleFactory(owner=owner, recorded_by_dealer=dealer),
        "agent": staff(Role.CALL_CENTRE_AGENT, username="agent"),
        "today": today,
        "tomorrow": today + timedelta(days=1),
    }


def book(shop, starts_at, *, by=None, bay=None, advisor=None, vehicle=None, party=None, **kwargs):
    by = by or shop["advisor"]
    party = party or services.Party(vehicle_id=(vehicle or shop["vehicle"]).id)
    with as_user(by):
        return services.appointment_book(
            dealer=shop["dealer"], by=by, party=party, starts_at=starts_at, bay=bay, advisor=advisor, **kwargs
        )


def everything():
    return network_wide(reason="test assertion")


def now_local(dealer) -> datetime:
    return timezone.now().astimezone(ZoneInfo(dealer.time_zone))
