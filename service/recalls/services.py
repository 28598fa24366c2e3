"""Every write of recalls (plain functions, keyword-only, one transaction each).

Guarantees
- A VIN list upload reports every row: accepted (added, already in the campaign, or not in the system),
  blank, a duplicate of an earlier row, or rejected with its reason (not 17 characters, I/O/Q, a wrong
  check digit). VINs are normalised first (full-width characters, lower case, spaces, dashes) and never
  "corrected" (an O is not turned into a 0). Uploading the same list again adds nothing: one row per
  campaign and vehicle, one per campaign and unmatched VIN, both unique in the database.
- A rule adds the vehicles it selects, once each; a VIN that arrives in the system later is matched by the
  next upload or rule run, and leaves the unmatched list.
- Owners are notified once per campaign and vehicle (the outbox's idempotency key), as service messages:
  the consent rules of service messages apply (an opt-out is respected, and re-checked when sent).
- Completion (the timeline subscriber on settled repair orders): a settled order at any dealer carrying one
  of an active campaign's remedy operations on an affected vehicle completes it; a later one is recorded and
  flagged as a second remedy; one remedy row per campaign and order, so a redelivered event changes nothing.
"""

import unicodedata
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from crm.core.exceptions import NotFound
from crm.core.scope import network_wide
from crm.core.spreadsheets import read_table
from crm.customers.exceptions import InvalidVin
from crm.customers.models import Consent, ContactPoint, Vehicle
from crm.customers.normalize import vin_normalize
from crm.messaging.models import Purpose
from crm.messaging.services.outbox import message_enqueue
from crm.network.access import access_for
from service.models import RecallCampaign, RecallRemedy, RecallUnmatchedVin, RecallUpload, RecallVehicle
from service.recalls.exceptions import (
    DeclineNoteMissing,
    RecallCodeTaken,
    RecallNotActive,
    RecallRemedyMissing,
    RecallRuleEmpty,
    RecallRuleInvalid,
    RecallVehicleNotOpen,
)
from service.recalls.permissions import can_record_decline, can_run_recalls, require

VIN_HEADERS = {"vin", "vin码", "vin号", "车架号", "车辆识别代号", "车辆识别码", "底盘号"}
Status = RecallVehicle.Status


def _codes(values) -> list[str]:
    """Operation codes as the workshop stores them (upper case, trimmed), without duplicates, in order."""
    seen = []
    for value in values or []:
        code = str(value).strip().upper()[:40]
        if code and code not in seen:
            seen.append(code)
    return seen


@transaction.atomic
def recall_create(
    *,
    by,
    code: str,
    title: str,
    remedy_operation_codes: list[str],
    description: str = "",
    rule_models: list[str] = (),
    rule_year_from: int | None = None,
    rule_year_to: int | None = None,
    rule_vin_from: str = "",
    rule_vin_to: str = "",
) -> RecallCampaign:
    require(can_run_recalls(access_for(by)))
    remedies = _codes(remedy_operation_codes)
    if not remedies:
        raise RecallRemedyMissing()
    vin_from, vin_to = (rule_vin_from or "").strip().upper(), (rule_vin_to or "").strip().upper()
    if (
        (vin_from and len(vin_from) != 17)
        or (vin_to and len(vin_to) != 17)
        or (vin_from and vin_to and vin_range_key(vin_from) > vin_range_key(vin_to))
    ):
        raise RecallRuleInvalid(field="rule_vin_from")
    if rule_year_from and rule_year_to and rule_year_from > rule_year_to:
        raise RecallRuleInvalid(field="rule_year_from")
    try:
        with transaction.atomic():
            return RecallCampaign.objects.create(
                code=code.strip().upper()[:30],
                title=title.strip()[:200],
                description=description.strip(),
                remedy_operation_codes=remedies,
                rule_models=[m.strip() for m in rule_models if m.strip()],
                rule_year_from=rule_year_from,
                rule_year_to=rule_year_to,
                rule_vin_from=vin_from,
                rule_vin_to=vin_to,
                created_by=by,
            )
    except IntegrityError as error:
        raise RecallCodeTaken() from error


def vin_range_key(vin: str) -> str:
    """A VIN without its check digit (position 9), which would scatter a maker's serial range: a recall range
    is a range of the other 16 characters."""
    return vin[:8] + vin[9:]


# --- VIN lists ----------------------------------------------------------------------------------------------


@dataclass
class VinList:
    """What a VIN list says, row by row (pure: no database)."""

    rows: int = 0
    vins: dict[str, int] = field(default_factory=dict)  # valid VIN -> first row it is on
    duplicates: int = 0
    blanks: int = 0
    rejected: list[dict] = field(default_factory=list)


def vin_clean(raw: str) -> str:
    """Full-width letters and digits to ASCII, then the customer record's VIN rules (raises InvalidVin)."""
    return vin_normalize(unicodedata.normalize("NFKC", raw or ""))


def vin_list_read(*, headers: list[str], rows: list[list[str]], row_numbers: list[int]) -> VinList:
    """The VINs of a table: the column headed VIN/车架号 (else the first); a header that is itself a VIN is a
    file without a header row, and counts as its first row."""
    column = next(
        (i for i, header in enumerate(headers) if header.strip().lower().replace(" ", "") in VIN_HEADERS), 0
    )
    numbered = list(zip(row_numbers, (row[column] if column < len(row) else "" for row in rows), strict=True))
    try:
        vin_clean(headers[column])
        numbered.insert(0, ((row_numbers[0] - 1) if row_numbers else 1, headers[column]))
    except InvalidVin:
        pass
    result = VinList()
    previous = None
    for number, raw in numbered:
        if previous is not None and number - previous > 1:
            result.blanks += number - previous - 1  # empty lines the reader skipped
            result.rows += number - previous - 1
        previous = number
        result.rows += 1
        if not raw.strip():
            result.blanks += 1
            continue
        try:
            vin = vin_clean(raw)
        except InvalidVin as error:
            result.rejected.append({"row": number, "value": raw[:40], "reason": str(error.message)})
            continue
        if vin in result.vins:
            result.duplicates += 1
            continue
        result.vins[vin] = number
    return result


def _responsible_dealer(vehicle_row: dict) -> int | None:
    return vehicle_row["selling_dealer_id"] or vehicle_row["recorded_by_dealer_id"]


def _vehicles_add(campaign: RecallCampaign, vehicles: list[dict], added_by: str) -> tuple[int, int]:
    """Add the vehicles (dicts of id, selling_dealer_id, recorded_by_dealer_id) not yet in the campaign.
    Returns (added, already)."""
    present = set(
        RecallVehicle.objects.filter(
            campaign=campaign, vehicle_id__in=[v["id"] for v in vehicles]
        ).values_list("vehicle_id", flat=True)
    )
    new = [
        RecallVehicle(
            campaign=campaign, vehicle_id=v["id"], dealer_id=_responsible_dealer(v), added_by=added_by
        )
        for v in vehicles
        if v["id"] not in present
    ]
    created = RecallVehicle.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(created), len(present)


VEHICLE_COLUMNS = ("id", "vin", "selling_dealer_id", "recorded_by_dealer_id")


@transaction.atomic
def recall_vins_upload(*, campaign: RecallCampaign, by, data: bytes, filename: str) -> RecallUpload:
    """Read a CSV/XLSX list of VINs into the campaign (see the module's guarantees). A file that cannot be
    read raises SpreadsheetError with a message for the user. Network-wide: vehicles of every dealer."""
    require(can_run_recalls(access_for(by)))
    table = read_table(data, filename=filename)
    listed = vin_list_read(headers=table.headers, rows=table.rows, row_numbers=table.row_numbers)
    with network_wide(reason="recall VIN list: vehicles of every dealer"):
        campaign = RecallCampaign.objects.select_for_update().get(id=campaign.id)
        vehicles = list(Vehicle.objects.filter(vin__in=list(listed.vins)).values(*VEHICLE_COLUMNS))
        added, already = _vehicles_add(campaign, vehicles, RecallVehicle.Added.UPLOAD)
        matched = {v["vin"] for v in vehicles}
        RecallUnmatchedVin.objects.filter(campaign=campaign, vin__in=matched).delete()
        unmatched = [vin for vin in listed.vins if vin not in matched]
        upload = RecallUpload.objects.create(
            campaign=campaign,
            filename=filename[:200],
            uploaded_by=by,
            rows=listed.rows,
            added=added,
            already=already,
            unmatched=len(unmatched),
            duplicates=listed.duplicates,
            blanks=listed.blanks,
            rejected=len(listed.rejected),
            rejected_rows=listed.rejected,
        )
        RecallUnmatchedVin.objects.bulk_create(
            [RecallUnmatchedVin(campaign=campaign, vin=vin, upload=upload) for vin in unmatched],
            ignore_conflicts=True,
            batch_size=1000,
        )
    return upload


@transaction.atomic
def recall_rule_apply(*, campaign: RecallCampaign, by) -> int:
    """Add every vehicle the campaign's rule selects (model codes, model years, VIN range). Returns how many
    were added now."""
    require(can_run_recalls(access_for(by)))
    conditions = Q()
    if campaign.rule_models:
        models = Q()
        for model in campaign.rule_models:
            models |= Q(model__iexact=model)
        conditions &= models
    if campaign.rule_year_from:
        conditions &= Q(year__gte=campaign.rule_year_from)
    if campaign.rule_year_to:
        conditions &= Q(year__lte=campaign.rule_year_to)
    if campaign.rule_vin_from:
        conditions &= Q(vin_key__gte=vin_range_key(campaign.rule_vin_from))
    if campaign.rule_vin_to:
        conditions &= Q(vin_key__lte=vin_range_key(campaign.rule_vin_to))
    if not conditions:
        raise RecallRuleEmpty()
    with network_wide(reason="recall rule: vehicles of every dealer"):
        campaign = RecallCampaign.objects.select_for_update().get(id=campaign.id)
        vehicles = list(
            Vehicle.objects.annotate(vin_key=Concat(Substr("vin", 1, 8), Substr("vin", 10, 8)))
            .filter(conditions)
            .values(*VEHICLE_COLUMNS)
        )
        added, _already = _vehicles_add(campaign, vehicles, RecallVehicle.Added.RULE)
        RecallUnmatchedVin.objects.filter(campaign=campaign, vin__in=[v["vin"] for v in vehicles]).delete()
    return added


# --- Owners ---------------------------------------------------------------------------------------------------

NOTICE_TEXT = {
    "en": "Safety recall {code}: {title}. Your vehicle {vin} is affected; the repair is free of charge. "
    "Please book it with your dealer.",
    "zh-hans": "安全召回 {code}：{title}。您的车辆（{vin}）在召回范围内，维修免费，请联系经销商预约。",
}


def recall_notify(*, campaign: RecallCampaign, by) -> dict[str, int]:
    """Tell the owners of the campaign's open, not yet notified vehicles, by SMS as a service message. Returns
    the count of each notice outcome written now."""
    require(can_run_recalls(access_for(by)))
    if campaign.status != RecallCampaign.Status.ACTIVE:
        raise RecallNotActive()
    counts = {value: 0 for value in RecallVehicle.Notice.values if value}
    with network_wide(reason="recall notices: owners of every dealer"), transaction.atomic():
        rows = list(
            RecallVehicle.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(campaign=campaign, status=Status.OPEN, notice="")
            .select_related("vehicle__owner")
            .order_by("id")
        )
        owner_ids = {row.vehicle.owner_id for row in rows if row.vehicle.owner_id}
        phones = dict(
            ContactPoint.objects.filter(
                customer_id__in=owner_ids, kind=ContactPoint.Kind.PHONE, is_invalid=False
            )
            .order_by("customer_id", "-is_primary", "id")
            .distinct("customer_id")
            .values_list("customer_id", "value")
        )
        opted_out = set(
            Consent.objects.filter(
                customer_id__in=owner_ids,
                channel="sms",
                purpose=Consent.Purpose.SERVICE,
                status=Consent.Status.OPT_OUT,
            ).values_list("customer_id", flat=True)
        )
        now = timezone.now()
        for row in rows:
            owner = row.vehicle.owner
            if owner is None or owner.id not in phones:
                notice = RecallVehicle.Notice.NO_CONTACT
            elif owner.id in opted_out:
                notice = RecallVehicle.Notice.OPTED_OUT
            else:
                language = owner.preferred_language if owner.preferred_language in NOTICE_TEXT else "zh-hans"
                body = NOTICE_TEXT[language].format(
                    code=campaign.code, title=campaign.title, vin=row.vehicle.vin
                )
                message_enqueue(
                    idempotency_key=f"recall:{campaign.id}:vehicle:{row.vehicle_id}",
                    kind="recall",
                    channel="sms",
                    purpose=Purpose.SERVICE,
                    recipient=phones[owner.id],
                    body_text=body,
                    customer_id=owner.id,
                    dealer_id=row.dealer_id,
                    language=language,
                    is_bulk=True,  # a recall's notices go out together: after the one-off messages
                )
                notice = RecallVehicle.Notice.QUEUED
            RecallVehicle.objects.filter(id=row.id).update(notice=notice, notified_at=now)
            counts[notice] += 1
    return counts


@transaction.atomic
def recall_decline(*, recall_vehicle: RecallVehicle, by, note: str) -> RecallVehicle:
    """The customer declines the recall repair: recorded with why (the vehicle stays on the list, and a later
    remedy still completes it)."""
    require(can_record_decline(access_for(by)))
    row = RecallVehicle.objects.select_for_update().filter(id=recall_vehicle.id).first()
    if row is None:
        raise NotFound()
    if row.status != Status.OPEN:
        raise RecallVehicleNotOpen()
    note = (note or "").strip()
    if not note:
        raise DeclineNoteMissing()
    row.status = Status.DECLINED
    row.declined_at = timezone.now()
    row.declined_note = note[:300]
    row.declined_by = by
    row.save(update_fields=["status", "declined_at", "declined_note", "declined_by"])
    return row


# --- Completion (timeline subscriber) -----------------------------------------------------------------------


def recall_remedies_record(
    *, repair_order_id: int, vehicle_id: int, dealer_id: int, operation_codes, settled_at
):
    """Record the remedies a settled order carried. Returns the RecallRemedy rows written now."""
    codes = _codes(operation_codes)
    if not codes:
        return []
    written = []
    rows = (
        RecallVehicle.objects.select_for_update()
        .filter(
            vehicle_id=vehicle_id,
            campaign__status=RecallCampaign.Status.ACTIVE,
            campaign__remedy_operation_codes__overlap=codes,
        )
        .select_related("campaign")
        .order_by("id")
    )
    for row in rows:
        if RecallRemedy.objects.filter(campaign_id=row.campaign_id, repair_order_id=repair_order_id).exists():
            continue
        is_repeat = row.status == Status.COMPLETED
        written.append(
            RecallRemedy.objects.create(
                campaign_id=row.campaign_id,
                recall_vehicle=row,
                repair_order_id=repair_order_id,
                dealer_id=dealer_id,
                operation_codes=[c for c in codes if c in row.campaign.remedy_operation_codes],
                settled_at=settled_at,
                is_repeat=is_repeat,
            )
        )
        if is_repeat:
            RecallVehicle.objects.filter(id=row.id).update(has_repeat_remedy=True)
        else:
            RecallVehicle.objects.filter(id=row.id).update(
                status=Status.COMPLETED,
                completed_at=settled_at,
                completed_by_dealer_id=dealer_id,
                completed_repair_order_id=repair_order_id,
            )
    return written


@transaction.atomic
def recall_on_settled(event) -> None:
    """Timeline subscriber (service.repair_order_settled)."""
    data = event.data
    recall_remedies_record(
        repair_order_id=data["repair_order"],
        vehicle_id=data["vehicle"],
        dealer_id=event.dealer_id,
        operation_codes=data.get("operation_codes", []),
        settled_at=event.occurred_at,
    )
