"""Service call-backs: scheduled two to three days after a repair order is settled (the timeline subscriber,
once per order), never assigned to nor made by the advisor who served the customer; a dissatisfied answer
opens a complaint."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.core.exceptions import NotFound, PermissionDenied
from crm.core.scope import network_wide
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from crm.timeline.services import event_dispatch
from service import services as ro_services
from service.care import selectors, services
from service.care.exceptions import CallBackByAdvisor, CallBackDone, CallBackNotesMissing
from service.models import CallBack, Complaint
from tests.factories import DealerFactory, staff
from tests.service.conftest import as_user

pytestmark = pytest.mark.django_db


def settled(workshop, *, pay_type="customer"):
    advisor = workshop["advisor"]
    with as_user(advisor):
        repair_order = ro_services.repair_order_open(
            dealer=workshop["dealer"],
            vehicle=workshop["vehicle"],
            by=advisor,
            mileage_in=12_000,
            concern="Oil",
        )
        job = repair_order.jobs.get()
        if pay_type != "customer":
            ro_services.job_update(job=job, by=advisor, pay_type=pay_type)
        ro_services.labour_line_add(job=job, by=advisor, operation_code="MNT", hours="1", rate="200")
        repair_order = ro_services.repair_order_settle(repair_order=repair_order, by=advisor)
    with network_wide(reason="test check"):
        event = TimelineEvent.objects.filter(kind="service.repair_order_settled").latest("id")
    event_dispatch(event_id=event.id)
    return repair_order


def call_back_of(repair_order) -> CallBack:
    with network_wide(reason="test check"):
        return CallBack.objects.select_related("repair_order").get(repair_order=repair_order)


def test_settling_schedules_one_call_back_two_to_three_days_later_for_someone_else(workshop):
    colleague = staff(Role.SERVICE_ADVISOR, dealer=workshop["dealer"])
    repair_order = settled(workshop)
    call_back = call_back_of(repair_order)
    assert call_back.due_at == repair_order.settled_at + timedelta(days=2)
    assert call_back.due_by == repair_order.settled_at + timedelta(days=3)
    assert call_back.advisor == workshop["advisor"] and call_back.assigned_to == colleague
    # The event handed over again: still one call-back.
    with network_wide(reason="test: the subscriber runs network-wide"):
        assert services.call_back_schedule(repair_order=repair_order) == call_back
        assert CallBack.objects.count() == 1


def test_with_no_one_else_at_the_dealer_it_goes_to_the_call_centre_queue(workshop):
    call_back = call_back_of(settled(workshop))
    assert call_back.assigned_to is None


def test_the_call_centre_can_be_set_to_make_every_call_back(workshop, settings):
    settings.SERVICE_CALL_BACKS_BY_CALL_CENTRE = True
    staff(Role.SERVICE_ADVISOR, dealer=workshop["dealer"])
    assert call_back_of(settled(workshop)).assigned_to is None


def test_internal_orders_get_no_call_back(workshop):
    settled(workshop, pay_type="internal")
    with network_wide(reason="test check"):
        assert not CallBack.objects.exists()


def test_the_advisor_who_served_the_customer_cannot_make_the_call(workshop):
    call_back = call_back_of(settled(workshop))
    advisor = workshop["advisor"]
    with as_user(advisor), pytest.raises(CallBackByAdvisor):
        services.call_back_record(call_back=call_back, by=advisor, outcome="satisfied")
    assert not call_back_of(call_back.repair_order).is_done
    # The database refuses it too, whatever the code path.
    with network_wide(reason="test"), pytest.raises(IntegrityError), transaction.atomic():
        CallBack.objects.filter(id=call_back.id).update(
            recorded_by=advisor, recorded_at=timezone.now(), outcome="satisfied"
        )


def test_a_satisfied_answer_closes_the_call_back(workshop):
    call_back = call_back_of(settled(workshop))
    agent = staff(Role.CALL_CENTRE_AGENT)
    with as_user(agent):
        done = services.call_back_record(call_back=call_back, by=agent, outcome="satisfied", notes="All good")
        with pytest.raises(CallBackDone):
            services.call_back_record(call_back=call_back, by=agent, outcome="dissatisfied", notes="x")
    assert done.is_done and done.complaint is None and done.recorded_by == agent


def test_a_dissatisfied_answer_opens_a_complaint_about_the_order(workshop):
    repair_order = settled(workshop)
    call_back = call_back_of(repair_order)
    colleague = staff(Role.SERVICE_ADVISOR, dealer=workshop["dealer"])
    with as_user(colleague):
        with pytest.raises(CallBackNotesMissing):
            services.call_back_record(call_back=call_back, by=colleague, outcome="dissatisfied")
        done = services.call_back_record(
            call_back=call_back, by=colleague, outcome="dissatisfied", notes="Car returned dirty, oil on seat"
        )
    complaint = done.complaint
    assert complaint.source == Complaint.Source.CALL_BACK and complaint.repair_order_id == repair_order.id
    assert (
        complaint.vehicle_id == workshop["vehicle"].id
        and complaint.summary == "Car returned dirty, oil on seat"
    )


def test_staff_of_another_dealer_and_salespeople_cannot_record_it(workshop):
    call_back = call_back_of(settled(workshop))
    stranger = staff(Role.SERVICE_ADVISOR, dealer=DealerFactory())
    with as_user(stranger):
        with pytest.raises(NotFound):
            selectors.call_back_get(user=stranger, call_back_id=call_back.id)
        with pytest.raises(NotFound):
            services.call_back_record(call_back=call_back, by=stranger, outcome="satisfied")
    with as_user(workshop["seller"]), pytest.raises(PermissionDenied):
        services.call_back_record(call_back=call_back, by=workshop["seller"], outcome="satisfied")
    assert not call_back_of(call_back.repair_order).is_done


def test_the_due_list_shows_what_is_due_to_whom(workshop):
    call_back = call_back_of(settled(workshop))
    agent = staff(Role.CALL_CENTRE_AGENT)
    with as_user(agent):
        assert not selectors.call_backs_for_user(user=agent, which="due").exists()  # not due for two days
        assert list(selectors.call_backs_for_user(user=agent, which="upcoming")) == [call_back]
    with network_wide(reason="test arrange"):
        CallBack.objects.filter(id=call_back.id).update(
            due_at=timezone.now() - timedelta(hours=1), due_by=timezone.now() + timedelta(days=1)
        )
    with as_user(agent):
        assert list(selectors.call_backs_for_user(user=agent, which="queue")) == [call_back]
    with as_user(workshop["advisor"]):
        assert list(selectors.call_backs_for_user(user=workshop["advisor"], which="due")) == [call_back]


def test_a_dealers_call_back_left_unmade_past_its_window_reaches_the_call_centre(workshop):
    colleague = staff(Role.SERVICE_ADVISOR, dealer=workshop["dealer"])
    call_back = call_back_of(settled(workshop))
    assert call_back.assigned_to == colleague
    agent = staff(Role.CALL_CENTRE_AGENT)
    with network_wide(reason="test arrange"):
        CallBack.objects.filter(id=call_back.id).update(
            due_at=timezone.now() - timedelta(days=2), due_by=timezone.now() + timedelta(hours=1)
        )
    with as_user(agent):
        assert not selectors.call_backs_for_user(
            user=agent, which="due"
        ).exists()  # the dealer's, still in time
    with network_wide(reason="test arrange"):
        CallBack.objects.filter(id=call_back.id).update(due_by=timezone.now() - timedelta(minutes=1))
    with as_user(agent):
        assert list(selectors.call_backs_for_user(user=agent, which="due")) == [call_back]
        done = services.call_back_record(call_back=call_back, by=agent, outcome="satisfied")
    assert done.recorded_by == agent
