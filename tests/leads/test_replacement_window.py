"""Replacement window: a repair order opened on an old or far-driven vehicle gives the dealer's sales team a
"service" lead (leads subscribes to service's timeline event; service never imports leads); a young car gets
none, a customer with an open lead gets it touched, and a redelivered event changes nothing."""

from datetime import date

import pytest

from crm.core.scope import network_wide
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from crm.timeline.services import event_dispatch
from leads.models import Lead, LeadType
from service import services as service_services
from tests.factories import CustomerFactory, DealerFactory, VehicleFactory, staff, web_lead
from tests.service.conftest import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop(settings):
    settings.LEADS_REPLACEMENT_AGE_YEARS = 5
    settings.LEADS_REPLACEMENT_KM = 100_000
    dealer = DealerFactory()
    owner = CustomerFactory(dealer=dealer, name="老车主")
    return {"dealer": dealer, "owner": owner, "advisor": staff(Role.SERVICE_ADVISOR, dealer=dealer)}


def open_order(workshop, vehicle, mileage_in=None):
    advisor = workshop["advisor"]
    with as_user(advisor):
        repair_order = service_services.repair_order_open(
            dealer=workshop["dealer"], vehicle=vehicle, by=advisor, mileage_in=mileage_in
        )
    with network_wide(reason="test check"):
        event = TimelineEvent.objects.filter(kind="service.repair_order_opened").latest("id")
    assert event.data["repair_order"] == repair_order.id
    event_dispatch(event_id=event.id)
    return event


def service_leads(workshop):
    with network_wide(reason="test check"):
        return list(Lead.objects.filter(dealer=workshop["dealer"], type=LeadType.SERVICE))


def test_an_old_car_in_the_workshop_gives_the_sales_team_a_service_lead_once(workshop):
    car = VehicleFactory(
        owner=workshop["owner"], purchase_date=date(2018, 5, 1), recorded_by_dealer=workshop["dealer"]
    )
    event = open_order(workshop, car, mileage_in=60_000)
    event_dispatch(event_id=event.id)
    leads = service_leads(workshop)
    assert len(leads) == 1 and leads[0].customer_id == workshop["owner"].id and leads[0].owner is None


def test_a_far_driven_young_car_counts_and_a_young_car_does_not(workshop):
    young = VehicleFactory(
        owner=workshop["owner"], purchase_date=date.today(), recorded_by_dealer=workshop["dealer"]
    )
    open_order(workshop, young, mileage_in=20_000)
    assert service_leads(workshop) == []
    open_order(workshop, young, mileage_in=130_000)
    assert len(service_leads(workshop)) == 1


def test_a_model_year_stands_in_for_an_unknown_purchase_date(workshop):
    car = VehicleFactory(
        owner=workshop["owner"], year=2015, purchase_date=None, recorded_by_dealer=workshop["dealer"]
    )
    open_order(workshop, car)
    assert len(service_leads(workshop)) == 1


def test_a_customer_with_an_open_lead_gets_it_touched_not_a_second_one(workshop):
    with network_wide(reason="test arrange"):
        phone = workshop["owner"].contact_points.get().value
    existing = web_lead(workshop["dealer"], phone=phone, name=workshop["owner"].name)
    car = VehicleFactory(
        owner=workshop["owner"], purchase_date=date(2017, 1, 1), recorded_by_dealer=workshop["dealer"]
    )
    open_order(workshop, car)
    with network_wide(reason="test check"):
        assert list(Lead.objects.filter(dealer=workshop["dealer"])) == [existing]
        assert TimelineEvent.objects.filter(kind="lead.touched", customer=workshop["owner"]).exists()
