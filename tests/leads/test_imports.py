"""Imports of bought or event lists: GB18030 CSV and XLSX, every row validated first, all or nothing."""

from io import BytesIO
from unittest import mock

import openpyxl
import pytest

from crm.core.exceptions import ApplicationError, PermissionDenied
from crm.core.scope import network_wide, scoped
from crm.core.spreadsheets import read_table, suggest_mapping
from crm.network.access import access_for
from crm.network.models import Role
from leads.exceptions import UploadExpired
from leads.imports import services as imports
from leads.imports.forms import DEFAULT_LEAD_FIELDS
from leads.models import Lead
from leads.services import lead_source_create
from tests.factories import DealerFactory, staff

pytestmark = pytest.mark.django_db

CSV = "姓名,手机号码,邮箱,意向车型,级别\n张三,13912345678,zs@example.com,S7,H\n李四,12,bad-mail,S7,Z\n王五,13812345678,,S5,\n"


@pytest.fixture
def shop():
    dealer = DealerFactory()
    with network_wide(reason="test arrange"):
        source, _key = lead_source_create(
            code=f"expo-{dealer.code}", name="Expo", channel="event", dealer=dealer
        )
    return {"dealer": dealer, "source": source, "manager": staff(Role.SALES_MANAGER, dealer=dealer)}


def checked(data: bytes, filename: str):
    table = read_table(data, filename=filename)
    return table, imports.rows_validate(
        table=table, mapping=suggest_mapping(table.headers, DEFAULT_LEAD_FIELDS)
    )


def lead_count():
    with network_wide(reason="test check"):
        return Lead.objects.count()


def test_gb18030_csv_rows_are_checked_one_by_one():
    table, rows = checked(CSV.encode("gb18030"), "expo.csv")
    assert "gb" in (table.encoding or "").lower()
    assert [bool(r.errors) for r in rows] == [False, True, False]
    assert len(rows[1].errors) == 3  # phone, email, grade
    assert rows[0].values["phone"] == "+8613912345678"


def test_xlsx_valid_rows_import_in_one_go(shop):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in CSV.strip().split("\n"):
        sheet.append(line.split(","))
    buffer = BytesIO()
    workbook.save(buffer)
    _table, rows = checked(buffer.getvalue(), "expo.xlsx")
    valid = [r for r in rows if not r.errors]
    with scoped(access_for(shop["manager"]).scope):
        done = imports.leads_import(
            by=shop["manager"], dealer=shop["dealer"], source=shop["source"], campaign=None, rows=valid
        )
    assert [(r.number, r.created) for r in done] == [(1, True), (3, True)]
    assert lead_count() == 2


def test_a_failure_mid_import_stores_nothing(shop):
    _table, rows = checked(CSV.encode("utf-8"), "expo.csv")
    valid = [r for r in rows if not r.errors]
    real = imports.lead_capture
    calls = []

    def fail_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ApplicationError("boom")
        return real(**kwargs)

    with (
        mock.patch.object(imports, "lead_capture", side_effect=fail_second),
        pytest.raises(ApplicationError),
        scoped(access_for(shop["manager"]).scope),
    ):
        imports.leads_import(
            by=shop["manager"], dealer=shop["dealer"], source=shop["source"], campaign=None, rows=valid
        )
    assert lead_count() == 0


def test_rows_with_errors_and_salespeople_are_refused(shop):
    _table, rows = checked(CSV.encode("utf-8"), "expo.csv")
    with scoped(access_for(shop["manager"]).scope), pytest.raises(ApplicationError):
        imports.leads_import(
            by=shop["manager"], dealer=shop["dealer"], source=shop["source"], campaign=None, rows=rows
        )
    seller = staff(Role.SALESPERSON, dealer=shop["dealer"])
    with scoped(access_for(seller).scope), pytest.raises(PermissionDenied):
        imports.leads_import(by=seller, dealer=shop["dealer"], source=shop["source"], campaign=None, rows=[])
    assert lead_count() == 0


def test_upload_waits_in_the_cache_under_a_token():
    token = imports.upload_store(data=b"abc", filename="x.csv")
    assert imports.upload_load(token=token) == {"data": b"abc", "filename": "x.csv"}
    with pytest.raises(UploadExpired):
        imports.upload_load(token="nope")
