"""What the loyalty (points) tests share: a dealer with an advisor and a member, and helpers that read the
ledger network-wide."""

import pytest
from django.db.models import Sum

from crm.core.scope import network_wide, scoped
from crm.network.access import access_for
from crm.network.models import Role
from loyalty.models import Member, PointsEntry, PointsLot, Tier
from loyalty.selectors.ledger import balance_of
from loyalty.services.club import member_enrol
from tests.factories import CustomerFactory, DealerFactory, staff


def as_user(user):
    return scoped(access_for(user).scope)


def everything():
    return network_wide(reason="test")


def enrol(customer, dealer) -> Member:
    with everything():
        return member_enrol(customer=customer, dealer=dealer, has_consent=True)


def sums(member) -> tuple[int, int, int]:
    """(sum of entries, sum of lots' remaining, the balance)."""
    with everything():
        entries = PointsEntry.objects.filter(member=member).aggregate(total=Sum("points"))["total"] or 0
        remaining = PointsLot.objects.filter(member=member).aggregate(total=Sum("remaining"))["total"] or 0
        return entries, remaining, balance_of(member=member)


def tiers_make():
    with everything():
        return [
            Tier.objects.get_or_create(
                code=code, defaults={"name": code.title(), "rank": rank, "qualifying_points": points,
                                     "earn_multiplier": multiplier, "service_discount_percent": discount}
            )[0]
            for code, rank, points, multiplier, discount in (
                ("silver", 1, 0, 1, 0),
                ("gold", 2, 5000, "1.25", 5),
                ("platinum", 3, 20000, "1.5", 10),
            )
        ]


@pytest.fixture
def club():
    dealer = DealerFactory(name="Pudong Aurora 4S", time_zone="Asia/Shanghai")
    owner = CustomerFactory(dealer=dealer, name="王先生")
    return {
        "dealer": dealer,
        "advisor": staff(Role.SERVICE_ADVISOR, dealer=dealer, username="advisor"),
        "manager": staff(Role.SALES_MANAGER, dealer=dealer, username="manager"),
        "seller": staff(Role.SALESPERSON, dealer=dealer, username="seller"),
        "owner": owner,
        "member": enrol(owner, dealer),
    }


def dispatch_all() -> int:
    """Hand every undispatched timeline event to its subscribers, as the worker would after commit."""
    from crm.timeline.models import TimelineEvent
    from crm.timeline.services import event_dispatch

    with everything():
        ids = list(TimelineEvent.objects.filter(dispatched_at__isnull=True).order_by("id").values_list("id", flat=True))
    return sum(event_dispatch(event_id=event_id) for event_id in ids)


def repair_order_billed(dealer, advisor, customer, *, labour="600", discount=None):
    """An open repair order for the customer's car with one customer-pay job of `labour` yuan (before tax)."""
    from service import services
    from tests.factories import VehicleFactory

    vehicle = VehicleFactory(owner=customer, recorded_by_dealer=dealer)
    with as_user(advisor):
        repair_order = services.repair_order_open(
            dealer=dealer, vehicle=vehicle, by=advisor, mileage_in=12_000, concern="10,000 km service"
        )
        job = repair_order.jobs.get()
        services.labour_line_add(job=job, by=advisor, operation_code="MNT-10K", hours="1", rate=labour)
    return repair_order


def settle(repair_order, advisor, **kwargs):
    from service import services

    with as_user(advisor):
        return services.repair_order_settle(repair_order=repair_order, by=advisor, **kwargs)
