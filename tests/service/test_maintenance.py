"""A vehicle's next service: whichever comes first of distance (projected from its average daily distance)
and time, counted from its last qualifying service or from delivery, recomputed when an order or a reading
changes (back-dated, imported, revised, voided) and never on read; the nightly pass agrees with it."""

from datetime import date

import pytest

from crm.core.scope import network_wide
from crm.core.spreadsheets import read_table
from crm.customers.models import Vehicle
from service.imports.services import dms_import_run
from service.maintenance.services import maintenance_recompute, maintenance_recompute_all
from service.models import VehicleMaintenance
from tests.factories import VehicleFactory
from tests.service.conftest import as_user
from tests.service.maintenance_world import a6_schedule, delivered_car, read, serviced, state

pytestmark = pytest.mark.django_db


def test_distance_decides_when_the_car_runs_far_at_its_pace(workshop):
    a6_schedule()
    car = delivered_car(workshop, on=date(2026, 1, 1))
    read(workshop, car, 100, date(2026, 1, 10))
    read(workshop, car, 3100, date(2026, 3, 11))  # 3,000 km in 60 days: 50 km a day

    row = state(car)
    assert (row.rule, row.basis_on, row.basis_km, row.due_km) == ("first", date(2026, 1, 1), 0, 5000)
    assert row.km_per_day == 50 and row.pace == VehicleMaintenance.Pace.READINGS
    assert row.due_by_time_on == date(2026, 7, 1)
    assert row.due_by_km_on == date(2026, 4, 18)  # 1,900 km left at 50 km a day: 38 days after 11 March
    assert (row.due_on, row.decided_by) == (date(2026, 4, 18), "km")


def test_time_decides_when_the_car_stays_at_home(workshop):
    a6_schedule()
    car = delivered_car(workshop, on=date(2026, 1, 1))
    read(workshop, car, 100, date(2026, 1, 10))
    read(workshop, car, 700, date(2026, 3, 11))  # 10 km a day: 5,000 km only next year

    row = state(car)
    assert row.due_by_km_on == date(2027, 5, 15)
    assert (row.due_on, row.decided_by) == (date(2026, 7, 1), "time")


@pytest.mark.parametrize(
    "readings",
    [[(2000, date(2026, 2, 1))], [(100, date(2026, 2, 1)), (2000, date(2026, 2, 20))]],
    ids=["one reading", "readings 19 days apart"],
)
def test_too_few_readings_fall_back_to_time(workshop, readings):
    a6_schedule()
    car = delivered_car(workshop, on=date(2026, 1, 1))
    for km, day in readings:
        read(workshop, car, km, day)

    row = state(car)
    assert row.km_per_day is None and row.pace == VehicleMaintenance.Pace.TIME_ONLY
    assert (row.due_on, row.decided_by, row.due_by_km_on) == (date(2026, 7, 1), "time", None)


def test_a_lower_reading_is_suspect_and_moves_nothing(workshop):
    a6_schedule()
    car = delivered_car(workshop, on=date(2026, 1, 1))
    read(workshop, car, 100, date(2026, 1, 10))
    read(workshop, car, 3100, date(2026, 3, 11))
    before = state(car)
    suspect = read(workshop, car, 500, date(2026, 3, 20))  # a typo, or a cluster swapped without telling

    assert suspect.is_suspect
    after = state(car)
    assert (after.current_km, after.km_per_day, after.due_on) == (3100, before.km_per_day, before.due_on)


def test_a_settled_maintenance_starts_the_next_cycle_and_other_work_does_not(workshop):
    a6_schedule()
    car = delivered_car(workshop, on=date(2025, 1, 1))
    serviced(workshop, car, day=date(2025, 6, 20), km=4800, code="MNT-5K")
    serviced(workshop, car, day=date(2025, 9, 1), km=7000, code="BRK-PAD")  # brakes: not maintenance

    row = state(car)
    assert (row.rule, row.last_service_on, row.basis_km) == ("interval", date(2025, 6, 20), 4800)
    assert (row.due_km, row.due_by_time_on) == (14800, date(2026, 6, 20))


def test_a_back_dated_order_does_not_become_the_last_service(workshop):
    a6_schedule()
    car = delivered_car(workshop, on=date(2025, 1, 1))
    latest = serviced(workshop, car, day=date(2026, 5, 1), km=16000)
    serviced(workshop, car, day=date(2026, 3, 1), km=12000, number="PAPER-1")  # typed in late from paper

    row = state(car)
    assert (row.last_service_id, row.last_service_on, row.basis_km) == (latest.id, date(2026, 5, 1), 16000)
    assert (row.due_km, row.due_by_time_on) == (26000, date(2027, 5, 1))


def _dms_file(vin: str, *, number: str, day: str, modified: str, status: str = "已结算", km: int = 20000) -> bytes:
    header = "工单号,行号,车架号,进厂时间,结算时间,修改时间,工单状态,进厂里程,项目类型,代码,名称,数量,单价,金额"
    row = f"{number},1,{vin},{day} 09:00,{day} 15:00,{modified},{status},{km},工时,MNT-20K,20000公里保养,1,180,180"
    return ("\r\n".join([header, row]) + "\r\n").encode("gb18030")


def _import(workshop, data: bytes):
    with as_user(workshop["advisor"]):
        return dms_import_run(
            dealer=workshop["dealer"], by=workshop["advisor"], table=read_table(data, filename="dms.csv")
        )


def test_an_imported_order_counts_by_its_date_and_its_revisions_and_void_move_the_cycle(workshop):
    a6_schedule()
    car = delivered_car(workshop, on=date(2025, 1, 1))
    workshop_service = serviced(workshop, car, day=date(2026, 5, 1), km=16000)

    _import(workshop, _dms_file(car.vin, number="DMS-1", day="2026-02-01", modified="2026-02-01 16:00", km=11000))
    assert state(car).last_service_id == workshop_service.id  # older than the workshop's: not the last

    # Re-exported with a corrected date after the workshop's visit: now it is the last service.
    _import(workshop, _dms_file(car.vin, number="DMS-1", day="2026-06-10", modified="2026-06-11 10:00", km=18000))
    row = state(car)
    assert (row.last_service_on, row.basis_km, row.due_km) == (date(2026, 6, 10), 18000, 28000)

    # Then voided in the DMS: kept, out of history, and the cycle counts from the workshop's service again.
    _import(workshop, _dms_file(car.vin, number="DMS-1", day="2026-06-10", modified="2026-06-12 10:00", status="作废", km=18000))
    row = state(car)
    assert (row.last_service_id, row.last_service_on, row.due_km) == (workshop_service.id, date(2026, 5, 1), 26000)


def test_an_unsettled_or_voided_workshop_order_is_no_service(workshop):
    from service import services

    a6_schedule()
    car = delivered_car(workshop, on=date(2026, 1, 1))
    order = serviced(workshop, car, day=date(2026, 5, 1), km=4500, settle=False)
    assert state(car).rule == "first"
    with as_user(workshop["advisor"]):
        services.repair_order_void(repair_order=order, by=workshop["advisor"], reason="客户取消")
    row = state(car)
    assert (row.rule, row.last_service_id, row.due_km) == ("first", None, 5000)


def test_a_new_schedule_version_applies_to_cycles_that_start_after_it(workshop):
    a6_schedule()
    a6_schedule(effective_from=date(2026, 1, 1), interval_km=7500, interval_months=6)
    old_cycle = delivered_car(workshop, on=date(2024, 1, 1))
    new_cycle = delivered_car(workshop, on=date(2024, 1, 1))
    serviced(workshop, old_cycle, day=date(2025, 11, 1), km=20000)
    serviced(workshop, new_cycle, day=date(2026, 2, 1), km=20000)

    assert (state(old_cycle).due_km, state(old_cycle).due_by_time_on) == (30000, date(2026, 11, 1))
    assert (state(new_cycle).due_km, state(new_cycle).due_by_time_on) == (27500, date(2026, 8, 1))


def test_warranty_ends_at_two_years_or_fifty_thousand_km_whichever_first(workshop):
    a6_schedule()
    commuter = delivered_car(workshop, on=date(2025, 1, 1))
    read(workshop, commuter, 1000, date(2025, 1, 11))
    read(workshop, commuter, 11000, date(2025, 3, 12))  # 10,000 km in 60 days: 50,000 km by late 2025
    weekend = delivered_car(workshop, on=date(2025, 1, 1))

    assert (state(commuter).warranty_ends_on, state(commuter).warranty_decided_by) == (date(2025, 11, 1), "km")
    with as_user(workshop["advisor"]):
        maintenance_recompute(vehicle_ids=[weekend.id])
    assert (state(weekend).warranty_ends_on, state(weekend).warranty_decided_by) == (date(2027, 1, 1), "time")


def test_reading_the_vehicle_page_computes_nothing(workshop, client):
    a6_schedule()
    car = delivered_car(workshop, on=date(2026, 1, 1))
    read(workshop, car, 2000, date(2026, 2, 1))
    computed_at = state(car).computed_at
    client.force_login(workshop["advisor"])
    response = client.get(f"/service/vehicles/{car.id}/")
    assert response.status_code == 200 and b'id="maintenance-due"' in response.content
    assert state(car).computed_at == computed_at


def test_recomputing_every_vehicle_equals_the_per_vehicle_results(workshop):
    a6_schedule()
    cars = [
        delivered_car(workshop, on=date(2025, 1, 1)),
        delivered_car(workshop, on=date(2025, 6, 1)),
        delivered_car(workshop, on=date(2024, 2, 1)),
        VehicleFactory(owner=workshop["owner"], model="Unknown X", purchase_date=date(2025, 1, 1)),
        VehicleFactory(owner=workshop["owner"], purchase_date=None),
    ]
    read(workshop, cars[0], 500, date(2025, 1, 20))
    read(workshop, cars[0], 6500, date(2025, 4, 1))
    serviced(workshop, cars[1], day=date(2025, 12, 1), km=5200)
    read(workshop, cars[1], 9000, date(2026, 2, 15))
    serviced(workshop, cars[2], day=date(2025, 3, 1), km=25000)
    with network_wide(reason="test arrange"):
        maintenance_recompute(vehicle_ids=Vehicle.objects.values_list("id", flat=True))
        fields = [f.attname for f in VehicleMaintenance._meta.concrete_fields if f.name != "computed_at"]
        per_vehicle = sorted(VehicleMaintenance.objects.values_list(*fields))
        VehicleMaintenance.objects.all().delete()

    assert maintenance_recompute_all(batch=2) == len(per_vehicle)
    with network_wide(reason="test assert"):
        assert sorted(VehicleMaintenance.objects.values_list(*fields)) == per_vehicle
    assert maintenance_recompute_all(batch=2) == 0  # nothing changed: nothing written
    rules = {row[fields.index("rule")] for row in per_vehicle}
    assert rules == {"first", "interval", "none", "no_delivery"}


def test_the_database_runs_the_statement_this_code_describes():
    """The recompute function (latest in migration 0032) is a frozen copy of service.maintenance.recompute's statement: a
    change to one without a migration re-creating the other fails here."""
    import importlib

    from service.maintenance.services.recompute import FUNCTION_SQL

    migration = importlib.import_module("service.migrations.0032_maintenance_recompute_once_per_vehicle")
    assert migration.FUNCTION_SQL == FUNCTION_SQL
