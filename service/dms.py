"""Reading a dealer's DMS export of repair orders: a `Table` of strings in, typed lines out. Pure: no
database. One row is one line of one repair order (labour, part, other charge or discount); the order's own
fields (VIN, dates, status, mileage…) repeat on each of its rows.

What DMS exports hold, and how each is read:
- amounts like "￥1,280.00", "¥1280", "1,280.00元", "RMB 1280" (full-width forms folded first);
- dates as 2026-11-03 14:20, 2026/11/3 14:20:00, 2026.11.03, 20261103, 2026年11月3日 14时20分, or the ISO
  form a spreadsheet cell gives; a day-first or month-first date (03/11/2026) is accepted only when the
  numbers leave no doubt (a day above 12), else the row says to write the year first;
- VINs in lower case, with spaces or full-width characters (normalised; a VIN still wrong after that is a
  `vin_error`, which quarantines the order rather than rejecting the row);
- statuses and line kinds in English or Chinese.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.spreadsheets import Table, suggest_mapping
from crm.customers.exceptions import InvalidVin
from crm.customers.normalize import plate_normalize, vin_normalize

CENT = Decimal("0.01")

COLUMNS: dict[str, list[str]] = {
    "ro_number": ["RO number", "RO no", "repair order number", "repair order", "工单号", "维修单号", "委托书号", "工单编号"],
    "line_number": ["line number", "line no", "line", "行号", "项目序号", "明细序号"],
    "vin": ["VIN", "车架号", "VIN码", "底盘号", "车辆识别代号"],
    "plate": ["plate", "licence plate", "license plate", "车牌号", "车牌"],
    "customer_name": ["customer name", "customer", "owner", "客户名称", "客户姓名", "车主", "客户"],
    "customer_phone": ["customer phone", "phone", "mobile", "联系电话", "手机", "电话"],
    "make": ["make", "brand", "品牌"],
    "model": ["vehicle model", "model", "车型"],
    "opened_at": ["opened at", "opened", "open date", "进厂时间", "开单时间", "开单日期", "进厂日期"],
    "settled_at": ["settled at", "settled", "settlement date", "结算时间", "结算日期"],
    "modified_at": ["modified at", "last modified", "modified", "updated at", "修改时间", "更新时间", "最后修改时间"],
    "status": ["RO status", "status", "工单状态", "状态"],
    "mileage": ["mileage in", "mileage", "odometer", "km", "进厂里程", "里程"],
    "advisor": ["service advisor", "advisor", "服务顾问", "接待员"],
    "concern": ["customer concern", "concern", "故障描述", "客户描述"],
    "line_type": ["line type", "type", "项目类型", "类型", "明细类型"],
    "code": ["operation code", "part number", "code", "工时代码", "配件编号", "项目代码", "代码"],
    "description": ["description", "项目名称", "名称", "描述"],
    "quantity": ["quantity", "hours", "qty", "数量", "工时"],
    "unit_price": ["unit price", "rate", "price", "单价"],
    "amount": ["line amount", "amount", "金额"],
    "technician": ["technician", "维修技师", "技师"],
    "pay_type": ["pay type", "payment type", "付费方式", "结算类型", "付费类型"],
}
REQUIRED_COLUMNS = ("ro_number", "line_number", "vin")

STATUSES = {
    "settled": {"settled", "closed", "invoiced", "已结算", "结算", "已完成", "完成", "已关闭"},
    "voided": {"voided", "void", "cancelled", "canceled", "作废", "已作废", "取消", "已取消"},
    "open": {"open", "in progress", "ready", "在修", "未结算", "维修中", "待结算", "开单"},
}
LINE_KINDS = {
    "labour": {"labour", "labor", "工时", "维修项目", "工时费", "项目"},
    "part": {"part", "parts", "配件", "材料", "零件"},
    "charge": {"charge", "other", "sublet", "其他", "附加费", "其他费用", "外加工"},
    "discount": {"discount", "优惠", "折扣", "减免"},
}
PAY_TYPES = {
    "customer": {"customer", "customer pay", "客户付费", "自费", "客户"},
    "warranty": {"warranty", "保修", "索赔", "三包", "质保"},
    "internal": {"internal", "内部", "内部结算"},
    "insurance": {"insurance", "保险", "保险理赔"},
}


@dataclass
class DmsLine:
    row_number: int
    values: dict[str, str]
    ro_number: str = ""
    line_number: int | None = None
    vin: str = ""
    vin_error: str = ""
    plate: str = ""
    customer_name: str = ""
    customer_phone: str = ""
    make: str = ""
    model: str = ""
    opened_at: datetime | None = None
    settled_at: datetime | None = None
    modified_at: datetime | None = None
    status: str = "open"
    mileage: int | None = None
    advisor: str = ""
    concern: str = ""
    kind: str = ""
    code: str = ""
    description: str = ""
    quantity: Decimal = Decimal(1)
    unit_price: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    technician: str = ""
    pay_type: str = "customer"
    errors: list[str] = field(default_factory=list)

    def content(self) -> tuple:
        """What the line says, to tell a duplicate row from a different one and a revision from the same."""
        return (
            self.line_number, self.kind, self.code, self.description, self.quantity, self.unit_price,
            self.amount, self.technician, self.pay_type,
        )  # fmt: skip


def columns_missing(mapping: dict[str, int | None]) -> list[str]:
    return [name for name in REQUIRED_COLUMNS if mapping.get(name) is None]


def column_mapping(table: Table) -> dict[str, int | None]:
    return suggest_mapping(table.headers, COLUMNS)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _choice(text: str, choices: dict[str, set[str]]) -> str | None:
    folded = _fold(text).casefold()
    for key, words in choices.items():
        if folded in words:
            return key
    return None


def parse_amount(text: str) -> Decimal | None:
    """"￥1,280.00" → 1280.00; "(50)" and "-50" → -50; None for a blank; ValueError for anything else."""
    folded = _fold(text)
    if not folded:
        return None
    cleaned = re.sub(r"(?i)rmb|cny|[¥$元\s,]", "", folded)
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    cleaned = cleaned.strip("()")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        raise ValueError(text)
    return -value if negative else value


_DATE_PATTERNS = [
    # year first: 2026-11-03, 2026/11/3, 2026.11.03, 2026年11月3日, each with an optional time
    re.compile(
        r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
        r"(?:[T\s]+(?P<H>\d{1,2})\s*[:时点]\s*(?P<M>\d{1,2})\s*分?(?:\s*[:]\s*(?P<S>\d{1,2})(?:\.\d+)?\s*秒?)?)?"
        r"\s*(?:[+-]\d{2}:?\d{2}|Z)?$"
    ),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:\s*(?P<H>\d{2}):?(?P<M>\d{2})(?::?(?P<S>\d{2}))?)?$"),
]
_DAY_OR_MONTH_FIRST = re.compile(
    r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4})(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)


class AmbiguousDate(ValueError):
    pass


def parse_datetime(text: str) -> datetime | None:
    """A DMS date or date-time in the dealer's local time zone; None for a blank; ValueError otherwise."""
    folded = _fold(text)
    if not folded:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(folded)
        if match:
            parts = match.groupdict()
            year, month, day = int(parts["y"]), int(parts["m"]), int(parts["d"])
            break
    else:
        match = _DAY_OR_MONTH_FIRST.match(folded)
        if not match:
            raise ValueError(text)
        parts = match.groupdict()
        first, second, year = int(parts["a"]), int(parts["b"]), int(parts["y"])
        if first > 12 >= second:
            day, month = first, second
        elif second > 12 >= first:
            month, day = first, second
        elif first == second:
            day = month = first
        else:
            raise AmbiguousDate(text)
    try:
        moment = datetime(year, month, day, int(parts.get("H") or 0), int(parts.get("M") or 0), int(parts.get("S") or 0))
    except ValueError:
        raise ValueError(text) from None
    if not 1990 <= moment.year <= 2100:
        raise ValueError(text)
    return timezone.make_aware(moment)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_line(row_number: int, cells: list[str], headers: list[str], mapping: dict[str, int | None]) -> DmsLine:
    def cell(name: str) -> str:
        index = mapping.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    line = DmsLine(row_number=row_number, values={h: c for h, c in zip(headers, cells, strict=False) if c})
    errors = line.errors
    line.ro_number = _fold(cell("ro_number")).upper()[:40]
    if not line.ro_number:
        errors.append(_("The RO number is missing."))
    raw_line = _fold(cell("line_number"))
    try:
        line.line_number = int(Decimal(raw_line)) if raw_line else None
    except InvalidOperation:
        line.line_number = None
    if line.line_number is None or line.line_number < 0 or line.line_number > 100_000:
        errors.append(_("The line number is missing or not a whole number."))
        line.line_number = None
    raw_vin = cell("vin")
    try:
        line.vin = vin_normalize(raw_vin)
    except InvalidVin as error:
        line.vin = re.sub(r"\s", "", _fold(raw_vin)).upper()[:40]
        line.vin_error = str(error.message) if raw_vin.strip() else _("The VIN is missing.")
    line.plate = plate_normalize(cell("plate"))[:16]
    line.customer_name = cell("customer_name")[:200]
    line.customer_phone = cell("customer_phone")[:40]
    line.make, line.model = cell("make")[:60], cell("model")[:60]
    for name in ("opened_at", "settled_at", "modified_at"):
        try:
            setattr(line, name, parse_datetime(cell(name)))
        except AmbiguousDate:
            errors.append(
                _("“%(value)s” could be a day or a month first: write the date year first (2026-11-03).")
                % {"value": cell(name)}
            )
        except ValueError:
            errors.append(_("“%(value)s” is not a date.") % {"value": cell(name)})
    if line.opened_at is None and not any("date" in e for e in errors):
        line.opened_at = line.settled_at or line.modified_at
        if line.opened_at is None:
            errors.append(_("The date the car came in is missing."))
    raw_status = cell("status")
    status = _choice(raw_status, STATUSES) if raw_status else ("settled" if line.settled_at else "open")
    if status is None:
        errors.append(_("Unknown status “%(value)s”: settled, voided or open.") % {"value": raw_status})
    line.status = status or "open"
    raw_mileage = cell("mileage")
    if raw_mileage:
        try:
            mileage = parse_amount(raw_mileage.lower().replace("km", "").replace("公里", ""))
            if mileage is None or mileage < 0 or mileage > 3_000_000 or mileage != mileage.to_integral_value():
                raise ValueError(raw_mileage)
            line.mileage = int(mileage)
        except ValueError:
            errors.append(_("“%(value)s” is not a mileage in whole kilometres.") % {"value": raw_mileage})
    line.advisor = cell("advisor")[:100]
    line.concern = cell("concern")[:2000]
    line.code = _fold(cell("code")).upper()[:60]
    line.description = cell("description")[:300]
    line.technician = cell("technician")[:100]
    raw_kind = cell("line_type")
    kind = _choice(raw_kind, LINE_KINDS)
    if kind is None:
        errors.append(_("Unknown line type “%(value)s”: labour, part, charge or discount.") % {"value": raw_kind})
    line.kind = kind or ""
    raw_pay = cell("pay_type")
    pay_type = _choice(raw_pay, PAY_TYPES) if raw_pay else "customer"
    if pay_type is None:
        errors.append(_("Unknown pay type “%(value)s”.") % {"value": raw_pay})
    line.pay_type = pay_type or "customer"
    _read_amounts(line, cell)
    return line


def _read_amounts(line: DmsLine, cell) -> None:
    """Quantity (or hours) × unit price (or rate) = amount, to the cent; a missing one is derived from the
    others. A discount may be written negative."""
    values = {}
    for name in ("quantity", "unit_price", "amount"):
        try:
            values[name] = parse_amount(cell(name))
        except ValueError:
            line.errors.append(_("“%(value)s” is not an amount.") % {"value": cell(name)})
            return
    quantity, price, amount = values["quantity"], values["unit_price"], values["amount"]
    if line.kind == "discount":
        quantity, price, amount = (abs(v) if v is not None else None for v in (quantity, price, amount))
    if any(v is not None and v < 0 for v in (quantity, price, amount)):
        line.errors.append(_("A quantity, price or amount is negative."))
        return
    if quantity is None:
        quantity = Decimal(1)
    if quantity == 0 or quantity != quantity.quantize(CENT) or quantity >= Decimal("1e6"):
        line.errors.append(_("The quantity is zero, too large or has more than two decimals."))
        return
    if price is None and amount is None:
        line.errors.append(_("Neither a unit price nor an amount."))
        return
    if price is None:
        price = _money(amount / quantity)
    computed = _money(quantity * price)
    if amount is not None and _money(amount) != computed:
        line.errors.append(
            _("The amount %(amount)s is not quantity × price (%(computed)s).")
            % {"amount": _money(amount), "computed": computed}
        )
        return
    line.quantity, line.unit_price, line.amount = quantity.normalize(), _money(price), computed


def parse_table(table: Table, mapping: dict[str, int | None]) -> list[DmsLine]:
    numbers = table.row_numbers or list(range(2, len(table.rows) + 2))
    return [parse_line(number, cells, table.headers, mapping) for number, cells in zip(numbers, table.rows, strict=False)]
