"""Reminders to staff: an in-app notification (the bell) and, where wanted, an email, each exactly once
per key however often beat and the workers restart. The reads (the badge, the lists) are in
selectors/notifications.py.

A notification belongs to one user and is only ever read or changed by that user: every read and write
here filters on the user, so another user's notification looks missing (404), never forbidden.
"""

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm.core.exceptions import NotFound
from crm.core.scope import network_wide
from crm.messaging.models import Notification, Purpose
from crm.messaging.services.outbox import message_enqueue


def staff_notify(
    *,
    user,
    key: str,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    email: bool = False,
    email_body: str | None = None,
    email_html: str = "",
    language: str = "en",
) -> bool:
    """Notify `user` once per `key`. Returns False when that notification already exists.

    The notification and its email (with `email=True` and an address) are written in one transaction,
    so both exist or neither does, and the email's idempotency key (`staff:<key>`) is written only by the
    caller that created the notification: concurrent callers with the same key wait on each other and
    all but one get False. The email carries `email_body` (default: `body`) and a link that opens the
    notification (marking it read) and then `link`."""
    with network_wide(reason="staff notification"), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Notification._meta.db_table} (user_id, key, kind, title, body, link, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, now()) ON CONFLICT (key) DO NOTHING RETURNING id",
            [user.id, key[:160], kind, title[:300], body, link[:300]],
        )
        row = cursor.fetchone()
        if row is None:
            return False
        if email and user.email:
            url = ""
            if link:
                url = settings.SITE_URL.rstrip("/") + reverse("messaging:notification_open", args=[row[0]])
            text = body if email_body is None else email_body
            message_enqueue(
                idempotency_key=f"staff:{key}"[:160],
                kind=kind,
                channel="email",
                purpose=Purpose.STAFF,
                recipient=user.email,
                subject=title,
                body_text=f"{text}\n\n{url}".strip(),
                body_html=email_html,
                user_id=user.id,
                language=language,
            )
        return True


def notification_open(*, user, notification_id: int) -> Notification:
    """The user's notification, marked read now if it was unread. Someone else's is NotFound."""
    notification = Notification.objects.filter(user=user, id=notification_id).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(id=notification.id, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications read (all, or those of `notification_ids` that are theirs)."""
    notifications = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        notifications = notifications.filter(id__in=notification_ids)
    return notifications.update(read_at=timezone.now())
