"""The service key figures, computed from known rows: complaint first-contact and closure times (medians over
every complaint, on the dealer's local day), call-back completion (reached within the window ÷ windows closed)
and recall completion (completed ÷ affected, per responsible dealer)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm.core import key_figures as kf
from crm.core.scope import network_wide
from crm.network.models import Role
from service.models import CallBack, Complaint, RecallCampaign, RecallVehicle
from tests.factories import CustomerFactory, DealerFactory, VehicleFactory, make_vin, staff

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 2)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def value(code: str, dealer_ids, first_day=DAY, last_day=DAY):
    figure = kf.figure_get(code)
    with network_wide(reason="test figures"):
        totals = kf.totals_from_raw(
            codes=figure.measures, dealer_ids=dealer_ids, first_day=first_day, last_day=last_day
        )
    return figure.combine(totals)


def complaint(dealer, customer, *, opened, contacted=None, closed=None) -> Complaint:
    with network_wide(reason="test arrange"):
        return Complaint.objects.create(
            dealer=dealer,
            customer=customer,
            category="price",
            severity="medium",
            source="dealer",
            summary="x",
            opened_at=opened,
            first_contact_due_at=opened + timedelta(hours=24),
            resolution_due_at=opened + timedelta(hours=120),
            first_contacted_at=contacted,
            status="closed" if closed else ("contacted" if contacted else "open"),
            resolution="Refunded" if closed else "",
            resolved_at=closed,
            customer_confirmed_at=closed,
            closed_at=closed,
        )


def test_complaint_times_are_medians_over_every_complaint_on_the_local_day():
    home, other = DealerFactory(), DealerFactory()
    customer = CustomerFactory()
    # First contacts on DAY (Shanghai): 1 h, 3 h at home; 8 h at the other dealer.
    complaint(home, customer, opened=at(8), contacted=at(9))
    complaint(home, customer, opened=at(9), contacted=at(12))
    complaint(other, customer, opened=at(0, 30), contacted=at(8, 30))
    # 23:30 on DAY-1 in Shanghai is 15:30 UTC on DAY-1: another day.
    complaint(
        home,
        customer,
        opened=at(20, day=DAY - timedelta(days=1)),
        contacted=at(23, 30, DAY - timedelta(days=1)),
    )
    # Closed on DAY after 26 h.
    complaint(home, customer, opened=at(8, day=DAY - timedelta(days=1)), contacted=at(9), closed=at(10))
    first_contact = value("service.complaint_first_contact", [home.id])
    assert (first_contact.value, first_contact.denominator) == (
        3.0,
        3,
    )  # median of 1 h, 3 h and the closed one's 25 h
    network = value("service.complaint_first_contact", [home.id, other.id])
    assert (network.value, network.denominator) == (5.5, 4)  # median of 1, 3, 8, 25
    closure = value("service.complaint_closure", [home.id])
    assert (closure.value, closure.denominator) == (26.0, 1)
    assert value("service.complaint_closure", [other.id]).value is None


def test_call_back_completion_is_reached_within_the_window_over_windows_closed(workshop_for_figures):
    dealer, orders = workshop_for_figures
    colleague = staff(Role.SERVICE_ADVISOR, dealer=dealer)
    window_end = at(18)
    outcomes = [
        ("satisfied", at(10)),
        ("dissatisfied", at(11)),
        ("unreachable", at(12)),
        ("satisfied", at(20)),
        ("", None),
    ]
    with network_wide(reason="test arrange"):
        for repair_order, (outcome, recorded_at) in zip(orders, outcomes, strict=True):
            CallBack.objects.create(
                dealer=dealer,
                repair_order=repair_order,
                customer=repair_order.customer,
                due_at=window_end - timedelta(days=1),
                due_by=window_end,
                outcome=outcome,
                recorded_at=recorded_at,
                recorded_by=colleague if recorded_at else None,
            )
    completion = value("service.call_back_completion", [dealer.id])
    # Reached in time: the satisfied and dissatisfied calls before 18:00; not the unreachable, the late, the missed.
    assert (completion.value, completion.numerator, completion.denominator) == (40.0, 2, 5)


def test_recall_completion_counts_completed_over_affected_per_responsible_dealer():
    home, other = DealerFactory(), DealerFactory()
    with network_wide(reason="test arrange"):
        campaign = RecallCampaign.objects.create(code="R1", title="x", remedy_operation_codes=["X"])
        for n in range(4):
            vehicle = VehicleFactory(vin=make_vin(serial=7000 + n))
            RecallVehicle.objects.create(
                campaign=campaign,
                vehicle=vehicle,
                dealer=home if n < 3 else other,
                added_by="upload",
                added_at=at(9),
                status="completed" if n in (0, 3) else "open",
                completed_at=at(15) if n in (0, 3) else None,
            )
    home_value = value("service.recall_completion", [home.id])
    assert (home_value.numerator, home_value.denominator) == (1, 3)
    both = value("service.recall_completion", [home.id, other.id])
    assert both.value == 50.0
    assert (
        value("service.recall_completion", [home.id], DAY + timedelta(days=1), DAY + timedelta(days=5)).value
        is None
    )


@pytest.fixture
def workshop_for_figures():
    from service.models import RepairOrder

    dealer = DealerFactory()
    owner = CustomerFactory(dealer=dealer)
    vehicle = VehicleFactory(owner=owner)
    with network_wide(reason="test arrange"):
        orders = [
            RepairOrder.objects.create(
                dealer=dealer,
                number=f"RO-{n}",
                vehicle=vehicle,
                customer=owner,
                status="settled",
                settled_at=at(9, day=DAY - timedelta(days=3)),
            )
            for n in range(5)
        ]
    return dealer, orders
