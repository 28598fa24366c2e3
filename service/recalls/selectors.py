"""Every read of recalls, scoped to the user: campaigns are readable by everyone who reads recalls; affected
vehicles, remedies and the reach-and-completion report only as far as the user's scope reaches (a dealer its
own, a region its dealers, the OEM all); uploads and unmatched VINs are the OEM's."""

from django.db.models import Count, Q, QuerySet

from crm.core.exceptions import NotFound
from crm.core.key_figures import on_local_days
from crm.network.access import access_for
from service.models import RecallCampaign, RecallUnmatchedVin, RecallUpload, RecallVehicle
from service.recalls import permissions

Status = RecallVehicle.Status
Notice = RecallVehicle.Notice


def _affected(user) -> QuerySet[RecallVehicle]:
    access = access_for(user)
    rows = RecallVehicle.objects.all()
    if not access.scope.network_wide:
        rows = rows.filter(dealer_id__in=access.scope.dealer_ids)
    return rows


def recalls_for_user(*, user) -> list[tuple[RecallCampaign, dict]]:
    """Campaigns, newest first, each with the user's share of its affected and completed vehicles."""
    if not permissions.can_read_recalls(access_for(user)):
        return []
    campaigns = list(RecallCampaign.objects.order_by("-created_at", "-id")[:100])
    counts = {
        row["campaign_id"]: row
        for row in _affected(user)
        .filter(campaign_id__in=[c.id for c in campaigns])
        .values("campaign_id")
        .annotate(affected=Count("id"), completed=Count("id", filter=Q(status=Status.COMPLETED)))
    }
    return [(c, counts.get(c.id, {"affected": 0, "completed": 0})) for c in campaigns]


def recall_get(*, user, recall_id: int) -> RecallCampaign:
    campaign = None
    if permissions.can_read_recalls(access_for(user)):
        campaign = RecallCampaign.objects.filter(id=recall_id).first()
    if campaign is None:
        raise NotFound()
    return campaign


def recall_vehicles(*, user, campaign: RecallCampaign, status: str = "") -> QuerySet[RecallVehicle]:
    rows = (
        _affected(user)
        .filter(campaign=campaign)
        .select_related(
            "vehicle", "vehicle__owner", "dealer", "completed_by_dealer", "completed_repair_order"
        )
    )
    if status in Status.values:
        rows = rows.filter(status=status)
    return rows.order_by("status", "vehicle__vin")


def recall_vehicle_get(*, user, recall_vehicle_id: int) -> RecallVehicle:
    row = None
    if permissions.can_read_recalls(access_for(user)):
        row = _affected(user).filter(id=recall_vehicle_id).select_related("campaign").first()
    if row is None:
        raise NotFound()
    return row


def recall_uploads(*, user, campaign: RecallCampaign) -> QuerySet[RecallUpload]:
    if not permissions.can_run_recalls(access_for(user)):
        return RecallUpload.objects.none()
    return campaign.uploads.select_related("uploaded_by").order_by("-uploaded_at", "-id")


def recall_unmatched(*, user, campaign: RecallCampaign) -> QuerySet[RecallUnmatchedVin]:
    if not permissions.sees_unmatched_vins(access_for(user)):
        return RecallUnmatchedVin.objects.none()
    return campaign.unmatched_vins.order_by("vin")


REPORT_GROUPS = {
    "dealer": ("dealer__region__name", "dealer__code", "dealer__name"),
    "region": ("dealer__region__name",),
}


def recall_report(*, user, campaign: RecallCampaign, by: str = "dealer") -> list[dict]:
    """Reach and completion per dealer (or region): affected vehicles, owners reached (a message sent), no
    contact or opted out, completed, declined, still open, and completion and reach as percentages. The rows
    with no responsible dealer (a vehicle no dealer sold or recorded) form their own row."""
    group = REPORT_GROUPS.get(by, REPORT_GROUPS["dealer"])
    rows = (
        _affected(user)
        .filter(campaign=campaign)
        .values(*group)
        .annotate(
            affected=Count("id"),
            reached=Count("id", filter=Q(notice=Notice.QUEUED)),
            unreachable=Count("id", filter=Q(notice__in=[Notice.NO_CONTACT, Notice.OPTED_OUT])),
            completed=Count("id", filter=Q(status=Status.COMPLETED)),
            declined=Count("id", filter=Q(status=Status.DECLINED)),
            repeats=Count("id", filter=Q(has_repeat_remedy=True)),
        )
        .order_by(*group)
    )
    report = []
    for row in rows:
        affected = row["affected"]
        report.append(
            {
                "region": row.get("dealer__region__name") or "",
                "dealer_code": row.get("dealer__code") or "",
                "dealer": row.get("dealer__name") or "",
                **{
                    key: row[key]
                    for key in ("affected", "reached", "unreachable", "completed", "declined", "repeats")
                },
                "open": affected - row["completed"] - row["declined"],
                "completion": round(row["completed"] / affected * 100, 1) if affected else None,
                "reach": round(row["reached"] / affected * 100, 1) if affected else None,
            }
        )
    return report


def recall_totals(report: list[dict]) -> dict:
    keys = ("affected", "reached", "unreachable", "completed", "declined", "repeats", "open")
    totals = {key: sum(row[key] for row in report) for key in keys}
    affected = totals["affected"]
    totals["completion"] = round(totals["completed"] / affected * 100, 1) if affected else None
    totals["reach"] = round(totals["reached"] / affected * 100, 1) if affected else None
    return totals


# --- Key figures' measures (crm/core/key_figures.py) -----------------------------------------------------------


def _recall_cohort(*, dealer_ids, first_day, last_day, completed: bool):
    rows = on_local_days(
        RecallVehicle.objects.filter(dealer__isnull=False),
        "added_at",
        dealer_ids=dealer_ids,
        first_day=first_day,
        last_day=last_day,
    )
    if completed:
        rows = rows.filter(status=Status.COMPLETED)
    for row in rows.values("dealer_id", "local_day").annotate(count=Count("id")).order_by():
        yield row["dealer_id"], row["local_day"], row["count"]


def measure_recall_vehicles_affected(*, dealer_ids, first_day, last_day):
    """Vehicles the dealer answers for, counted on the day they were added to a recall."""
    return _recall_cohort(dealer_ids=dealer_ids, first_day=first_day, last_day=last_day, completed=False)


def measure_recall_vehicles_completed(*, dealer_ids, first_day, last_day):
    """Of those, the ones completed so far (at any dealer), counted on the same day."""
    return _recall_cohort(dealer_ids=dealer_ids, first_day=first_day, last_day=last_day, completed=True)


def recalls_open_for_vehicle(*, user, vehicle_id: int) -> QuerySet[RecallVehicle]:
    """The vehicle's open recalls of active campaigns, for the workshop's check-in and the vehicle page: visible
    wherever the vehicle is (row-level security), whichever dealer answers for it."""
    if not permissions.can_read_recalls(access_for(user)):
        return RecallVehicle.objects.none()
    return (
        RecallVehicle.objects.filter(
            vehicle_id=vehicle_id, status=Status.OPEN, campaign__status=RecallCampaign.Status.ACTIVE
        )
        .select_related("campaign")
        .order_by("campaign__created_at")
    )
