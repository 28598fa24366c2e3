"""Reading an upload (CSV in the encodings dealers save, or .xlsx) into a `Table` of stripped strings."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import PurePath

import openpyxl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from crm.core.exceptions import ApplicationError
from crm.core.spreadsheets.cells import EXCEL_MAX_PRECISE_DIGITS, FORMULA_TRIGGERS, number_text

CSV_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
XLSX_EXTENSIONS = frozenset({".xlsx"})
LEGACY_EXCEL_EXTENSIONS = frozenset({".xls"})
MAX_COLUMNS = 500
# A zip's declared sizes bound what openpyxl would inflate; an .xlsx compresses roughly tenfold.
XLSX_INFLATION_LIMIT = 10
SNIFF_SAMPLE_CHARACTERS = 64_000
WARNING_ROW_EXAMPLES = 10

_ZIP_MAGIC = b"PK\x03\x04"
# Legacy .xls and encrypted .xlsx are both OLE2 compound documents.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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
        return number_text(value)
    return str(value).strip()


def _remove_export_quote(value: str) -> str:
    # The inverse of `_neutralise` (crm.core.spreadsheets.write): our own exports must import back unchanged.
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
