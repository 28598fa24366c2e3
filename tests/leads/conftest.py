"""What the funnel's tests share: a dealer with its sales team, and acting as a user."""

import pytest

from crm.core.scope import network_wide, scoped
from crm.customers.models import Customer
from crm.network.access import access_for
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from leads.models import ContactAttempt, DemoCar, FollowUp, Lead, LostVerdict, ShowroomVisit
from leads.models import TestDrive as DriveBooking  # a bare TestDrive name looks like a test class
from tests.factories import DealerFactory, RegionFactory, staff

ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def as_user(user):
    return scoped(access_for(user).scope)


def database_state() -> dict:
    """Everything the lead pages could write, to prove a refused request changed nothing."""
    with network_wide(reason="test check"):
        return {
            "leads": sorted(
                Lead.objects.values_list("id", "stage", "grade", "owner_id", "acceptance", "version")
            ),
            "attempts": ContactAttempt.objects.count(),
            "follow_ups": sorted(FollowUp.objects.values_list("id", "done_at")),
            "visits": ShowroomVisit.objects.count(),
            "drives": DriveBooking.objects.count(),
            "verdicts": sorted(LostVerdict.objects.values_list("id", "status")),
            "customers": Customer.objects.count(),
            "events": TimelineEvent.objects.count(),
        }


@pytest.fixture
def shop():
    region = RegionFactory(code="east")
    dealer = DealerFactory(name="Pudong Aurora 4S", region=region, business_hours=ALWAYS_OPEN)
    with network_wide(reason="test arrange"):
        DemoCar.objects.create(dealer=dealer, model="A6", plate="沪D00001")
        DemoCar.objects.create(dealer=dealer, model="Q5", plate="沪D00002")
    return {
        "dealer": dealer,
        "region": region,
        "seller": staff(Role.SALESPERSON, dealer=dealer, username="seller"),
        "colleague": staff(Role.SALESPERSON, dealer=dealer, username="colleague"),
        "manager": staff(Role.SALES_MANAGER, dealer=dealer, username="manager"),
        "advisor": staff(Role.SERVICE_ADVISOR, dealer=dealer, username="advisor"),
        "regional": staff(Role.REGIONAL_MANAGER, region=region, username="regional"),
    }
