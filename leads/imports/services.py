"""Import of bought or event lists: validate every row first, then import the valid rows in ONE transaction
through lead_capture (all or nothing). The uploaded bytes wait between steps in the cache, under a random
token, for an hour."""

import secrets
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.exceptions import ApplicationError
from crm.core.spreadsheets import Table
from crm.customers.exceptions import InvalidEmail, InvalidPhone
from crm.customers.normalize import email_normalize, is_contactable, phone_normalize
from crm.network.access import access_for
from crm.network.models import Dealer
from leads.exceptions import UploadExpired
from leads.models import Campaign, Grade, LeadSource, LeadType
from leads.permissions import can_grade_imports_at, can_import_at, require
from leads.services import lead_capture, lead_grade

UPLOAD_TTL_SECONDS = 3600
IMPORT_LOCK_SECONDS = 600
CHANNEL_TYPES = {
    LeadSource.Channel.PHONE: LeadType.PHONE,
    LeadSource.Channel.CALL_CENTRE: LeadType.PHONE,
    LeadSource.Channel.WEB_FORM: LeadType.INTERNET,
    LeadSource.Channel.ADF: LeadType.INTERNET,
    LeadSource.Channel.REFERRAL: LeadType.REFERRAL,
    LeadSource.Channel.SHOWROOM: LeadType.WALK_IN,
}


def upload_store(*, data: bytes, filename: str, **details) -> str:
    """Keep an upload for the next steps. `details` (owner_id, the chosen dealer, source, campaign, the
    column mapping, later the outcome) travel with it."""
    token = secrets.token_urlsafe(24)
    cache.set(
        f"lead-import:{token}", {"data": data, "filename": filename, **details}, timeout=UPLOAD_TTL_SECONDS
    )
    return token


def upload_load(*, token: str, owner_id: int | None = None) -> dict:
    """The stored upload. With `owner_id`, someone else's upload is as unknown as an expired one."""
    stored = cache.get(f"lead-import:{token}") if token and len(token) < 100 else None
    if stored is None or (owner_id is not None and stored.get("owner_id") != owner_id):
        raise UploadExpired()
    return stored


def upload_update(*, token: str, **details) -> None:
    """Add or replace details of a stored upload; its hour starts again."""
    stored = upload_load(token=token)
    cache.set(f"lead-import:{token}", {**stored, **details}, timeout=UPLOAD_TTL_SECONDS)


def upload_import_claim(*, token: str) -> bool:
    """True for the one request that may import this upload now (a double click must not import twice)."""
    return cache.add(f"lead-import:{token}:lock", 1, timeout=IMPORT_LOCK_SECONDS)


def upload_import_release(*, token: str) -> None:
    cache.delete(f"lead-import:{token}:lock")


def require_importer(*, by, dealer: Dealer) -> None:
    """Sales managers and dealer admins of the dealer; OEM admins anywhere."""
    require(can_import_at(access_for(by), dealer.id))


@dataclass
class RowCheck:
    number: int  # 1-based data row, as the user counts below the header
    values: dict
    line: int = 0  # where the row is in the file: the spreadsheet's row number, the CSV line
    errors: list[str] = field(default_factory=list)
    # The mapped field each error is about, in the same order as `errors`.
    error_fields: list[str] = field(default_factory=list)

    def fail(self, field_name: str, message: str) -> None:
        self.errors.append(message)
        self.error_fields.append(field_name)


def rows_validate(*, table: Table, mapping: dict[str, int | None]) -> list[RowCheck]:
    """Every row checked before anything is written: a name, a phone or an email (a lead must be
    contactable), each normalisable, a grade one of the open grades."""
    checks = []
    for number, row in enumerate(table.rows, start=1):
        values = {
            name: (row[index] if index is not None and index < len(row) else "")
            for name, index in mapping.items()
        }
        line = table.row_numbers[number - 1] if len(table.row_numbers) >= number else number + 1
        check = RowCheck(number=number, values=values, line=line)
        if not values.get("name"):
            check.fail("name", _("Name is missing."))
        if not is_contactable(phones=[values.get("phone")], emails=[values.get("email")]):
            check.fail("phone", _("Phone and email are both missing: give at least one."))
        elif values.get("phone"):
            try:
                values["phone"] = phone_normalize(values["phone"])
            except InvalidPhone as error:
                check.fail("phone", str(error.message))
        if values.get("email"):
            try:
                values["email"] = email_normalize(values["email"])
            except InvalidEmail as error:
                check.fail("email", str(error.message))
        grade = (values.get("grade") or "").strip().upper()
        if grade and grade not in (Grade.O, Grade.H, Grade.A, Grade.B, Grade.C):
            check.fail("grade", _("Grade “%(grade)s” is not one of O, H, A, B, C.") % {"grade": grade})
        values["grade"] = grade
        checks.append(check)
    return checks


@dataclass
class RowImported:
    number: int
    lead_id: int
    created: bool
    line: int = 0


@transaction.atomic
def leads_import(
    *, by, dealer: Dealer, source: LeadSource, campaign: Campaign | None, rows: list[RowCheck]
) -> list[RowImported]:
    """Import the valid rows, all or nothing: any failure rolls every row back. Rows with errors must have
    been dropped by the caller (ApplicationError otherwise)."""
    require_importer(by=by, dealer=dealer)
    if any(row.errors for row in rows):
        raise ApplicationError(_("Fix or leave out the rows with errors first."))
    lead_type = CHANNEL_TYPES.get(source.channel, LeadType.INTERNET)
    # lead_grade is for sales staff: a dealer admin's list keeps its grades in the lead's note instead.
    access = access_for(by)
    may_grade = can_grade_imports_at(access, dealer.id)
    imported = []
    for row in rows:
        values = row.values
        capture = lead_capture(
            dealer=dealer,
            by=by,
            name=values["name"],
            type=lead_type,
            phones=[values["phone"]],
            emails=[values["email"]] if values.get("email") else [],
            source=source,
            campaign=campaign,
            external_id=(values.get("external_id") or "")[:100],
            models_of_interest=[values["model"][:60]] if values.get("model") else [],
            note=_import_note(values, with_grade=not may_grade),
            customer_details={"city": values["city"][:100]} if values.get("city") else None,
        )
        if capture.created and values.get("grade") and may_grade:
            # Only a new lead takes the list's grade: an existing one keeps its salesperson's judgement.
            lead_grade(
                lead=capture.lead, by=by, grade=values["grade"], reason=_("Grade from an imported list")
            )
        imported.append(
            RowImported(number=row.number, lead_id=capture.lead.id, created=capture.created, line=row.line)
        )
    return imported


def _import_note(values: dict, *, with_grade: bool) -> str:
    """The list's own note, plus the columns that have no field of their own on a lead."""
    parts = [values.get("note") or ""]
    if with_grade and values.get("grade"):
        parts.append(_("Grade in the list: %(grade)s") % {"grade": values["grade"]})
    if values.get("source"):
        parts.append(_("Source in the list: %(source)s") % {"source": values["source"]})
    if values.get("wechat"):
        parts.append(_("WeChat: %(wechat)s") % {"wechat": values["wechat"]})
    return "\n".join(part for part in parts if part)[:2000]
