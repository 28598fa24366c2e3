"""DMS imports: GBK/GB18030 and UTF-8 (with or without BOM) files, "￥1,280.00" amounts, mixed date formats,
duplicated lines, revisions re-exported later, voided orders, VINs in lower case, with spaces, full width or
invalid (quarantined with the reason), every row reported, and the same file twice changing nothing."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.core.scope import network_wide
from crm.core.spreadsheets import read_table
from service.dms import AmbiguousDate, parse_amount, parse_datetime
from service.imports import services
from service.models import DmsImportRow, LabourLine, OdometerReading, RepairOrder, RepairOrderSummary
from tests.factories import VehicleFactory
from tests.service.conftest import as_user

pytestmark = pytest.mark.django_db

HEADER = "工单号,行号,车架号,车牌号,客户名称,联系电话,进厂时间,结算时间,修改时间,工单状态,进厂里程,服务顾问,项目类型,代码,名称,数量,单价,金额,维修技师,付费方式"


def csv_file(vin, *rows, encoding="gb18030"):
    lines = [HEADER]
    for row in rows:
        lines.append(row.replace("{vin}", vin))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


BASE = [
    "R-1001,1,{vin},沪A00001,王先生,13800138000,2026/11/3 9:05,2026-11-03 16:30,2026-11-03 16:31,已结算,\"15,230\",张顾问,工时,MNT-10K,10000公里保养,1.5,180,270.00,李师傅,自费",
    "R-1001,2,{vin},沪A00001,王先生,13800138000,2026/11/3 9:05,2026-11-03 16:30,2026-11-03 16:31,已结算,\"15,230\",张顾问,配件,OIL-5W30,机油,4.5,68.80,\"￥309.60\",,自费",
    "R-1001,2,{vin},沪A00001,王先生,13800138000,2026/11/3 9:05,2026-11-03 16:30,2026-11-03 16:31,已结算,\"15,230\",张顾问,配件,OIL-5W30,机油,4.5,68.80,\"￥309.60\",,自费",
    "R-1001,3,{vin},沪A00001,王先生,13800138000,2026/11/3 9:05,2026-11-03 16:30,2026-11-03 16:31,已结算,\"15,230\",张顾问,优惠,,会员优惠,,,-50,,自费",
]


def run(workshop, data, name="export.csv"):
    table = read_table(data, filename=name)
    with as_user(workshop["advisor"]):
        return services.dms_import_run(dealer=workshop["dealer"], by=workshop["advisor"], table=table, file_name=name)


def outcomes(dms_import):
    with network_wide(reason="test check"):
        return list(DmsImportRow.objects.filter(dms_import=dms_import).order_by("row_number").values_list("row_number", "outcome"))


def test_a_gb18030_export_is_imported_with_exact_amounts_and_every_row_reported(workshop):
    vin = workshop["vehicle"].vin
    result = run(workshop, csv_file(vin.lower(), *BASE))
    assert outcomes(result) == [(2, "created"), (3, "created"), (4, "duplicate"), (5, "created")]
    with network_wide(reason="test check"):
        order = RepairOrder.objects.get(number="R-1001")
        assert order.source == "dms" and order.status == "settled" and order.mileage_in == 15_230
        assert (order.labour_total, order.parts_total, order.discount_total) == (Decimal("270.00"), Decimal("309.60"), Decimal("50.00"))
        assert order.total == Decimal("598.45")  # 529.60 + 13 % tax (68.848 → 68.85)
        assert order.advisor_name == "张顾问" and LabourLine.objects.get().technician_name == "李师傅"
        assert OdometerReading.objects.get(repair_order=order).source == "import"
        assert RepairOrderSummary.objects.filter(repair_order=order).exists()


def test_the_same_file_twice_changes_nothing(workshop):
    data = csv_file(workshop["vehicle"].vin, *BASE)
    run(workshop, data)
    with network_wide(reason="test check"):
        before = list(RepairOrder.objects.values_list("id", "version", "total", "updated_at"))
    again = run(workshop, data)
    assert {outcome for _row, outcome in outcomes(again)} == {"unchanged", "duplicate"}
    with network_wide(reason="test check"):
        assert list(RepairOrder.objects.values_list("id", "version", "total", "updated_at")) == before
        assert OdometerReading.objects.count() == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_utf8_with_or_without_bom_and_gbk_read_the_same(workshop, encoding):
    result = run(workshop, csv_file(workshop["vehicle"].vin, *BASE, encoding=encoding))
    assert result.counts == {"created": 3, "duplicate": 1}


def test_a_revision_exported_later_replaces_the_older_version_and_an_older_one_is_ignored(workshop):
    vin = workshop["vehicle"].vin
    run(workshop, csv_file(vin, *BASE))
    revised = [row.replace("2026-11-03 16:31", "2026-11-04 10:00") for row in BASE[:2]]
    revised[1] = revised[1].replace("4.5,68.80,\"￥309.60\"", "5,68.80,\"￥344.00\"")
    result = run(workshop, csv_file(vin, *revised))
    assert result.counts == {"revised": 2}
    with network_wide(reason="test check"):
        order = RepairOrder.objects.get(number="R-1001")
        assert order.parts_total == Decimal("344.00") and order.discount_total == 0
        assert OdometerReading.objects.filter(repair_order=order).count() == 1
    stale = run(workshop, csv_file(vin, *BASE))
    assert {outcome for _row, outcome in outcomes(stale)} == {"superseded", "duplicate"}
    with network_wide(reason="test check"):
        assert RepairOrder.objects.get(number="R-1001").parts_total == Decimal("344.00")


def test_within_one_file_the_newest_version_of_an_order_wins(workshop):
    vin = workshop["vehicle"].vin
    newer = BASE[0].replace("2026-11-03 16:31", "2026-11-05 08:00").replace("1.5,180,270.00", "2,180,360.00")
    result = run(workshop, csv_file(vin, BASE[0], newer))
    assert outcomes(result) == [(2, "superseded"), (3, "created")]
    with network_wide(reason="test check"):
        assert RepairOrder.objects.get().labour_total == Decimal("360.00")


def test_a_voided_order_is_kept_but_left_out_of_history(workshop):
    vin = workshop["vehicle"].vin
    run(workshop, csv_file(vin, *BASE))
    voided = BASE[0].replace("2026-11-03 16:31", "2026-11-06 09:00").replace("已结算", "已作废")
    result = run(workshop, csv_file(vin, voided))
    assert result.counts == {"voided": 1}
    with network_wide(reason="test check"):
        order = RepairOrder.objects.get()
        assert order.status == "voided" and order.void_reason
        assert not RepairOrderSummary.objects.exists()
    from service import selectors

    with as_user(workshop["advisor"]):
        assert selectors.vehicle_history(user=workshop["advisor"], vehicle=workshop["vehicle"]) == []


@pytest.mark.parametrize(
    "typed",
    ["{lower}", "{spaced}", "{wide}"],
    ids=["lower case", "spaces", "full width"],
)
def test_vins_in_lower_case_with_spaces_or_full_width_are_recognised(workshop, typed):
    vin = workshop["vehicle"].vin
    text = typed.format(
        lower=vin.lower(), spaced=f"{vin[:3]} {vin[3:9]} {vin[9:]}", wide="".join(chr(ord(c) + 0xFEE0) for c in vin)
    )
    result = run(workshop, csv_file(text, BASE[0]))
    assert result.counts == {"created": 1}


def test_a_bad_vin_is_quarantined_with_its_reason_and_nothing_is_written(workshop):
    result = run(workshop, csv_file("LSVAB1234O5678901", BASE[0], BASE[1]))
    assert result.counts == {"quarantined": 2}
    with network_wide(reason="test check"):
        row = DmsImportRow.objects.filter(dms_import=result).first()
        assert "LSVAB1234O5678901" in row.message and "I, O or Q" in row.message
        assert row.values["车架号"] == "LSVAB1234O5678901"
        assert not RepairOrder.objects.exists()


def test_a_bad_row_rejects_its_whole_order_and_says_why(workshop):
    bad = BASE[1].replace("\"￥309.60\"", "\"￥300.00\"")
    result = run(workshop, csv_file(workshop["vehicle"].vin, BASE[0], bad))
    rows = outcomes(result)
    assert rows == [(2, "rejected"), (3, "rejected")]
    with network_wide(reason="test check"):
        messages = list(DmsImportRow.objects.filter(dms_import=result).order_by("row_number").values_list("message", flat=True))
        assert "fix rows 3" in messages[0] and "309.60" in messages[1]
        assert not RepairOrder.objects.exists()


def test_an_unknown_vehicle_is_recorded_with_its_owner_found_by_phone(workshop):
    other = VehicleFactory.build().vin
    result = run(workshop, csv_file(other, BASE[0]))
    assert result.counts == {"created": 1}
    with network_wide(reason="test check"):
        order = RepairOrder.objects.get()
        assert order.vehicle.vin == other and order.customer.name == "王先生"


def test_a_workshop_order_with_the_same_number_is_not_overwritten(workshop):
    with as_user(workshop["advisor"]):
        from service import services as workshop_services

        workshop_services.repair_order_open(
            dealer=workshop["dealer"], vehicle=workshop["vehicle"], by=workshop["advisor"], number="R-1001"
        )
    result = run(workshop, csv_file(workshop["vehicle"].vin, BASE[0]))
    assert result.counts == {"quarantined": 1}


def test_amounts_and_dates_as_dms_exports_write_them():
    assert parse_amount("￥1,280.00") == Decimal("1280.00")
    assert parse_amount("¥1280元") == Decimal("1280")
    assert parse_amount("RMB 1,280.5") == Decimal("1280.5")
    assert parse_amount("(50)") == Decimal("-50")
    assert parse_amount("") is None
    with pytest.raises(ValueError):
        parse_amount("abc")
    same_day = {parse_datetime(text).date().isoformat() for text in (
        "2026-11-03", "2026/11/3 09:05", "2026.11.03", "20261103", "2026年11月3日 9时5分", "2026-11-03T09:05:00",
        "13/11/2026",
    )} - {"2026-11-13"}
    assert same_day == {"2026-11-03"}
    with pytest.raises(AmbiguousDate):
        parse_datetime("03/11/2026")


def test_the_upload_page_imports_a_file_and_shows_every_row(client, workshop):
    client.force_login(workshop["advisor"])
    upload = SimpleUploadedFile("ro-export.csv", csv_file(workshop["vehicle"].vin, *BASE))
    response = client.post(reverse("service_imports:upload"), {"file": upload})
    assert response.status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200 and len(page.context["rows"]) == 4
    assert "R-1001" in page.content.decode()


def test_an_unreadable_or_columnless_file_is_refused_beside_the_field(client, workshop):
    client.force_login(workshop["advisor"])
    for name, data in (("x.xls", b"\xd0\xcf\x11\xe0junk"), ("x.csv", "名称,金额\r\na,1\r\n".encode())):
        response = client.post(reverse("service_imports:upload"), {"file": SimpleUploadedFile(name, data)})
        assert response.status_code == 422 and response.context["form"].errors["file"]
    with network_wide(reason="test check"):
        assert not RepairOrder.objects.exists()


def test_a_salesperson_cannot_import(client, workshop):
    client.force_login(workshop["seller"])
    upload = SimpleUploadedFile("ro-export.csv", csv_file(workshop["vehicle"].vin, *BASE))
    assert client.post(reverse("service_imports:upload"), {"file": upload}).status_code == 404
    with network_wide(reason="test check"):
        assert not RepairOrder.objects.exists()
