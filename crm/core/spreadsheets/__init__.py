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

from crm.core.spreadsheets.cells import FORMULA_TRIGGERS
from crm.core.spreadsheets.mapping import suggest_mapping
from crm.core.spreadsheets.read import SpreadsheetError, Table, read_table
from crm.core.spreadsheets.write import write_csv, write_xlsx

__all__ = [
    "FORMULA_TRIGGERS",
    "SpreadsheetError",
    "Table",
    "read_table",
    "suggest_mapping",
    "write_csv",
    "write_xlsx",
]
