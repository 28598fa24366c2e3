"""Complaints: deadlines from severity, escalation to the dealer's manager then the OEM region (at the minute,
once per level), closing only with a resolution and the customer's confirmation, and who may do what."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from crm.core.exceptions import NotFound, PermissionDenied
from crm.core.scope import network_wide
from crm.customers.models import CustomerDealer
from crm.messaging.models import Notification
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from service.care import selectors, services
from service.care.exceptions import (
    ComplaintClosed,
    ComplaintFieldInvalid,
    ComplaintRepairOrderMismatch,
    ComplaintSummaryMissing,
    ConfirmationMissing,
    NotResolvedYet,
    OwnerNotAtDealer,
)
from service.models import Complaint, ComplaintEntry
from tests.factories import CustomerFactory, DealerFactory, staff
from tests.service.conftest import as_user

pytestmark = pytest.mark.django_db


def _at(moment):
    return mock.patch("service.care.services.timezone.now", return_value=moment)


def opened(workshop, *, by=None, severity="high", at=None, **kwargs):
    by = by or workshop["advisor"]
    with _at(at or timezone.now()), as_user(by):
        return services.complaint_open(
            dealer=workshop["dealer"],
            customer=workshop["owner"],
            vehicle=kwargs.pop("vehicle", workshop["vehicle"]),
            category=kwargs.pop("category", "repair_quality"),
            severity=severity,
            source=kwargs.pop("source", "dealer"),
            summary=kwargs.pop("summary", "The squeak is back after two days."),
            opened_by=by,
            **kwargs,
        )


def test_deadlines_come_from_the_severity(workshop, settings):
    settings.SERVICE_COMPLAINT_DEADLINE_HOURS = {**settings.SERVICE_COMPLAINT_DEADLINE_HOURS, "high": (4, 48)}
    moment = timezone.now().replace(microsecond=0)
    complaint = opened(workshop, severity="high", at=moment)
    assert complaint.first_contact_due_at == moment + timedelta(hours=4)
    assert complaint.resolution_due_at == moment + timedelta(hours=48)
    # The advisor who logged it at their own dealer owns it; the customer's timeline shows it.
    assert complaint.owner == workshop["advisor"] and complaint.status == Complaint.Status.OPEN
    with network_wide(reason="test check"):
        assert TimelineEvent.objects.filter(
            kind="service.complaint_opened", customer=workshop["owner"]
        ).exists()


def test_bad_values_are_refused_beside_their_field(workshop):
    with pytest.raises(ComplaintFieldInvalid) as error:
        opened(workshop, severity="apocalyptic")
    assert error.value.field == "severity"
    with pytest.raises(ComplaintSummaryMissing):
        opened(workshop, summary="   ")
    with network_wide(reason="test check"):
        assert not Complaint.objects.exists()


def test_the_call_centre_logs_a_complaint_about_any_dealer_and_the_dealer_gets_to_know_the_customer(workshop):
    agent = staff(Role.CALL_CENTRE_AGENT)
    stranger = CustomerFactory(dealer=DealerFactory(), name="外地客户")
    with as_user(agent):
        complaint = services.complaint_open(
            dealer=workshop["dealer"],
            customer=stranger,
            category="service_attitude",
            severity="medium",
            source="call_centre",
            summary="Rude on the phone",
            opened_by=agent,
        )
    assert complaint.owner is None  # the agent does not work at the dealer
    with network_wide(reason="test check"):
        assert CustomerDealer.objects.filter(customer=stranger, dealer=workshop["dealer"]).exists()
    with as_user(workshop["advisor"]):
        assert selectors.complaint_get(user=workshop["advisor"], complaint_id=complaint.id) == complaint


def test_a_repair_order_of_another_customer_is_refused(workshop):
    from service import services as ro_services

    other = CustomerFactory(dealer=workshop["dealer"])
    with as_user(workshop["advisor"]):
        from tests.factories import VehicleFactory

        car = VehicleFactory(owner=other)
        repair_order = ro_services.repair_order_open(
            dealer=workshop["dealer"], vehicle=car, by=workshop["advisor"]
        )
    with pytest.raises(ComplaintRepairOrderMismatch):
        opened(workshop, repair_order=repair_order, vehicle=None)


def test_a_salesperson_and_a_regional_manager_cannot_log_or_work_complaints(workshop):
    with pytest.raises(PermissionDenied):
        opened(workshop, by=workshop["seller"])
    complaint = opened(workshop)
    regional = staff(Role.REGIONAL_MANAGER, region=workshop["dealer"].region)
    with as_user(regional):
        assert selectors.complaint_get(user=regional, complaint_id=complaint.id) == complaint
        with pytest.raises(PermissionDenied):
            services.complaint_note(complaint=complaint, by=regional, text="I'll handle it")
    with network_wide(reason="test check"):
        assert ComplaintEntry.objects.filter(complaint=complaint).count() == 1


def test_a_dealer_never_sees_another_dealers_complaints(workshop):
    complaint = opened(workshop)
    other_advisor = staff(Role.SERVICE_ADVISOR, dealer=DealerFactory())
    with as_user(other_advisor):
        assert not Complaint.objects.filter(id=complaint.id).exists()
        assert not selectors.complaints_for_user(user=other_advisor, which="all").exists()
        with pytest.raises(NotFound):
            selectors.complaint_get(user=other_advisor, complaint_id=complaint.id)
        with pytest.raises(NotFound):
            services.complaint_note(complaint=complaint, by=other_advisor, text="x")


def test_closing_needs_a_resolution_and_the_customers_confirmation(workshop):
    advisor = workshop["advisor"]
    complaint = opened(workshop)
    with as_user(advisor):
        with pytest.raises(NotResolvedYet):
            services.complaint_close(complaint=complaint, by=advisor, customer_confirmed=True)
        services.complaint_note(
            complaint=complaint, by=advisor, text="Called, booked a re-check", is_contact=True
        )
        services.complaint_resolve(complaint=complaint, by=advisor, resolution="Pads replaced free of charge")
        with pytest.raises(ConfirmationMissing):
            services.complaint_close(complaint=complaint, by=advisor, customer_confirmed=False)
        services.complaint_reopen(complaint=complaint, by=advisor, note="Still squeaks")
        services.complaint_resolve(complaint=complaint, by=advisor, resolution="Discs machined, test-driven")
        closed = services.complaint_close(complaint=complaint, by=advisor, customer_confirmed=True)
        with pytest.raises(ComplaintClosed):
            services.complaint_note(complaint=complaint, by=advisor, text="late")
    assert closed.status == Complaint.Status.CLOSED and closed.customer_confirmed_at is not None
    assert closed.first_contacted_at is not None
    with network_wide(reason="test check"):
        kinds = list(ComplaintEntry.objects.filter(complaint=complaint).values_list("kind", flat=True))
    assert kinds == ["opened", "contact", "resolved", "reopened", "resolved", "closed"]


def test_the_owner_must_work_at_the_dealer(workshop):
    complaint = opened(workshop)
    with as_user(workshop["advisor"]), pytest.raises(OwnerNotAtDealer):
        services.complaint_assign(
            complaint=complaint,
            by=workshop["advisor"],
            owner=staff(Role.SERVICE_ADVISOR, dealer=DealerFactory()),
        )


def test_escalation_goes_to_the_dealers_manager_then_the_region_at_the_minute_and_once(workshop, settings):
    settings.SERVICE_COMPLAINT_DEADLINE_HOURS = {**settings.SERVICE_COMPLAINT_DEADLINE_HOURS, "high": (4, 48)}
    settings.SERVICE_COMPLAINT_REGION_ESCALATION_HOURS = 24
    dealer = workshop["dealer"]
    manager = staff(Role.DEALER_ADMIN, dealer=dealer)
    regional = staff(Role.REGIONAL_MANAGER, region=dealer.region)
    elsewhere = staff(Role.REGIONAL_MANAGER, region=DealerFactory().region)
    start = timezone.now().replace(microsecond=0) - timedelta(days=10)
    complaint = opened(workshop, severity="high", at=start)

    # One minute before the first-contact deadline: nothing; at it: the manager (and the owner).
    assert services.complaints_escalate(now=start + timedelta(hours=4) - timedelta(minutes=1)) == 0
    assert services.complaints_escalate(now=start + timedelta(hours=4)) == 1
    assert services.complaints_escalate(now=start + timedelta(hours=5)) == 0  # run again: nothing new
    with network_wide(reason="test check"):
        told = set(Notification.objects.filter(kind="complaint_escalated").values_list("user_id", flat=True))
        assert told == {manager.id, workshop["advisor"].id}
        assert Complaint.objects.get(id=complaint.id).escalation == Complaint.Escalation.DEALER_MANAGER
    # 24 hours after the missed deadline: the region of the dealer, not another region.
    assert services.complaints_escalate(now=start + timedelta(hours=28) - timedelta(minutes=1)) == 0
    assert services.complaints_escalate(now=start + timedelta(hours=28)) == 1
    assert services.complaints_escalate(now=start + timedelta(hours=60)) == 0
    with network_wide(reason="test check"):
        told = set(Notification.objects.filter(kind="complaint_escalated").values_list("user_id", flat=True))
        assert regional.id in told and elsewhere.id not in told
        assert Notification.objects.filter(kind="complaint_escalated").count() == 3
        assert Complaint.objects.get(id=complaint.id).escalation == Complaint.Escalation.OEM_REGION


def test_a_contact_in_time_stops_the_first_contact_clock_but_not_the_resolution_one(workshop, settings):
    settings.SERVICE_COMPLAINT_DEADLINE_HOURS = {**settings.SERVICE_COMPLAINT_DEADLINE_HOURS, "high": (4, 48)}
    start = timezone.now().replace(microsecond=0) - timedelta(days=5)
    complaint = opened(workshop, severity="high", at=start)
    with as_user(workshop["advisor"]):
        services.complaint_note(complaint=complaint, by=workshop["advisor"], text="Called", is_contact=True)
    assert services.complaints_escalate(now=start + timedelta(hours=47)) == 0
    assert services.complaints_escalate(now=start + timedelta(hours=48)) == 1


def test_a_closed_complaint_is_never_escalated(workshop):
    start = timezone.now() - timedelta(days=30)
    complaint = opened(workshop, severity="critical", at=start)
    advisor = workshop["advisor"]
    with as_user(advisor):
        services.complaint_resolve(complaint=complaint, by=advisor, resolution="Fixed")
        services.complaint_close(complaint=complaint, by=advisor, customer_confirmed=True)
    assert services.complaints_escalate() == 0


def test_the_lists_filter_open_overdue_and_mine(workshop):
    start = timezone.now() - timedelta(days=30)
    late = opened(workshop, severity="critical", at=start)
    fresh = opened(workshop, severity="low")
    agent = staff(Role.CALL_CENTRE_AGENT)
    with as_user(workshop["advisor"]):
        overdue = list(selectors.complaints_for_user(user=workshop["advisor"], which="overdue"))
        mine = list(selectors.complaints_for_user(user=workshop["advisor"], which="mine"))
    assert overdue == [late] and set(mine) == {late, fresh}
    with as_user(agent):
        assert not selectors.complaints_for_user(user=agent, which="mine").exists()
        assert selectors.complaints_for_user(user=agent, which="open").count() == 2


def test_a_dealer_cannot_log_a_complaint_for_a_customer_it_does_not_know(workshop):
    stranger = CustomerFactory(dealer=DealerFactory())
    with as_user(workshop["advisor"]), pytest.raises(NotFound):
        services.complaint_open(
            dealer=workshop["dealer"],
            customer=stranger,
            category="price",
            severity="low",
            source="dealer",
            summary="x",
            opened_by=workshop["advisor"],
        )
    with network_wide(reason="test check"):
        assert not Complaint.objects.exists()
        assert not CustomerDealer.objects.filter(customer=stranger, dealer=workshop["dealer"]).exists()
