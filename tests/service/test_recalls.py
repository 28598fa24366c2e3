"""Recalls: VIN lists read row by row (normalised; I/O/Q and wrong check digits refused with their reason;
duplicates and blanks counted; unmatched VINs kept at OEM level; a second upload adds nothing), rules,
completion from settled repair orders at any dealer (a second remedy flagged), declines, owner notices under
the service consent, and reach and completion per dealer and region."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from crm.core.exceptions import PermissionDenied
from crm.core.scope import network_wide
from crm.customers.models import CustomerDealer
from crm.messaging.models import OutboxMessage
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from crm.timeline.services import event_dispatch
from service import services as ro_services
from service.models import RecallCampaign, RecallRemedy, RecallUnmatchedVin, RecallUpload, RecallVehicle
from service.recalls import selectors, services
from service.recalls.exceptions import RecallCodeTaken, RecallRemedyMissing, RecallVehicleNotOpen
from tests.factories import (
    CustomerFactory,
    DealerFactory,
    RegionFactory,
    VehicleFactory,
    consent_give,
    make_vin,
    staff,
)
from tests.service.conftest import as_user

pytestmark = pytest.mark.django_db


def wrong_check_digit(vin: str) -> str:
    return vin[:8] + ("1" if vin[8] != "1" else "2") + vin[9:]


def csv_bytes(lines: list[str], encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join(lines).encode(encoding)


@pytest.fixture
def oem():
    return staff(Role.OEM_ADMIN)


@pytest.fixture
def campaign(oem):
    with as_user(oem):
        return services.recall_create(
            by=oem,
            code="r-2026-01",
            title="Brake hose may chafe",
            remedy_operation_codes=["rc2601", "RC2601B"],
        )


def test_a_campaign_needs_a_remedy_and_a_unique_code_and_only_the_oem_admin_creates_it(
    oem, campaign, workshop
):
    assert campaign.code == "R-2026-01" and campaign.remedy_operation_codes == ["RC2601", "RC2601B"]
    with as_user(oem):
        with pytest.raises(RecallRemedyMissing):
            services.recall_create(by=oem, code="R2", title="x", remedy_operation_codes=[" "])
        with pytest.raises(RecallCodeTaken):
            services.recall_create(by=oem, code="R-2026-01", title="x", remedy_operation_codes=["A"])
    with as_user(workshop["advisor"]), pytest.raises(PermissionDenied):
        services.recall_create(by=workshop["advisor"], code="R3", title="x", remedy_operation_codes=["A"])
    with network_wide(reason="test check"):
        assert RecallCampaign.objects.count() == 1


def test_a_vin_list_is_read_row_by_row():
    good = make_vin(serial=1)
    other = make_vin(serial=2)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in make_vin(serial=3))
    rows = [
        [good],
        [" " + other.lower()[:8] + " " + other.lower()[8:] + " "],  # lower case with spaces
        [full_width],
        [""],
        [good],  # duplicate
        ["LSVAB4BR0NAI00001"],  # an I
        [wrong_check_digit(make_vin(serial=4))],
        ["LSVAB4BR"],
    ]
    listed = services.vin_list_read(headers=["车架号"], rows=rows, row_numbers=[2, 3, 4, 5, 6, 7, 8, 10])
    assert list(listed.vins) == [good, other, make_vin(serial=3)]
    assert listed.rows == 9 and listed.duplicates == 1  # the skipped empty line is a row of the file
    assert listed.blanks == 2  # an empty cell, and the empty line 9 the reader skipped
    assert [(r["row"], r["reason"]) for r in listed.rejected] == [
        (7, "A VIN has 17 letters and digits, without I, O or Q."),
        (8, "The VIN’s check digit (9th character) does not match: check for a typing error."),
        (10, "A VIN has 17 letters and digits, without I, O or Q."),
    ]
    # A file without a header row: its first VIN is data.
    headless = services.vin_list_read(headers=[good], rows=[[other]], row_numbers=[2])
    assert list(headless.vins) == [good, other]


def test_an_upload_matches_vehicles_keeps_unmatched_vins_and_a_second_upload_adds_nothing(
    oem, campaign, workshop
):
    known = workshop["vehicle"]
    unknown = make_vin(serial=900_001)
    data = csv_bytes(
        ["VIN,备注", f"{known.vin.lower()},a", f"{unknown},b", ",", f"{known.vin},dup", "LSVAB4BR0NAO00001,x"]
    )
    with as_user(oem):
        first = services.recall_vins_upload(campaign=campaign, by=oem, data=data, filename="list.csv")
        again = services.recall_vins_upload(campaign=campaign, by=oem, data=data, filename="list.csv")
    assert (first.rows, first.added, first.already, first.unmatched) == (5, 1, 0, 1)
    assert (first.duplicates, first.blanks, first.rejected) == (1, 1, 1)
    assert first.rejected_rows == [
        {
            "row": 6,
            "value": "LSVAB4BR0NAO00001",
            "reason": "A VIN has 17 letters and digits, without I, O or Q.",
        }
    ]
    assert (again.added, again.already, again.unmatched) == (0, 1, 1)
    with network_wide(reason="test check"):
        assert RecallVehicle.objects.filter(campaign=campaign).count() == 1
        assert list(RecallUnmatchedVin.objects.values_list("vin", flat=True)) == [unknown]
        row = RecallVehicle.objects.get(campaign=campaign)
    assert row.dealer_id == workshop["dealer"].id  # the dealer that recorded the car answers for it
    # The unmatched car arrives in the system; the next upload matches it and it leaves the unmatched list.
    VehicleFactory(vin=unknown, owner=workshop["owner"])
    with as_user(oem):
        third = services.recall_vins_upload(campaign=campaign, by=oem, data=data, filename="list.csv")
    assert (third.added, third.already, third.unmatched) == (1, 1, 0)
    with network_wide(reason="test check"):
        assert not RecallUnmatchedVin.objects.exists()


def test_an_xlsx_list_and_an_unreadable_file(oem, campaign, workshop):
    from crm.core.spreadsheets import SpreadsheetError, write_xlsx

    data = write_xlsx(["VIN"], [[workshop["vehicle"].vin]], sheet_title="召回")
    with as_user(oem):
        upload = services.recall_vins_upload(campaign=campaign, by=oem, data=data, filename="list.xlsx")
        assert upload.added == 1
        with pytest.raises(SpreadsheetError):
            services.recall_vins_upload(
                campaign=campaign, by=oem, data=b"\xd0\xcf\x11\xe0junk", filename="old.xls"
            )
    with network_wide(reason="test check"):
        assert RecallUpload.objects.count() == 1


def test_a_rule_selects_by_model_years_and_vin_range(oem):
    inside = [VehicleFactory(model="A6", year=2022, vin=make_vin(serial=500 + n)) for n in range(3)]
    VehicleFactory(model="A6", year=2019, vin=make_vin(serial=502_000))  # too old
    VehicleFactory(model="S3", year=2022, vin=make_vin(serial=503))  # another model
    VehicleFactory(model="a6", year=2023, vin=make_vin(serial=900_000))  # beyond the VIN range
    with as_user(oem):
        campaign = services.recall_create(
            by=oem,
            code="R-RULE",
            title="Rule",
            remedy_operation_codes=["X1"],
            rule_models=["a6"],
            rule_year_from=2021,
            rule_year_to=2023,
            rule_vin_from=make_vin(serial=0),
            rule_vin_to=make_vin(serial=599_999),
        )
        assert services.recall_rule_apply(campaign=campaign, by=oem) == 3
        assert services.recall_rule_apply(campaign=campaign, by=oem) == 0
    with network_wide(reason="test check"):
        assert set(RecallVehicle.objects.values_list("vehicle_id", flat=True)) == {v.id for v in inside}


def settle(dealer, advisor, vehicle, operation_code: str):
    with as_user(advisor):
        repair_order = ro_services.repair_order_open(
            dealer=dealer, vehicle=vehicle, by=advisor, concern="Recall"
        )
        ro_services.labour_line_add(
            job=repair_order.jobs.get(), by=advisor, operation_code=operation_code, hours="0.8", rate="0"
        )
        repair_order = ro_services.repair_order_settle(repair_order=repair_order, by=advisor)
    with network_wide(reason="test check"):
        event = TimelineEvent.objects.filter(kind="service.repair_order_settled").latest("id")
    event_dispatch(event_id=event.id)
    return repair_order, event


def test_completion_comes_from_a_settled_remedy_at_any_dealer_and_a_second_one_is_flagged(
    oem, campaign, workshop
):
    vehicle = workshop["vehicle"]
    with as_user(oem):
        services.recall_vins_upload(
            campaign=campaign, by=oem, data=csv_bytes(["VIN", vehicle.vin]), filename="a.csv"
        )
    # An ordinary service first: nothing happens.
    settle(workshop["dealer"], workshop["advisor"], vehicle, "MNT-10K")
    with network_wide(reason="test check"):
        assert RecallVehicle.objects.get(campaign=campaign).status == RecallVehicle.Status.OPEN
    # The remedy at another dealer completes it.
    elsewhere = DealerFactory()
    elsewhere_advisor = staff(Role.SERVICE_ADVISOR, dealer=elsewhere)
    with network_wide(reason="test arrange"):
        CustomerDealer.objects.create(customer=workshop["owner"], dealer=elsewhere, reason="service")
    done, event = settle(elsewhere, elsewhere_advisor, vehicle, "rc2601")
    event_dispatch(event_id=event.id)  # handed over again: nothing more
    with network_wide(reason="test check"):
        row = RecallVehicle.objects.get(campaign=campaign)
        assert row.status == RecallVehicle.Status.COMPLETED and row.completed_by_dealer_id == elsewhere.id
        assert row.completed_repair_order_id == done.id and not row.has_repeat_remedy
        assert RecallRemedy.objects.count() == 1
    # A second remedy on the same car: recorded and flagged, the completion stays the first one.
    settle(workshop["dealer"], workshop["advisor"], vehicle, "RC2601B")
    with network_wide(reason="test check"):
        row = RecallVehicle.objects.get(campaign=campaign)
        assert row.has_repeat_remedy and row.completed_repair_order_id == done.id
        assert list(RecallRemedy.objects.order_by("id").values_list("is_repeat", flat=True)) == [False, True]


def test_a_customer_who_declines_is_recorded_and_a_later_remedy_still_completes(oem, campaign, workshop):
    vehicle = workshop["vehicle"]
    with as_user(oem):
        services.recall_vins_upload(
            campaign=campaign, by=oem, data=csv_bytes(["VIN", vehicle.vin]), filename="a.csv"
        )
    advisor = workshop["advisor"]
    with as_user(advisor):
        row = selectors.recall_vehicles(user=advisor, campaign=campaign).get()
        declined = services.recall_decline(recall_vehicle=row, by=advisor, note="Selling the car next month")
        with pytest.raises(RecallVehicleNotOpen):
            services.recall_decline(recall_vehicle=row, by=advisor, note="again")
    assert declined.status == RecallVehicle.Status.DECLINED and declined.declined_by == advisor
    regional = staff(Role.REGIONAL_MANAGER, region=workshop["dealer"].region)
    with as_user(regional), pytest.raises(PermissionDenied):
        services.recall_decline(recall_vehicle=row, by=regional, note="x")
    settle(workshop["dealer"], advisor, vehicle, "RC2601")
    with network_wide(reason="test check"):
        assert RecallVehicle.objects.get(id=row.id).status == RecallVehicle.Status.COMPLETED


def test_owners_are_notified_once_under_the_service_consent(oem, campaign, workshop):
    dealer = workshop["dealer"]
    reachable = workshop["vehicle"]
    opted = VehicleFactory(owner=CustomerFactory(dealer=dealer), recorded_by_dealer=dealer)
    consent_give(opted.owner, channel="sms", purpose="service", status="opt_out")
    silent = VehicleFactory(owner=CustomerFactory(dealer=dealer, phone=None), recorded_by_dealer=dealer)
    data = csv_bytes(["VIN", reachable.vin, opted.vin, silent.vin])
    with as_user(oem):
        services.recall_vins_upload(campaign=campaign, by=oem, data=data, filename="a.csv")
        counts = services.recall_notify(campaign=campaign, by=oem)
        again = services.recall_notify(campaign=campaign, by=oem)
    assert counts == {"queued": 1, "no_contact": 1, "opted_out": 1}
    assert again == {"queued": 0, "no_contact": 0, "opted_out": 0}
    with network_wide(reason="test check"):
        message = OutboxMessage.objects.get(kind="recall")
    assert message.purpose == "service" and message.customer_id == workshop["owner"].id
    assert reachable.vin in message.body_text and "R-2026-01" in message.body_text


def test_reach_and_completion_per_dealer_and_region_and_the_export(oem, campaign, workshop):
    east, north = workshop["dealer"].region, RegionFactory()
    far = DealerFactory(region=north, name="Far Motors")
    cars = [workshop["vehicle"]] + [
        VehicleFactory(
            owner=CustomerFactory(dealer=workshop["dealer"]), recorded_by_dealer=workshop["dealer"]
        )
        for _ in range(2)
    ]
    far_cars = [VehicleFactory(owner=CustomerFactory(dealer=far), selling_dealer=far) for _ in range(2)]
    with as_user(oem):
        services.recall_vins_upload(
            campaign=campaign,
            by=oem,
            data=csv_bytes(["VIN", *(c.vin for c in cars + far_cars)]),
            filename="a.csv",
        )
        services.recall_notify(campaign=campaign, by=oem)
    settle(workshop["dealer"], workshop["advisor"], cars[0], "RC2601")
    with as_user(oem):
        by_dealer = selectors.recall_report(user=oem, campaign=campaign, by="dealer")
        by_region = selectors.recall_report(user=oem, campaign=campaign, by="region")
    home = next(r for r in by_dealer if r["dealer"] == workshop["dealer"].name)
    assert (home["affected"], home["reached"], home["completed"], home["open"]) == (3, 3, 1, 2)
    assert home["completion"] == 33.3
    assert {r["region"]: r["affected"] for r in by_region} == {east.name: 3, north.name: 2}
    # A dealer sees only its own share.
    with as_user(workshop["advisor"]):
        own = selectors.recall_report(user=workshop["advisor"], campaign=campaign)
    assert [r["dealer"] for r in own] == [workshop["dealer"].name]
    client = Client()
    client.force_login(oem)
    response = client.get(
        reverse("service_recalls:export", args=[campaign.id]), {"by": "dealer", "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Region", "Dealer code", "Dealer"]
    assert rows[-1][0] == "Total" and rows[-1][3] == "5" and rows[-1][6] == "1"
    xlsx = client.get(
        reverse("service_recalls:export", args=[campaign.id]), {"by": "region", "format": "xlsx"}
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_a_workshop_sees_the_open_recall_of_a_car_it_can_see_whoever_answers_for_it(oem, campaign, workshop):
    vehicle = workshop["vehicle"]
    with as_user(oem):
        services.recall_vins_upload(
            campaign=campaign, by=oem, data=csv_bytes(["VIN", vehicle.vin]), filename="a.csv"
        )
    elsewhere = DealerFactory()
    elsewhere_advisor = staff(Role.SERVICE_ADVISOR, dealer=elsewhere)
    with as_user(elsewhere_advisor):
        assert not selectors.recalls_open_for_vehicle(user=elsewhere_advisor, vehicle_id=vehicle.id).exists()
    with network_wide(reason="test arrange"):
        CustomerDealer.objects.create(customer=workshop["owner"], dealer=elsewhere, reason="service")
    with as_user(elsewhere_advisor):
        rows = list(selectors.recalls_open_for_vehicle(user=elsewhere_advisor, vehicle_id=vehicle.id))
    assert [row.campaign.code for row in rows] == ["R-2026-01"]


def test_a_gb18030_list_saved_from_excel_reads_like_a_utf8_one(oem, campaign, workshop):
    data = csv_bytes(
        ["车架号,车主", f"{workshop['vehicle'].vin},王先生", "", "LSVAB4BR,张三"], encoding="gb18030"
    )
    with as_user(oem):
        upload = services.recall_vins_upload(campaign=campaign, by=oem, data=data, filename="召回.csv")
    assert (upload.rows, upload.added, upload.blanks, upload.rejected) == (3, 1, 1, 1)
    assert upload.rejected_rows[0]["row"] == 4
