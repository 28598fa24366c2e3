"""The outbox: enqueue a message (a row first), claim due rows with SKIP LOCKED, send, record the outcome.

Guarantees
- A message is a row before anything is sent; its idempotency key is unique, so enqueueing twice is one row.
- Claiming happens in one short transaction that also re-checks consent, record state, quiet hours and
  the marketing frequency cap (per-customer advisory locks make the cap exact across workers).
- A channel that deduplicates (SMS with a client reference) may get the same message again after a crash.
  For one that does not (SMTP), the row is marked "handed" in its own commit just before the hand-off, so
  the sweeper knows which rows may have gone out: those become "uncertain" and are never re-sent.
- An outcome is written only by the claim that made it (attempt number), so a slow sender that lost its
  rows to the sweeper cannot overwrite a newer attempt.
- Two lanes per channel: one-off messages (staff reminders and escalations, a salesperson's text, a survey
  invitation) are claimed before any bulk row (campaigns, care programmes, recall notices), whatever their
  age, and have senders of their own on the realtime Celery queue (crm/celery.py), which never claim bulk
  rows. So a reminder due now waits for one batch at most, never behind a 100,000-message campaign, and
  bulk senders leave part of a channel's rate limit to it.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from crm.core.scope import network_wide
from crm.messaging.channels import channel_for
from crm.messaging.exceptions import PermanentFailure, TemporaryFailure
from crm.messaging.models import OutboxMessage, Purpose
from crm.messaging.services import rules

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status
DELIVER_TASK = "crm.messaging.tasks.outbox_deliver"
DELIVER_BULK_TASK = "crm.messaging.tasks.outbox_deliver_bulk"
TABLE = OutboxMessage._meta.db_table


@dataclass
class Claimed:
    id: int
    idempotency_key: str
    kind: str
    channel: str
    purpose: str
    recipient: str
    customer_id: int | None
    dealer_id: int | None
    campaign_id: int | None
    subject: str
    body_text: str
    body_html: str
    attempts: int


CLAIM_COLUMNS = (
    "id, idempotency_key, kind, channel, purpose, recipient, customer_id, dealer_id, campaign_id, "
    "subject, body_text, body_html, attempts"
)


def message_enqueue(
    *,
    idempotency_key: str,
    kind: str,
    channel: str,
    purpose: str,
    recipient: str,
    subject: str = "",
    body_text: str,
    body_html: str = "",
    customer_id: int | None = None,
    user_id: int | None = None,
    dealer_id: int | None = None,
    language: str = "en",
    scheduled_at: datetime | None = None,
    status: str = Status.QUEUED,
    reason: str = "",
    is_bulk: bool = False,
) -> OutboxMessage | None:
    """Write one message to the outbox in the caller's transaction and wake a sender after commit.
    Returns None when a message with this idempotency key already exists (it is never written twice).
    `is_bulk`: one of many written together (see the lanes above); it waits for the channel's one-off ones."""
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                idempotency_key=idempotency_key,
                kind=kind,
                channel=channel,
                purpose=purpose,
                recipient=recipient,
                subject=subject[:300],
                body_text=body_text,
                body_html=body_html,
                customer_id=customer_id,
                user_id=user_id,
                dealer_id=dealer_id,
                language=language,
                scheduled_at=scheduled_at or timezone.now(),
                status=status,
                reason=reason,
                is_bulk=is_bulk,
            )
    except IntegrityError:
        return None
    if status == Status.QUEUED:
        outbox_wake_after_commit(channel=channel, bulk=is_bulk)
    return message


def outbox_wake_after_commit(*, channel: str, bulk: bool = False) -> None:
    transaction.on_commit(partial(outbox_wake, channel=channel, bulk=bulk))


def outbox_wake(*, channel: str, senders: int = 1, bulk: bool = False) -> None:
    """Ask the workers to deliver due messages: the realtime lane's sender, or with `bulk` a bulk sender
    (which also takes one-off messages first). Only a wake-up call: losing it costs a tick's delay."""
    task = DELIVER_BULK_TASK if bulk else DELIVER_TASK
    for _ in range(senders):
        try:
            current_app.send_task(task, kwargs={"channel": channel})
        except Exception:  # a broker outage must not fail the committed request; the tick wakes them
            logger.exception("could not wake the %s sender", channel)
            return


def outbox_claim(*, channel: str, limit: int, bulk: bool = True) -> list[Claimed]:
    """Claim up to `limit` due messages of `channel` for this sender and apply the send-time rules.
    One-off messages come first, oldest first; with `bulk`, bulk rows fill the rest of the batch.
    Returns the messages to send now; the others were suppressed or put back to wait in this transaction."""
    with network_wide(reason="outbox: claim due messages"), connection.cursor() as cursor:
        claimed = _claim_lane(cursor, channel=channel, is_bulk=False, limit=limit)
        if bulk and len(claimed) < limit:
            claimed += _claim_lane(cursor, channel=channel, is_bulk=True, limit=limit - len(claimed))
        if not claimed:
            return []
        claimed.sort(key=lambda m: m.id)
        return _rules_apply(cursor, claimed)


def _claim_lane(cursor, *, channel: str, is_bulk: bool, limit: int) -> list[Claimed]:
    """One lane's due rows, in the order of the `outbox_due_by_lane` index (no sort of the queue)."""
    if limit <= 0:
        return []
    cursor.execute(
        f"""
        WITH due AS MATERIALIZED (
            SELECT o.id FROM {TABLE} AS o
             WHERE o.status = 'queued' AND o.channel = %s AND o.is_bulk = %s AND o.scheduled_at <= now()
               AND (o.campaign_id IS NULL OR EXISTS (
                     SELECT 1 FROM messaging_campaign AS c
                      WHERE c.id = o.campaign_id AND c.status = 'sending'))
             ORDER BY o.scheduled_at, o.id
             LIMIT %s
             FOR UPDATE OF o SKIP LOCKED
        )
        UPDATE {TABLE} AS m
           SET status = 'sending', claimed_at = now(), handed_at = NULL, attempts = m.attempts + 1
          FROM due
         WHERE m.id = due.id
     RETURNING {", ".join("m." + c.strip() for c in CLAIM_COLUMNS.split(","))}
        """,
        [channel, is_bulk, limit],
    )
    return [Claimed(*row) for row in cursor.fetchall()]


def _rules_apply(cursor, claimed: list[Claimed]) -> list[Claimed]:
    now = timezone.now()
    to_customers = [m for m in claimed if m.customer_id and m.purpose != Purpose.STAFF]
    suppressed: dict[int, str] = {}
    for channel in {m.channel for m in to_customers}:
        for purpose in {m.purpose for m in to_customers}:
            group = [m for m in to_customers if m.channel == channel and m.purpose == purpose]
            blocked = rules.consent_reasons(
                customer_ids={m.customer_id for m in group}, channel=channel, purpose=purpose
            )
            blocked |= rules.record_reasons(
                recipients={m.customer_id: m.recipient for m in group}, channel=channel
            )
            suppressed |= {m.id: blocked[m.customer_id] for m in group if m.customer_id in blocked}

    waiting: dict[int, datetime] = {}
    marketing = [m for m in to_customers if m.purpose == Purpose.MARKETING and m.id not in suppressed]
    if marketing:
        zones = rules.dealer_time_zones(m.dealer_id for m in marketing)
        for message in marketing:
            end = rules.quiet_hours_end(at=now, time_zone=zones.get(message.dealer_id))
            if end is not None:
                waiting[message.id] = end
        capped = [m for m in marketing if m.id not in waiting]
        suppressed |= _frequency_cap(cursor, capped, now)

    if suppressed:
        by_reason: dict[str, list[int]] = {}
        for message_id, reason in suppressed.items():
            by_reason.setdefault(reason, []).append(message_id)
        for reason, ids in by_reason.items():
            cursor.execute(
                f"UPDATE {TABLE} SET status = 'suppressed', reason = %s WHERE id = ANY(%s)", [reason, ids]
            )
    if waiting:
        by_time: dict[datetime, list[int]] = {}
        for message_id, end in waiting.items():
            by_time.setdefault(end, []).append(message_id)
        for end, ids in by_time.items():
            cursor.execute(
                f"UPDATE {TABLE} SET status = 'queued', scheduled_at = %s, attempts = attempts - 1, "
                f"claimed_at = NULL WHERE id = ANY(%s)",
                [end, ids],
            )
    return [m for m in claimed if m.id not in suppressed and m.id not in waiting]


def _frequency_cap(cursor, messages: list[Claimed], now: datetime) -> dict[int, str]:
    """At most N marketing messages per customer per window, across campaigns and workers. The advisory
    locks (taken in customer order, so two claimers cannot deadlock) make a concurrent claimer for the same
    customer wait until this claim commits, and then count it."""
    if not messages:
        return {}
    customer_ids = sorted({m.customer_id for m in messages})
    cursor.execute(
        "SELECT pg_advisory_xact_lock((%s::bigint << 40) + c) FROM unnest(%s::bigint[]) AS c ORDER BY c",
        [settings.MESSAGING_CAP_LOCK_SPACE, customer_ids],
    )
    claimed_ids = [m.id for m in messages]
    cursor.execute(
        f"""
        SELECT customer_id, count(*) FROM {TABLE}
         WHERE purpose = 'marketing' AND customer_id = ANY(%s) AND claimed_at > %s
           AND status IN ('sending', 'sent', 'delivered', 'uncertain') AND NOT (id = ANY(%s))
         GROUP BY customer_id
        """,
        [customer_ids, now - rules.frequency_window(), claimed_ids],
    )
    counts = dict(cursor.fetchall())
    capped = {}
    for message in messages:
        sent = counts.get(message.customer_id, 0)
        if sent >= settings.MESSAGING_FREQUENCY_CAP:
            capped[message.id] = OutboxMessage.Reason.FREQUENCY_CAP
        else:
            counts[message.customer_id] = sent + 1
    return capped


_redis = None


def rate_take(*, channel: str, wanted: int, bulk: bool = False) -> int:
    """How many messages this sender may hand to `channel` now, under its per-second limit shared by
    every worker (a Redis counter per second). Waits for the next second when this one is used up. A bulk
    sender stops at MESSAGING_REALTIME_RATE_SHARE short of the limit, so one-off messages always find room.
    Fails open when Redis is unreachable: the gateway's own limit is the backstop, a stalled outbox is worse."""
    global _redis
    per_second = settings.MESSAGING_RATE_LIMITS.get(channel) or 0
    if per_second <= 0:
        return wanted
    import redis

    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    ceiling = per_second
    if bulk:
        ceiling = max(1, per_second - max(1, round(per_second * settings.MESSAGING_REALTIME_RATE_SHARE)))
    wanted = min(wanted, ceiling)
    for _ in range(3):
        second = int(time.time())
        key = f"messaging:rate:{channel}:{second}"
        try:
            pipe = _redis.pipeline()
            pipe.incrby(key, wanted)
            pipe.expire(key, 5)
            used = pipe.execute()[0]
        except redis.RedisError:
            logger.warning("rate limiter unreachable; sending without it")
            return wanted
        granted = max(0, min(wanted, ceiling - (used - wanted)))
        if granted < wanted:
            _redis.decrby(key, wanted - granted)
        if granted:
            return granted
        time.sleep(max(0.0, second + 1 - time.time()))
    return 0


@dataclass
class Outcome:
    message: Claimed
    status: str
    provider_message_id: str = ""
    error: str = ""
    retry_at: datetime | None = None


def outbox_deliver_batch(*, channel: str, limit: int | None = None, bulk: bool = True) -> int:
    """Claim and send one batch of due messages on `channel` (one-off ones first; bulk rows too unless
    `bulk` is False, the realtime lane's sender). Returns how many were claimed."""
    limit = rate_take(channel=channel, wanted=limit or settings.MESSAGING_BATCH_SIZE, bulk=bulk)
    messages = outbox_claim(channel=channel, limit=limit, bulk=bulk)
    if not messages:
        return 0
    sender = channel_for(channel)
    if sender.deduplicates:
        # Handing the same message over twice is harmless here, so the batch goes out over several
        # connections at once (a real gateway answers in tens of milliseconds, not microseconds) and its
        # outcomes are written together.
        with ThreadPoolExecutor(max_workers=settings.MESSAGING_SEND_CONCURRENCY) as pool:
            _outcomes_write(list(pool.map(partial(_send_one, sender), messages)))
        return len(messages)
    outcomes: list[Outcome] = []
    for message in messages:
        # Record what is known, then mark this one handed off, in one commit, before the channel sees it.
        if not _outcomes_write(outcomes, handing=message):
            outcomes = []
            continue
        outcomes = [_send_one(sender, message)]
    _outcomes_write(outcomes)
    return len(messages)


def _send_one(sender, message: Claimed) -> Outcome:
    try:
        provider_id = sender.send(message)
    except PermanentFailure as error:
        return Outcome(message, Status.FAILED, error=str(error)[:2000])
    except TemporaryFailure as error:
        return _retry_or_fail(message, str(error))
    except Exception as error:  # an unexpected bug in a channel: retry a few times, then record it
        logger.exception("channel %s failed on outbox message %s", message.channel, message.id)
        return _retry_or_fail(message, f"{type(error).__name__}: {error}")
    return Outcome(message, Status.SENT, provider_message_id=provider_id[:120])


def _retry_or_fail(message: Claimed, error: str) -> Outcome:
    if message.attempts >= settings.MESSAGING_MAX_ATTEMPTS:
        return Outcome(
            message, Status.FAILED, error=f"gave up after {message.attempts} attempts: {error}"[:2000]
        )
    delay = min(settings.MESSAGING_RETRY_BASE_SECONDS * 2 ** (message.attempts - 1), 3600)
    return Outcome(
        message, Status.QUEUED, error=error[:2000], retry_at=timezone.now() + timedelta(seconds=delay)
    )


def _outcomes_write(outcomes: list[Outcome], handing: Claimed | None = None) -> bool:
    """Write outcomes (only where this claim still owns the row) and optionally mark `handing` as handed
    off, in one transaction. Returns False when `handing` is no longer ours (the sweeper took it back)."""
    if not outcomes and handing is None:
        return True
    with network_wide(reason="outbox: record outcomes"), connection.cursor() as cursor:
        sent = [o for o in outcomes if o.status == Status.SENT]
        if sent:
            cursor.execute(
                f"""
                UPDATE {TABLE} AS m
                   SET status = 'sent', sent_at = now(), provider_message_id = v.provider_id, last_error = ''
                  FROM unnest(%s::bigint[], %s::int[], %s::text[]) AS v(id, attempts, provider_id)
                 WHERE m.id = v.id AND m.attempts = v.attempts AND m.status IN ('sending', 'uncertain')
                """,
                [
                    [o.message.id for o in sent],
                    [o.message.attempts for o in sent],
                    [o.provider_message_id for o in sent],
                ],
            )
        for outcome in outcomes:
            if outcome.status == Status.SENT:
                continue
            cursor.execute(
                f"UPDATE {TABLE} SET status = %s, last_error = %s, scheduled_at = COALESCE(%s, scheduled_at) "
                f"WHERE id = %s AND attempts = %s AND status = 'sending'",
                [
                    outcome.status,
                    outcome.error,
                    outcome.retry_at,
                    outcome.message.id,
                    outcome.message.attempts,
                ],
            )
        if handing is None:
            return True
        cursor.execute(
            f"UPDATE {TABLE} SET handed_at = now() WHERE id = %s AND attempts = %s AND status = 'sending'",
            [handing.id, handing.attempts],
        )
        return cursor.rowcount == 1


def outbox_sweep_stale(*, older_than: timedelta | None = None, limit: int = 500) -> dict[str, int]:
    """Rows stuck in "sending" (their sender died): ask the provider where it can; a row never handed to a
    non-deduplicating channel goes back to the queue; one that was handed becomes "uncertain" and is not
    re-sent (the customer may have it; a duplicate marketing email is worse than a missing one)."""
    older_than = older_than or timedelta(seconds=settings.MESSAGING_SENDING_TIMEOUT_SECONDS)
    counts = {"requeued": 0, "sent": 0, "uncertain": 0}
    with network_wide(reason="outbox: sweep stale sends"):
        stale = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SENDING, claimed_at__lt=timezone.now() - older_than)
            .order_by("claimed_at")[:limit]
        )
        for message in stale:
            sender = channel_for(message.channel)
            if sender.deduplicates:
                provider_id = sender.lookup(message)
                if provider_id:
                    message.status, message.provider_message_id = Status.SENT, provider_id
                    message.sent_at = message.sent_at or timezone.now()
                    counts["sent"] += 1
                else:
                    message.status, message.scheduled_at = Status.QUEUED, timezone.now()
                    counts["requeued"] += 1
            elif message.handed_at is None:
                message.status, message.scheduled_at = Status.QUEUED, timezone.now()
                counts["requeued"] += 1
            else:
                message.status = Status.UNCERTAIN
                message.last_error = "The sender stopped while handing this message over; it may have been sent and is not sent again."
                counts["uncertain"] += 1
            message.save(
                update_fields=["status", "provider_message_id", "sent_at", "scheduled_at", "last_error"]
            )
    for channel in settings.MESSAGING_CHANNELS:
        if counts["requeued"]:
            outbox_wake(channel=channel)
            outbox_wake(channel=channel, bulk=True)
    return counts
