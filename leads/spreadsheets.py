"""Reading lead lists from spreadsheets and writing reports back, safely. Pure: no database, no models.

Reading (`read_table`) accepts what dealers actually upload: CSV saved by Excel or WPS in UTF-8 (with or
without a BOM), GB18030 (which covers GBK and GB2312) or UTF-16 ("Unicode Text", a tab-delimited .txt),
separated by commas, semicolons or tabs; and .xlsx workbooks. Every cell comes back as a stripped string.
Legacy .xls and password-protected workbooks are refused with a message that says what to do instead.

Writing (`write_csv`, `write_xlsx`) neutralises formula injection (LESSONS.md, "Input"): a text cell that
starts with `=`, `+`, `-`, `@`, tab, carriage return or line feed would be run as a formula by Excel,
WPS or LibreOffice.

Phone numbers in CSV. An E.164 number such as `+8613812345678` starts with `+`, so it is a formula to
Excel: written raw, Excel shows `8.61381E+12` and the `+` is gone. The `="+86…"` trick keeps the text
but is itself a formula, and anything that re-exports the cell would have to neutralise it again.
A leading tab or space would be left on the number by every program that reads the file. So phone-like
values get no special path: like every other cell that starts with a trigger character, they are written
with a single leading quote, `'+8613812345678`. The quote makes the value text and keeps every digit and
the `+`. Some programs hide the quote and others show it (Excel shows it when it opens a .csv directly),
and programs other than spreadsheets see it as data. That is the price of a file that cannot run code.
`read_table` removes the quote when the next character is a trigger, so our own exports import cleanly.
For a report people will read, use XLSX: there, phone numbers are text cells (number format `@`) with
no quote added.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import PurePath

import openpyxl
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from crm.core.exceptions import ApplicationError

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
CSV_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
XLSX_EXTENSIONS = frozenset({".xlsx"})
LEGACY_EXCEL_EXTENSIONS = frozenset({".xls"})
MAX_COLUMNS = 500
# A zip's declared sizes bound what openpyxl would inflate; an .xlsx compresses roughly tenfold.
XLSX_INFLATION_LIMIT = 10
EXCEL_MAX_PRECISE_DIGITS = 15
EXCEL_MAX_CELL_CHARACTERS = 32_767
SNIFF_SAMPLE_CHARACTERS = 64_000
WARNING_ROW_EXAMPLES = 10

_ZIP_MAGIC = b"PK\x03\x04"
# Legacy .xls and encrypted .xlsx are both OLE2 compound documents.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_E164_LIKE = re.compile(r"^\+[1-9][\d \-]{5,20}\d$")
_CAMEL_CASE_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD = re.compile(r"[^\W_]+")
_ANNOTATION = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")


class SpreadsheetError(ApplicationError):
    code = "invalid_spreadsheet"
    status = 400
    default_message = gettext_lazy("This file could not be read as a spreadsheet.")


@dataclass(slots=True)
class Table:
    """A sheet as strings. Every row has exactly `len(headers)` cells; `encoding` is set for CSV, `sheet`
    for XLSX; `warnings` are sentences for the user about what was repaired or looks wrong."""

    headers: list[str]
    rows: list[list[str]]
    encoding: str | None
    sheet: str | None
    warnings: list[str] = field(default_factory=list)
    # Where each data row is in the file (the spreadsheet's row number, the CSV line), for messages.
    row_numbers: list[int] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
# Reading


def read_table(
    data: bytes,
    *,
    filename: str,
    max_rows: int = 50_000,
    max_bytes: int = 20_000_000,
    sheet: str | None = None,
) -> Table:
    """Read an uploaded CSV or XLSX into a `Table`.

    Guarantees: every cell is a `str` with surrounding whitespace removed; fully empty rows are skipped;
    the header is the first non-empty row; every row has exactly `len(headers)` cells; at most `max_rows`
    data rows. Anything we cannot read safely raises `SpreadsheetError` with a message for the user;
    nothing else escapes. `sheet` picks a worksheet by name; by default the first visible one.
    """
    extension = PurePath(filename).suffix.lower()
    if extension not in CSV_EXTENSIONS | XLSX_EXTENSIONS | LEGACY_EXCEL_EXTENSIONS:
        raise SpreadsheetError(_("Upload a .xlsx or .csv file; “%(name)s” is neither.") % {"name": filename})
    if len(data) > max_bytes:
        raise SpreadsheetError(
            _("The file is too big: the limit is %(megabytes)s MB.") % {"megabytes": f"{max_bytes / 1e6:g}"}
        )
    if not data.strip():
        raise SpreadsheetError(_("The file is empty."))
    # The content decides, not the name: WPS and e-mail clients rename files.
    if data.startswith(_OLE2_MAGIC):
        if extension in LEGACY_EXCEL_EXTENSIONS:
            raise SpreadsheetError(_legacy_excel_message())
        raise SpreadsheetError(
            _(
                "This workbook is password-protected or in the old .xls format. Remove the password and "
                "save it as .xlsx or .csv."
            )
        )
    if data.startswith(_ZIP_MAGIC) or extension in XLSX_EXTENSIONS:
        return _read_xlsx(data, max_rows=max_rows, max_bytes=max_bytes, sheet_name=sheet)
    if extension in LEGACY_EXCEL_EXTENSIONS:
        raise SpreadsheetError(_legacy_excel_message())
    return _read_csv(data, max_rows=max_rows)


def _legacy_excel_message() -> str:
    return _("Old Excel files (.xls) are not supported: open the file in Excel and save as .xlsx or .csv.")


def _decode(data: bytes) -> tuple[str, str]:
    # A BOM is decisive; without one, UTF-8 is tried before GB18030 because valid UTF-8 is rarely valid
    # Chinese by accident, while GB18030 decodes most byte soup.
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:  # NULs mean UTF-16 without a BOM, or a binary file.
            return text, encoding
    raise SpreadsheetError(
        _(
            "The file’s text encoding was not recognised. Save it as “CSV UTF-8” or as .xlsx and upload it again."
        )
    )


def _sniff_delimiter(text: str) -> str:
    sample = text[:SNIFF_SAMPLE_CHARACTERS]
    if len(text) > SNIFF_SAMPLE_CHARACTERS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # Whole lines only.
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _read_csv(data: bytes, *, max_rows: int) -> Table:
    text, encoding = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text), quotechar='"')
    numbered_rows = ((reader.line_num, row) for row in reader)
    try:
        return _build_table(numbered_rows, max_rows=max_rows, encoding=encoding, sheet=None, is_csv=True)
    except csv.Error as error:
        raise SpreadsheetError(
            _("The CSV file is malformed near line %(line)d.") % {"line": reader.line_num}
        ) from error


def _read_xlsx(data: bytes, *, max_rows: int, max_bytes: int, sheet_name: str | None) -> Table:
    corrupt = _("The Excel file is damaged or not really an .xlsx file. Open it in Excel and save it again.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated_bytes = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise SpreadsheetError(corrupt) from error
    if inflated_bytes > max_bytes * XLSX_INFLATION_LIMIT:
        raise SpreadsheetError(_("The Excel file holds too much data once unpacked."))
    try:
        # openpyxl parses with defusedxml when it is installed (it is a project dependency).
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # Hostile or broken files raise anything from KeyError to ParseError.
        raise SpreadsheetError(corrupt) from error
    try:
        worksheet = _pick_worksheet(workbook, sheet_name)
        rounded_rows: list[int] = []

        def numbered_rows() -> Iterator[tuple[int, list[str]]]:
            # Saved dimensions are often A1:XFD1048576 after formatting; padding every row to them is slow.
            worksheet.reset_dimensions()
            for number, all_values in enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1):
                values = all_values[: MAX_COLUMNS + 1]
                if any(_is_rounded_by_excel(value) for value in values):
                    rounded_rows.append(number)
                yield number, [_cell_text(value) for value in values]

        table = _build_table(
            numbered_rows(), max_rows=max_rows, encoding=None, sheet=worksheet.title, is_csv=False
        )
        if rounded_rows:
            table.warnings.append(
                _(
                    "Rows with numbers longer than 15 digits, which Excel rounds (ID card numbers, for "
                    "example): %(rows)s. Format those columns as Text in Excel and type them again."
                )
                % {"rows": _row_list(rounded_rows)}
            )
        return table
    except SpreadsheetError:
        raise
    except Exception as error:  # Same reason as above: the sheet XML is read lazily, row by row.
        raise SpreadsheetError(corrupt) from error
    finally:
        workbook.close()


def _pick_worksheet(workbook: Workbook, sheet_name: str | None) -> ReadOnlyWorksheet:
    if sheet_name is not None:
        by_title = {worksheet.title: worksheet for worksheet in workbook.worksheets}  # Chart sheets excluded.
        if sheet_name not in by_title:
            raise SpreadsheetError(
                _("There is no sheet named “%(sheet)s”. The sheets are: %(sheets)s.")
                % {"sheet": sheet_name, "sheets": ", ".join(by_title)}
            )
        return by_title[sheet_name]
    for worksheet in workbook.worksheets:
        if worksheet.sheet_state == "visible":
            return worksheet
    raise SpreadsheetError(_("The workbook has no visible sheet."))


def _cell_text(value: object) -> str:
    """An Excel cell as the text a person would type: phone numbers stored as floats lose the `.0`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):  # Excel stores dates as midnight datetimes.
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return _number_text(value)
    return str(value).strip()


def _number_text(value: int | float | Decimal) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 1.3812345678E10 → "13812345678".
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")  # 1e-05 → "0.00001", never scientific.
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _remove_export_quote(value: str) -> str:
    # The inverse of `_neutralise`: our own exports must import back unchanged.
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value


def _build_table(
    numbered_rows: Iterator[tuple[int, list[str]]],
    *,
    max_rows: int,
    encoding: str | None,
    sheet: str | None,
    is_csv: bool,
) -> Table:
    headers: list[str] | None = None
    rows: list[list[str]] = []
    row_numbers: list[int] = []
    short_rows: list[int] = []
    long_rows: list[int] = []
    for number, raw_cells in numbered_rows:
        cells = [_remove_export_quote(cell.strip()) for cell in raw_cells]
        if not any(cells):
            continue
        if headers is None:
            headers = _headers_from(cells)
            continue
        if len(rows) >= max_rows:
            raise SpreadsheetError(
                _(
                    "The file has more than %(max_rows)s rows. Split it into files of at most %(max_rows)s rows."
                )
                % {"max_rows": f"{max_rows:,}"}
            )
        width = len(headers)
        if len(cells) > width and any(cells[width:]):
            long_rows.append(number)
        elif is_csv and len(cells) < width:
            short_rows.append(number)
        rows.append((cells + [""] * width)[:width])
        row_numbers.append(number)
    if headers is None:
        raise SpreadsheetError(_("The file has no header row: the first row must name the columns."))
    warnings = []
    if short_rows:
        warnings.append(
            _("Rows with fewer cells than the header (missing cells left empty): %(rows)s.")
            % {"rows": _row_list(short_rows)}
        )
    if long_rows:
        warnings.append(
            _("Rows with more cells than the header (extra cells ignored): %(rows)s.")
            % {"rows": _row_list(long_rows)}
        )
    duplicates = sorted({header for header in headers if headers.count(header) > 1})
    if duplicates:
        warnings.append(_("Columns with the same name: %(names)s.") % {"names": ", ".join(duplicates)})
    return Table(
        headers=headers, rows=rows, encoding=encoding, sheet=sheet, warnings=warnings, row_numbers=row_numbers
    )


def _headers_from(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells = cells[:-1]
    if len(cells) > MAX_COLUMNS:
        raise SpreadsheetError(_("The file has more than %(count)d columns.") % {"count": MAX_COLUMNS})
    return [cell or _("Column %(number)d") % {"number": index} for index, cell in enumerate(cells, start=1)]


def _is_rounded_by_excel(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and abs(value) >= 10**EXCEL_MAX_PRECISE_DIGITS
    )


def _row_list(numbers: list[int]) -> str:
    shown = ", ".join(str(number) for number in numbers[:WARNING_ROW_EXAMPLES])
    hidden = len(numbers) - WARNING_ROW_EXAMPLES
    return shown if hidden <= 0 else _("%(shown)s and %(count)d more") % {"shown": shown, "count": hidden}


# ---------------------------------------------------------------------------------------------------------
# Column mapping

DEFAULT_LEAD_FIELDS: dict[str, list[str]] = {
    "name": [
        "name",
        "full name",
        "customer name",
        "customer",
        "contact",
        "姓名",
        "客户姓名",
        "客户",
        "联系人",
        "名字",
    ],
    "phone": [
        "phone",
        "mobile",
        "tel",
        "telephone",
        "cell",
        "cellphone",
        "phone number",
        "mobile number",
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "联系电话",
        "电话号码",
        "联系方式",
    ],
    "email": ["email", "e-mail", "mail", "email address", "邮箱", "电子邮箱", "电子邮件", "邮件"],
    "city": ["city", "town", "城市", "所在城市", "所在地", "地区"],
    "model": ["model", "vehicle", "car", "car model", "车型", "意向车型", "车系", "意向车系", "车款"],
    "source": ["source", "lead source", "channel", "来源", "线索来源", "客户来源", "渠道"],
    "note": ["note", "notes", "remark", "remarks", "comment", "comments", "备注", "说明", "留言"],
    "external_id": ["id", "external id", "lead id", "reference", "编号", "线索编号", "客户编号", "线索id"],
    "grade": ["grade", "level", "rating", "级别", "意向级别", "客户级别", "等级"],
    "wechat": ["wechat", "weixin", "wx", "微信", "微信号"],
}
# Below this many characters an ASCII synonym matches whole words only: "id" must not match "valid".
_MIN_ASCII_SUBSTRING = 5
_MIN_CJK_SUBSTRING = 2


def _words(text: str) -> list[str]:
    """Casefolded words; full-width letters and punctuation (NFKC) count as their ASCII forms."""
    text = unicodedata.normalize("NFKC", text)
    # "电话(必填)", "Phone [required]": the annotation is not part of the name.
    text = _ANNOTATION.sub(" ", text) if _ANNOTATION.sub("", text).strip() else text
    text = _CAMEL_CASE_BOUNDARY.sub(" ", text)
    return _WORD.findall(text.casefold())


def _match_score(header_words: list[str], synonym_words: list[str]) -> tuple[int, int, float] | None:
    """(is exact, is at the end, share of the header covered), or None. Higher is better."""
    header, synonym = "".join(header_words), "".join(synonym_words)
    if not header or not synonym:
        return None
    if header == synonym:
        return (1, 1, 1.0)
    if synonym.isascii():
        # Whole words, where Chinese characters also end a word: "客户ID" holds "id", "valid" does not.
        as_words = rf"(?<![a-z0-9]){re.escape(' '.join(synonym_words))}(?![a-z0-9])"
        is_contained = bool(re.search(as_words, " ".join(header_words))) or (
            len(synonym) >= _MIN_ASCII_SUBSTRING and synonym in header
        )
    else:
        is_contained = len(synonym) >= _MIN_CJK_SUBSTRING and synonym in header
    if not is_contained:
        return None
    # Compound names end in what they are: 客户编号 is a number, "contact phone" is a phone.
    return (0, int(header.endswith(synonym)), len(synonym) / len(header))


def suggest_mapping(headers: list[str], fields: dict[str, list[str]]) -> dict[str, int | None]:
    """Suggest which column fills each field: `{field: header index or None}`.

    Matching ignores case, spaces and punctuation. An exact synonym beats a contained one; among contained
    ones, a synonym at the end of the header, then the one covering more of it, then the earlier synonym,
    then the earlier column wins. Guarantees: every field of `fields` is a key; no column is suggested for
    two fields; the same input always gives the same answer.
    """
    header_words = [_words(header) for header in headers]
    candidates = []
    for field_rank, (field_name, synonyms) in enumerate(fields.items()):
        for synonym_rank, synonym in enumerate(synonyms):
            synonym_words = _words(synonym)
            for index, words in enumerate(header_words):
                score = _match_score(words, synonym_words)
                if score is not None:
                    candidates.append((score, -synonym_rank, -field_rank, -index, field_name, index))
    candidates.sort(reverse=True)
    mapping: dict[str, int | None] = dict.fromkeys(fields)
    used_columns: set[int] = set()
    for *_ranking, field_name, index in candidates:
        if mapping[field_name] is None and index not in used_columns:
            mapping[field_name] = index
            used_columns.add(index)
    return mapping


# ---------------------------------------------------------------------------------------------------------
# Writing


def _is_phone_like(value: str) -> bool:
    return bool(_E164_LIKE.match(value)) and 7 <= sum(character.isdigit() for character in value) <= 15


def _neutralise(value: str) -> str:
    """Prefix a formula trigger with a quote so a spreadsheet shows the text instead of running it."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _local(value: datetime) -> datetime:
    # Excel has no time zones: reports show the dealer's local time.
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return _local(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return _number_text(value)
    return _neutralise(str(value))


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV report Excel opens correctly in Chinese.

    Guarantees: UTF-8 with a BOM; CRLF line endings; fields quoted only when needed; every text cell
    (headers included) that starts with `=`, `+`, `-`, `@`, tab, CR or LF gets a leading `'`, phone
    numbers included (see the module docstring); numbers are written without exponent; aware datetimes
    are converted to local time. Rows are written as given, without padding.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(header) for header in headers])
    writer.writerows([_csv_text(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MIN_COLUMN_WIDTH, _MAX_COLUMN_WIDTH = 8, 60


def _display_width(text: str) -> int:
    # Chinese characters take two columns.
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def _fill_cell(cell: Cell, value: object) -> int:
    """Write `value` with its Excel type; return its display width."""
    if value is None:
        return 0
    if isinstance(value, bool):
        cell.value = value
        return 5
    if isinstance(value, int) and len(str(abs(value))) > EXCEL_MAX_PRECISE_DIGITS:
        value = str(value)  # Excel would round the 16th digit away; text keeps it.
    if isinstance(value, int | float | Decimal):
        cell.value = value
        return len(_number_text(value))
    if isinstance(value, datetime):
        cell.value = _local(value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return 19
    if isinstance(value, date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
        return 10
    if isinstance(value, time):
        cell.value = value
        cell.number_format = "hh:mm:ss"
        return 8
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text.startswith("="):
        text = "'" + text  # Survives "Save as CSV" and copy-paste, where a type flag would not.
    text = text[:EXCEL_MAX_CELL_CHARACTERS]
    cell.value = text
    cell.data_type = "s"  # openpyxl would otherwise store a leading "=" as a formula.
    if _is_phone_like(text) or text.isdigit():
        cell.number_format = "@"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True  # Editing the cell in Excel keeps it text.
    return max((_display_width(line) for line in text.splitlines()), default=0)


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[object]], *, sheet_title: str) -> bytes:
    """An .xlsx report with one sheet.

    Guarantees: the header row is bold and frozen; column widths fit the content (8 to 60 characters,
    Chinese counted double); numbers, dates and datetimes keep their type (aware datetimes in local
    time; integers beyond Excel's 15 digits become text); every text is a string cell, never a formula;
    text starting with `=` also gets a leading `'`; E.164 phone numbers and digit strings are text with
    number format `@`, without a quote. Characters XML cannot hold are dropped; an invalid sheet title is
    cleaned up.
    """
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = _SHEET_TITLE_FORBIDDEN.sub(" ", sheet_title).strip(" '")[:31] or "Sheet1"
    widths: dict[int, int] = {}
    bold = Font(bold=True)
    for column, header in enumerate(headers, start=1):
        cell = worksheet.cell(row=1, column=column)
        widths[column] = _fill_cell(cell, header)
        cell.font = bold
    for row_number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            width = _fill_cell(worksheet.cell(row=row_number, column=column), value)
            widths[column] = max(widths.get(column, 0), width)
    for column, width in widths.items():
        worksheet.column_dimensions[get_column_letter(column)].width = min(
            max(width + 2, _MIN_COLUMN_WIDTH), _MAX_COLUMN_WIDTH
        )
    worksheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
