"""Campaigns: draft → submitted → approved → sending (pause / resume) → completed, or cancelled.

Sending lists the recipients into the outbox in batches that walk the segment in customer-id order (the
cursor on the campaign makes a batch resumable after a crash) and renders each message as it is listed.
Celery tasks only wake this work up; the campaign row and the outbox say how far it got.
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.scope import network_wide
from crm.messaging.exceptions import CampaignStateError, PlaceholderMissing, PlaceholderUnknown
from crm.messaging.models import Campaign, MessageTemplate, OutboxMessage, Purpose, Segment
from crm.messaging.permissions import require_approve, require_manage
from crm.messaging.selectors.recipients import recipient_addresses, recipient_values
from crm.messaging.selectors.segments import segment_customers
from crm.messaging.services import rules
from crm.messaging.services.outbox import outbox_wake
from crm.messaging.services.rendering import message_render, placeholders_refuse

logger = logging.getLogger(__name__)

Status = Campaign.Status
SNAPSHOT_TASK = "crm.messaging.tasks.campaign_snapshot"


def _state(campaign: Campaign, *allowed: str) -> None:
    if campaign.status not in allowed:
        raise CampaignStateError(
            _("This campaign is %(status)s; that cannot be done now.")
            % {"status": campaign.get_status_display()}
        )


def _template_check(campaign: Campaign) -> None:
    """A template saved before its placeholders were checked this strictly is refused here, before anyone
    approves what would reach customers with literal braces."""
    template = campaign.template
    placeholders_refuse(template.subject_en, template.body_en, template.subject_zh, template.body_zh)


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def campaign_create(
    *, by, name: str, segment: Segment, template: MessageTemplate, scheduled_at: datetime | None
) -> Campaign:
    """A draft campaign for the segment's owner (a dealer, or the network when the segment has none)."""
    dealer_id = segment.dealer_id
    require_manage(user=by, dealer_id=dealer_id)
    if template.dealer_id not in (None, dealer_id):
        raise CampaignStateError(_("That template belongs to another dealer."))
    return Campaign.objects.create(
        dealer_id=dealer_id,
        name=name,
        segment=segment,
        template=template,
        channel=template.channel,
        purpose=template.purpose,
        scheduled_at=scheduled_at,
        created_by=by,
    )


@transaction.atomic
def campaign_submit(*, campaign: Campaign, by) -> Campaign:
    require_manage(user=by, dealer_id=campaign.dealer_id)
    campaign = _locked(campaign)
    _state(campaign, Status.DRAFT)
    _template_check(campaign)
    campaign.status, campaign.submitted_at, campaign.review_note = Status.PENDING_APPROVAL, timezone.now(), ""
    campaign.save(update_fields=["status", "submitted_at", "review_note"])
    return campaign


@transaction.atomic
def campaign_send_back(*, campaign: Campaign, by, note: str) -> Campaign:
    require_approve(user=by, campaign=campaign)
    campaign = _locked(campaign)
    _state(campaign, Status.PENDING_APPROVAL)
    campaign.status, campaign.review_note = Status.DRAFT, note[:500]
    campaign.save(update_fields=["status", "review_note"])
    return campaign


@transaction.atomic
def campaign_approve(*, campaign: Campaign, by) -> Campaign:
    """Approve; a campaign without a schedule (or whose time has come) starts sending at once."""
    require_approve(user=by, campaign=campaign)
    campaign = _locked(campaign)
    _state(campaign, Status.PENDING_APPROVAL)
    _template_check(campaign)
    campaign.status, campaign.approved_by, campaign.approved_at = Status.APPROVED, by, timezone.now()
    campaign.save(update_fields=["status", "approved_by", "approved_at"])
    if campaign.scheduled_at is None or campaign.scheduled_at <= timezone.now():
        _start(campaign)
    return campaign


def _start(campaign: Campaign) -> None:
    campaign.status, campaign.started_at, campaign.progress_at = (
        Status.SENDING,
        timezone.now(),
        timezone.now(),
    )
    campaign.save(update_fields=["status", "started_at", "progress_at"])
    transaction.on_commit(partial(_enqueue_snapshot, campaign.id))


def _enqueue_snapshot(campaign_id: int) -> None:
    try:
        current_app.send_task(SNAPSHOT_TASK, kwargs={"campaign_id": campaign_id})
    except Exception:  # the tick picks the campaign up again
        logger.exception("could not enqueue the snapshot of campaign %s", campaign_id)


@transaction.atomic
def campaign_pause(*, campaign: Campaign, by) -> Campaign:
    """Stop handing out this campaign's messages; the few already being sent finish."""
    require_manage(user=by, dealer_id=campaign.dealer_id)
    campaign = _locked(campaign)
    _state(campaign, Status.SENDING, Status.APPROVED)
    campaign.status = Status.PAUSED
    campaign.save(update_fields=["status"])
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, by) -> Campaign:
    require_manage(user=by, dealer_id=campaign.dealer_id)
    campaign = _locked(campaign)
    _state(campaign, Status.PAUSED)
    _start(campaign) if campaign.started_at is None else _resume(campaign)
    return campaign


def _resume(campaign: Campaign) -> None:
    campaign.status, campaign.progress_at = Status.SENDING, timezone.now()
    campaign.save(update_fields=["status", "progress_at"])
    if campaign.snapshot_done_at is None:
        transaction.on_commit(partial(_enqueue_snapshot, campaign.id))
    transaction.on_commit(partial(outbox_wake, channel=campaign.channel, senders=settings.MESSAGING_SENDERS, bulk=True))


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, by) -> Campaign:
    """Cancel: nothing more is listed or sent; messages already handed to the channel stay as they are."""
    require_manage(user=by, dealer_id=campaign.dealer_id)
    campaign = _locked(campaign)
    _state(campaign, Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.SENDING, Status.PAUSED)
    campaign.status, campaign.finished_at = Status.CANCELLED, timezone.now()
    campaign.save(update_fields=["status", "finished_at"])
    with network_wide(reason="campaign cancel: withdraw queued messages"):
        OutboxMessage.objects.filter(campaign=campaign, status=OutboxMessage.Status.QUEUED).update(
            status=OutboxMessage.Status.CANCELLED
        )
        campaign.summary = _summary(campaign)
    # Messages already being handed over finish after this; the tick counts them again then.
    campaign.summary_stale = campaign.summary.get(OutboxMessage.Status.SENDING, 0) > 0
    campaign.save(update_fields=["summary", "summary_stale"])
    return campaign


def _summary(campaign: Campaign) -> dict[str, int]:
    return dict(
        OutboxMessage.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )


def campaign_summaries_outdate(*, campaign_ids) -> None:
    """Messages of these campaigns changed (a delivery receipt): an ended campaign's stored counts are
    stale, and the tick counts them again. Runs in the caller's transaction, after its change, so a
    recount that missed the change is always followed by another."""
    Campaign.objects.filter(id__in=campaign_ids, summary__isnull=False, summary_stale=False).update(
        summary_stale=True
    )


def campaign_summaries_refresh(*, limit: int = 50) -> list[int]:
    """Count again the messages of ended campaigns whose counts went stale (run by the tick). A campaign
    with messages still being handed over stays stale until they are done."""
    refreshed = []
    with network_wide(reason="campaigns: recount late changes"):
        for campaign in Campaign.objects.select_for_update(skip_locked=True).filter(summary_stale=True)[
            :limit
        ]:
            campaign.summary = _summary(campaign)
            campaign.summary_stale = campaign.summary.get(OutboxMessage.Status.SENDING, 0) > 0
            campaign.save(update_fields=["summary", "summary_stale"])
            refreshed.append(campaign.id)
    return refreshed


def campaign_snapshot_batch(*, campaign_id: int, size: int | None = None) -> bool:
    """List the next batch of recipients into the outbox. Returns True when the listing is complete (or
    the campaign no longer sends). Safe to run twice or concurrently: the campaign row is locked for the
    batch and a message's idempotency key (campaign + customer) is unique."""
    size = size or settings.MESSAGING_SNAPSHOT_BATCH
    with network_wide(reason="campaign: list recipients"):
        campaign = (
            Campaign.objects.select_for_update().select_related("template").filter(id=campaign_id).first()
        )
        if campaign is None or campaign.snapshot_done_at is not None:
            return True
        if campaign.status != Status.SENDING:
            return campaign.status != Status.PAUSED
        customers = list(
            segment_customers(filters=campaign.segment.filters, dealer_id=campaign.dealer_id)
            .filter(id__gt=campaign.snapshot_cursor)
            .order_by("id")
            .only("id", "name", "city", "preferred_language", "origin_dealer_id")[:size]
        )
        OutboxMessage.objects.bulk_create(_messages_for(campaign, customers), ignore_conflicts=True)
        now = timezone.now()
        campaign.progress_at = now
        if customers:
            campaign.snapshot_cursor = customers[-1].id
        done = len(customers) < size
        if done:
            campaign.snapshot_done_at = now
            campaign.recipients = OutboxMessage.objects.filter(campaign=campaign).count()
        campaign.save(update_fields=["snapshot_cursor", "snapshot_done_at", "recipients", "progress_at"])
        transaction.on_commit(
            partial(outbox_wake, channel=campaign.channel, senders=settings.MESSAGING_SENDERS, bulk=True)
        )
        if not done:
            transaction.on_commit(partial(_enqueue_snapshot, campaign.id))
    return done


def _messages_for(campaign: Campaign, customers) -> list[OutboxMessage]:
    if not customers:
        return []
    ids = [c.id for c in customers]
    dealer_by_customer = {c.id: campaign.dealer_id or c.origin_dealer_id for c in customers}
    addresses = recipient_addresses(customer_ids=ids, channel=campaign.channel)
    values = recipient_values(customers=customers, dealer_by_customer=dealer_by_customer)
    blocked = rules.consent_reasons(customer_ids=ids, channel=campaign.channel, purpose=campaign.purpose)
    blocked = rules.record_reasons(recipients=addresses, channel=campaign.channel) | blocked
    zones = (
        rules.dealer_time_zones(dealer_by_customer.values()) if campaign.purpose == Purpose.MARKETING else {}
    )
    start = max(campaign.scheduled_at or timezone.now(), timezone.now())
    messages = []
    for customer in customers:
        key = f"campaign:{campaign.id}:customer:{customer.id}"
        message = OutboxMessage(
            idempotency_key=key,
            kind="campaign",
            channel=campaign.channel,
            purpose=campaign.purpose,
            customer_id=customer.id,
            dealer_id=dealer_by_customer[customer.id],
            campaign_id=campaign.id,
            is_bulk=True,
            language=customer.preferred_language or "en",
            recipient=addresses.get(customer.id, ""),
            scheduled_at=start,
        )
        reason = blocked.get(customer.id) or ("" if message.recipient else OutboxMessage.Reason.NO_ADDRESS)
        if not reason:
            try:
                rendered = message_render(
                    template=campaign.template,
                    language=message.language,
                    values=values.get(customer.id, {}),
                    idempotency_key=key,
                    channel=campaign.channel,
                    purpose=campaign.purpose,
                )
                message.subject, message.body_text, message.body_html = rendered
            except PlaceholderMissing as error:
                reason = OutboxMessage.Reason.MISSING_PLACEHOLDER
                message.last_error = str(error)
            except PlaceholderUnknown as error:
                reason = OutboxMessage.Reason.UNKNOWN_PLACEHOLDER
                message.last_error = str(error)
        if reason:
            message.status, message.reason = OutboxMessage.Status.SUPPRESSED, reason
        elif campaign.purpose == Purpose.MARKETING:
            end = rules.quiet_hours_end(at=start, time_zone=zones.get(message.dealer_id))
            message.scheduled_at = end or start
        messages.append(message)
    return messages


def campaigns_start_due() -> list[int]:
    """Approved campaigns whose time has come start sending (run by the tick)."""
    started = []
    with network_wide(reason="campaigns: start scheduled"):
        for campaign in Campaign.objects.select_for_update(skip_locked=True).filter(
            Q(scheduled_at__isnull=True) | Q(scheduled_at__lte=timezone.now()), status=Status.APPROVED
        ):
            _start(campaign)
            started.append(campaign.id)
    return started


def campaigns_resume_stalled(*, idle_seconds: int) -> list[int]:
    """Campaigns still listing recipients whose batch chain was lost (a killed worker, a restarted broker)."""
    stalled = []
    with network_wide(reason="campaigns: resume stalled listing"):
        for campaign_id in Campaign.objects.filter(
            status=Status.SENDING,
            snapshot_done_at__isnull=True,
            progress_at__lt=timezone.now() - timedelta(seconds=idle_seconds),
        ).values_list("id", flat=True):
            transaction.on_commit(partial(_enqueue_snapshot, campaign_id))
            stalled.append(campaign_id)
    return stalled


def campaigns_finish() -> list[int]:
    """Sending campaigns with every recipient listed and nothing queued or in flight are completed."""
    finished = []
    with network_wide(reason="campaigns: finish"):
        for campaign in Campaign.objects.select_for_update(skip_locked=True).filter(
            status=Status.SENDING, snapshot_done_at__isnull=False
        ):
            if not OutboxMessage.objects.filter(
                campaign=campaign, status__in=[OutboxMessage.Status.QUEUED, OutboxMessage.Status.SENDING]
            ).exists():
                campaign.status, campaign.finished_at = Status.COMPLETED, timezone.now()
                campaign.summary = _summary(campaign)
                campaign.save(update_fields=["status", "finished_at", "summary"])
                finished.append(campaign.id)
    return finished
