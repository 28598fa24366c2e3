"""The maintenance pages and who may use them: the OEM admin edits schedules (a new version, never a rewrite
of one in force), every service reader reads them, advisors cannot edit them; a dealer's due list shows only
the cars that dealer looks after; the dealer admin sets the lead times; the workshop records insurance."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from crm.core.scope import network_wide
from crm.network.models import Role, StaffProfile
from service.maintenance.services import maintenance_recompute
from service.models import MaintenanceSchedule, MaintenanceSetting
from tests.factories import BrandModelFactory, CustomerFactory, DealerFactory, VehicleFactory, staff
from tests.service.maintenance_world import a6_schedule, delivered_car, read, state

pytestmark = pytest.mark.django_db

SCHEDULE = {
    "effective_from": "2026-01-01",
    "first_km": "5000",
    "first_months": "6",
    "interval_km": "10000",
    "interval_months": "12",
    "operation_codes": "MNT-*, PM-10K",
    "note": "Launch schedule",
}


def _versions():
    with network_wide(reason="test assert"):
        return sorted(
            MaintenanceSchedule.objects.values_list("brand_model__code", "effective_from", "interval_km", "operation_codes")
        )


def test_the_oem_admin_creates_a_schedule_and_adds_versions(client):
    model = BrandModelFactory(code="EV7", name="EV7")
    client.force_login(staff(Role.OEM_ADMIN))
    response = client.post(reverse("service_maintenance:schedule_new"), {**SCHEDULE, "brand_model": model.id})
    assert response.status_code == 302
    assert _versions() == [("EV7", date(2026, 1, 1), 10000, ["MNT-*", "PM-10K"])]

    with network_wide(reason="test arrange"):
        first = MaintenanceSchedule.objects.get()
    edit = reverse("service_maintenance:schedule_edit", args=[first.id])
    same_day = client.post(edit, {**SCHEDULE, "interval_km": "7500"})
    assert same_day.status_code == 200 and "already took effect" in same_day.content.decode()
    assert _versions() == [("EV7", date(2026, 1, 1), 10000, ["MNT-*", "PM-10K"])]

    later = client.post(edit, {**SCHEDULE, "effective_from": "2026-09-01", "interval_km": "7500"})
    assert later.status_code == 302
    assert [v[1:3] for v in _versions()] == [(date(2026, 1, 1), 10000), (date(2026, 9, 1), 7500)]
    page = client.get(reverse("service_maintenance:schedules")).content.decode()
    assert "EV7" in page and "Launch schedule" in page


def test_a_schedule_form_with_bad_values_says_why_and_saves_nothing(client):
    model = BrandModelFactory(code="EV7", name="EV7")
    client.force_login(staff(Role.OEM_ADMIN))
    response = client.post(
        reverse("service_maintenance:schedule_new"), {**SCHEDULE, "brand_model": model.id, "first_km": "0", "operation_codes": " , "}
    )
    assert response.status_code == 200 and 'invalid-feedback' in response.content.decode()
    assert _versions() == []


@pytest.mark.parametrize("role", [Role.SERVICE_ADVISOR, Role.DEALER_ADMIN, Role.REGIONAL_MANAGER, Role.CALL_CENTRE_AGENT])
def test_only_the_oem_admin_edits_schedules(client, role):
    schedule = a6_schedule()
    dealer = DealerFactory()
    user = staff(role, dealer=dealer) if role in (Role.SERVICE_ADVISOR, Role.DEALER_ADMIN) else (
        staff(role, region=dealer.region) if role == Role.REGIONAL_MANAGER else staff(role)
    )
    client.force_login(user)
    before = _versions()
    assert client.get(reverse("service_maintenance:schedules")).status_code == 200  # they read them
    assert client.get(reverse("service_maintenance:schedule_new")).status_code == 404
    edit = reverse("service_maintenance:schedule_edit", args=[schedule.id])
    assert client.post(edit, {**SCHEDULE, "effective_from": "2030-01-01"}).status_code == 404
    assert client.post(reverse("service_maintenance:schedule_new"), {**SCHEDULE, "brand_model": schedule.brand_model_id}).status_code == 404
    assert _versions() == before


def test_the_due_list_shows_the_dealers_own_cars_overdue_first(workshop, client, django_assert_max_num_queries):
    a6_schedule()
    today = date.today()
    overdue = delivered_car(workshop, on=today - timedelta(days=200), plate="沪A0VERD")
    soon = delivered_car(workshop, on=today - timedelta(days=170), plate="沪ASOON1")
    later = delivered_car(workshop, on=today - timedelta(days=10), plate="沪ALATER")
    for car in (overdue, soon, later):
        read(workshop, car, 1000, today - timedelta(days=5))
    elsewhere = DealerFactory(name="Elsewhere Motors")
    foreign_owner = CustomerFactory(dealer=elsewhere, name="Foreign Owner")
    foreign = VehicleFactory(owner=foreign_owner, selling_dealer=elsewhere, purchase_date=today - timedelta(days=200), plate="京B0VERD")
    with network_wide(reason="test arrange"):
        maintenance_recompute(vehicle_ids=[foreign.id])
    assert state(foreign).due_on < today

    client.force_login(workshop["advisor"])
    with django_assert_max_num_queries(14):  # the same with 3 rows or 200: one query for the rows, one for phones
        page = client.get(reverse("service_maintenance:due")).content.decode()
    assert page.index("沪A0VERD") < page.index("沪ASOON1")
    assert "沪ALATER" not in page and "京B0VERD" not in page and "Foreign Owner" not in page
    assert "table-danger" in page and "tel:" in page


def test_the_dealer_admin_sets_lead_times_and_an_advisor_cannot(workshop, client):
    admin = staff(Role.DEALER_ADMIN, dealer=workshop["dealer"])
    url = reverse("service_maintenance:settings")
    days = {"reminder_days": "10", "inspection_days": "20", "warranty_days": "30", "insurance_days": "40"}
    client.force_login(workshop["advisor"])
    assert client.post(url, days).status_code == 404
    client.force_login(admin)
    assert client.post(url, {**days, "reminder_days": "365"}).status_code == 200  # refused beside the field
    assert client.post(url, days).status_code == 302
    with network_wide(reason="test assert"):
        setting = MaintenanceSetting.objects.get(dealer=workshop["dealer"])
    assert (setting.reminder_days, setting.insurance_days) == (10, 40)


def test_the_workshop_records_the_insurance_date_on_the_vehicle_page(workshop, client):
    a6_schedule()
    car = delivered_car(workshop, on=date(2025, 3, 1))
    url = reverse("service_maintenance:vehicle_insurance", args=[car.id])
    client.force_login(workshop["seller"])
    assert client.post(url, {"insurance_expires_on": "2026-09-30", "version": car.version}).status_code == 404
    client.force_login(workshop["advisor"])
    assert client.post(url, {"insurance_expires_on": "not a date", "version": car.version}).status_code == 302
    with network_wide(reason="test assert"):
        car.refresh_from_db()
    assert car.insurance_expires_on is None
    assert client.post(url, {"insurance_expires_on": "2026-09-30", "version": car.version}).status_code == 302
    with network_wide(reason="test assert"):
        car.refresh_from_db()
    assert car.insurance_expires_on == date(2026, 9, 30) and state(car).insurance_expires_on == date(2026, 9, 30)
    page = client.get(reverse("service:vehicle", args=[car.id])).content.decode()
    assert 'value="2026-09-30"' in page and 'data-maintenance="overdue"' in page


def test_check_in_shows_the_next_service_in_chinese_too(workshop, client):
    a6_schedule()
    car = delivered_car(workshop, on=date.today() - timedelta(days=100), plate="沪A66666")
    read(workshop, car, 1000, date.today() - timedelta(days=1))
    client.force_login(workshop["advisor"])
    page = client.get(reverse("service:workshop"), {"q": "沪A66666"}).content.decode()
    assert 'id="maintenance-due"' in page and "5,000 km" in page
    with network_wide(reason="test arrange"):
        StaffProfile.objects.update_or_create(user=workshop["advisor"], defaults={"language": "zh-hans"})
    page = client.get(reverse("service:workshop"), {"q": "沪A66666"}).content.decode()
    assert "下次保养" in page
