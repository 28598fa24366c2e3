"""Reads for the campaign pages: which campaigns, segments and templates a user may see or use, and how
far a campaign got. Who sees what is crm/messaging/permissions.py.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from crm.core.exceptions import NotFound
from crm.messaging.models import Campaign, InboundMessage, MessageTemplate, OutboxMessage, Purpose, Segment
from crm.messaging.permissions import rights_for
from crm.messaging.services import rules
from crm.network.models import DEALER_MANAGER_ROLES, Role

Status = Campaign.Status


def campaigns_for_user(*, user, status: str | None = None) -> QuerySet[Campaign]:
    rights = rights_for(user)
    campaigns = Campaign.objects.select_related(
        "dealer", "segment", "template", "created_by", "approved_by"
    ).order_by("-created_at", "-id")
    if not rights.sees_everything:
        campaigns = campaigns.filter(dealer_id__in=rights.visible_dealer_ids)
    if status:
        campaigns = campaigns.filter(status=status)
    return campaigns


def campaign_get(*, user, campaign_id: int) -> Campaign:
    """The campaign if the user may see it; missing and not yours both raise NotFound."""
    campaign = campaigns_for_user(user=user).filter(id=campaign_id).first()
    if campaign is None:
        raise NotFound()
    return campaign


def campaign_counts(*, campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """{campaign id: {outbox status: count}} for several campaigns in one query (the list's mini-bars)."""
    counts: dict[int, dict[str, int]] = {campaign_id: {} for campaign_id in campaign_ids}
    if not campaign_ids:
        return counts
    rows = (
        OutboxMessage.objects.filter(campaign_id__in=campaign_ids)
        .values_list("campaign_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for campaign_id, status, n in rows:
        counts[campaign_id][status] = n
    return counts


def segments_for_campaign(*, user) -> QuerySet[Segment]:
    """Segments the user may start a campaign from: the dealers they manage (every one for an OEM admin,
    who also has the network's segments)."""
    rights = rights_for(user)
    segments = Segment.objects.select_related("dealer").order_by("dealer__name", "name", "id")
    if not rights.sees_everything:
        segments = segments.filter(dealer_id__in=rights.managed_dealer_ids)
    return segments


def templates_for_campaign(
    *, user, dealer_id: int | None = None, channel: str | None = None, any_dealer: bool = False
) -> QuerySet[MessageTemplate]:
    """Active templates a campaign of `dealer_id` may use: the dealer's own and the OEM's shared ones
    (a network campaign: the OEM's only). With `any_dealer`, those of every dealer the user manages."""
    templates = MessageTemplate.objects.filter(is_active=True).select_related("dealer")
    if any_dealer:
        rights = rights_for(user)
        if not rights.sees_everything:
            templates = templates.filter(Q(dealer__isnull=True) | Q(dealer_id__in=rights.managed_dealer_ids))
    else:
        templates = templates.filter(Q(dealer__isnull=True) | Q(dealer_id=dealer_id))
    if channel:
        templates = templates.filter(channel=channel)
    return templates.order_by("dealer_id", "name", "id")


def campaign_time_zone(campaign_or_segment) -> ZoneInfo:
    """The zone a campaign's schedule is given in: its dealer's, or the default for the network."""
    dealer = campaign_or_segment.dealer
    return ZoneInfo(dealer.time_zone if dealer else settings.MESSAGING_DEFAULT_TIME_ZONE)


def campaign_quiet_start(*, purpose: str, at: datetime | None, zone: ZoneInfo) -> datetime | None:
    """When a campaign of `purpose` meant to start at `at` really starts sending, if the quiet hours hold
    it back (marketing only); None when they do not."""
    if purpose != Purpose.MARKETING or at is None:
        return None
    return rules.quiet_hours_end(at=at, time_zone=zone.key)


def quiet_hours_label() -> str:
    """The quiet hours as people read them: "21:00–08:00"."""
    start, end = settings.MESSAGING_QUIET_HOURS
    return "" if start == end else f"{start}–{end}"


def campaign_approvers(*, campaign: Campaign) -> list:
    """The people who may approve the campaign now (its creator never may): the dealer's managers, or the
    OEM admins for a network campaign."""
    User = get_user_model()
    if campaign.dealer_id is None:
        holders = Q(role_assignments__role=Role.OEM_ADMIN, role_assignments__is_active=True)
    else:
        holders = Q(
            role_assignments__role__in=DEALER_MANAGER_ROLES,
            role_assignments__dealer_id=campaign.dealer_id,
            role_assignments__is_active=True,
        )
    return list(
        User.objects.filter(holders, is_active=True)
        .exclude(id=campaign.created_by_id)
        .distinct()
        .order_by("first_name", "last_name", "username")[:10]
    )


def campaign_messages_latest(*, campaign: Campaign, limit: int = 50) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(campaign=campaign)
        .only(
            "id",
            "status",
            "reason",
            "recipient",
            "channel",
            "last_error",
            "created_at",
            "sent_at",
            "delivered_at",
            "opted_out_at",
        )
        .order_by("-id")[:limit]
    )


def campaign_replies(*, campaign: Campaign, limit: int = 200) -> list[InboundMessage]:
    return list(InboundMessage.objects.filter(campaign=campaign).order_by("-received_at", "-id")[:limit])


def recipient_mask(value: str) -> str:
    """A phone number or email shown to staff without exposing it whole: +86 138****5678, wa***@qq.com."""
    value = (value or "").strip()
    if not value:
        return ""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:2]}***@{domain}"
    digits = value.lstrip("+")
    prefix = ""
    if value.startswith("+86") and len(digits) == 13:
        prefix, digits = "+86 ", digits[2:]
    elif value.startswith("+") and len(digits) > 10:
        country = len(digits) - 10
        prefix, digits = f"+{digits[:country]} ", digits[country:]
    if len(digits) <= 4:
        return prefix + "*" * len(digits)
    shown_end = 4 if len(digits) >= 8 else 2
    shown_start = 3 if len(digits) >= 10 else 1 if len(digits) >= 7 else 0
    return prefix + digits[:shown_start] + "*" * (len(digits) - shown_start - shown_end) + digits[-shown_end:]


def campaign_progress(*, campaign: Campaign) -> dict:
    """Counts for the progress bar: by status, suppressions by reason, opt-outs and replies."""
    rows = (
        OutboxMessage.objects.filter(campaign=campaign)
        .values("status", "reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_status: dict[str, int] = {}
    suppressed: dict[str, int] = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        if row["status"] == OutboxMessage.Status.SUPPRESSED:
            suppressed[row["reason"]] = suppressed.get(row["reason"], 0) + row["n"]
    listed = sum(by_status.values())
    # Queued messages not yet due: marketing held back by the quiet hours (never tried yet: a claim that
    # puts a message back for the quiet hours gives its attempt back), or a retry's back-off after a
    # gateway error (tried before).
    never_tried, tried = Q(attempts=0), Q(attempts__gt=0)
    waiting = OutboxMessage.objects.filter(
        campaign=campaign, status=OutboxMessage.Status.QUEUED, scheduled_at__gt=timezone.now()
    ).aggregate(
        quiet=Count("id", filter=never_tried),
        quiet_until=Min("scheduled_at", filter=never_tried),
        retry=Count("id", filter=tried),
        retry_until=Min("scheduled_at", filter=tried),
    )
    total = (
        campaign.recipients if campaign.snapshot_done_at else max(listed, campaign.segment.last_count or 0)
    )
    finished = sum(
        by_status.get(s, 0) for s in ("sent", "delivered", "failed", "suppressed", "uncertain", "cancelled")
    )
    return {
        "listed": listed,
        "total": total,
        "is_listing": campaign.snapshot_done_at is None and campaign.status == Status.SENDING,
        "by_status": by_status,
        "suppressed": suppressed,
        "finished": finished,
        "percent": 100
        if total == 0 and campaign.status == Status.COMPLETED
        else (int(finished * 100 / total) if total else 0),
        "waiting": waiting["quiet"] + waiting["retry"],
        "waiting_until": min(filter(None, [waiting["quiet_until"], waiting["retry_until"]]), default=None),
        "held_quiet": waiting["quiet"],
        "held_quiet_until": waiting["quiet_until"],
        "held_retry": waiting["retry"],
        "held_retry_until": waiting["retry_until"],
        "opt_outs": OutboxMessage.objects.filter(campaign=campaign, opted_out_at__isnull=False).count(),
        "replies": campaign.replies.count(),
    }
