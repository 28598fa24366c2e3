"""Writing reports as CSV and .xlsx that no spreadsheet program runs as formulas (see the package
docstring for why phone numbers get a quote in CSV and none in XLSX)."""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

import openpyxl
from django.utils import timezone
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from crm.core.spreadsheets.cells import EXCEL_MAX_PRECISE_DIGITS, FORMULA_TRIGGERS, number_text

EXCEL_MAX_CELL_CHARACTERS = 32_767
_E164_LIKE = re.compile(r"^\+[1-9][\d \-]{5,20}\d$")


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
        return number_text(value)
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
        return len(number_text(value))
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
