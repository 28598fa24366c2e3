"""What reading and writing agree on: which first characters make a cell a formula, and how a number is
written as text."""

from decimal import Decimal

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
EXCEL_MAX_PRECISE_DIGITS = 15


def number_text(value: int | float | Decimal) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 1.3812345678E10 → "13812345678".
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")  # 1e-05 → "0.00001", never scientific.
    return format(value, "f") if isinstance(value, Decimal) else str(value)
