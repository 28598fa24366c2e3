"""What every scan shares: the dealers' clocks, the batch query, and sending in the recipient's language."""

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import formats, translation

from crm.core.scope import network_wide
from crm.messaging.models import Notification
from crm.messaging.services.notifications import staff_notify
from crm.network.models import Dealer, RoleAssignment
from leads.models import OPEN_STAGES, FollowUp, Lead

logger = logging.getLogger("leads.services.reminders")
User = get_user_model()

BREACH_LOOKBACK = timedelta(days=1)
# How far back a scan looks for follow-ups that fell due while no scan ran (an outage of up to a week is
# caught up; older ones are on the notifications page and in the digest, not worth an email each).
OVERDUE_LOOKBACK = timedelta(days=7)
# A dealer is never closed longer than this in a row (leads/sla.py), so a regional escalation is due within it.
REGIONAL_LOOKBACK = timedelta(days=14)
# Rows read and sent together; a scan query fetches up to LEAD_REMINDER_BATCH pairs, sent chunk by chunk.
CHUNK = 100

TABLES = {
    "notification": Notification._meta.db_table,
    "user": User._meta.db_table,
    "role": RoleAssignment._meta.db_table,
    "dealer": Dealer._meta.db_table,
    "lead": Lead._meta.db_table,
    "follow_up": FollowUp._meta.db_table,
}


@dataclass(frozen=True)
class DealerClock:
    id: int
    name: str
    time_zone: str
    business_hours: dict

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


def pairs_due(sql: str, params: dict, *, reason: str) -> list[tuple]:
    """Run one scan query network-wide (the tables' names filled in)."""
    with network_wide(reason=reason), connection.cursor() as cursor:
        cursor.execute(sql.format(**TABLES), params)
        return cursor.fetchall()


def chunks(rows: list, size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def base_params(dealers: dict[int, DealerClock], now: datetime, limit: int) -> dict:
    return {"dealers": list(dealers), "now": now, "limit": limit, "open": list(OPEN_STAGES)}


def users_by_id(user_ids) -> dict[int, object]:
    return {u.id: u for u in User.objects.filter(id__in=set(user_ids)).select_related("staff_profile")}


def language_of(user) -> str:
    profile = getattr(user, "staff_profile", None)
    return profile.language if profile is not None else settings.LANGUAGE_CODE


def when(instant: datetime, dealer: DealerClock, now: datetime) -> str:
    """A time at the dealer: "10:30" today, with the date on another day (in the active language)."""
    local = instant.astimezone(dealer.zone)
    same_day = local.date() == now.astimezone(dealer.zone).date()
    return formats.date_format(local, "H:i" if same_day else "SHORT_DATETIME_FORMAT")


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def notify_each(pairs, load, compose) -> int:
    """Send each pair's notification, composed in the recipient's language, a chunk at a time: the
    chunk's rows (`load(ids)`) and recipients are read in one short transaction, then each notification
    is its own. Returns the pairs handled (sent, or found sent by someone else)."""
    handled = 0
    for chunk in chunks(pairs):
        with network_wide(reason="staff reminders: load"):
            objects = load({object_id for object_id, _user, _key in chunk})
            users = users_by_id(user_id for _object, user_id, _key in chunk)
        for object_id, user_id, key in chunk:
            user, item = users.get(user_id), objects.get(object_id)
            if user is None or item is None:
                continue
            language = language_of(user)
            try:
                with translation.override(language):
                    # An owner's key names the row only; a manager's fan-out key adds ":<user>".
                    message = compose(item, user, is_owner=key.count(":") == 1)
                    staff_notify(user=user, key=key, email=True, language=language, **message)
            except Exception:  # one broken row must not hold up everyone else's reminders
                logger.exception("staff reminder %s failed", key)
                continue
            handled += 1
    return handled


def lead_path(lead_id: int) -> str:
    return reverse("leads:detail", args=[lead_id])


def leads_load(ids) -> dict[int, Lead]:
    return Lead.objects.select_related("customer", "owner", "source").in_bulk(ids)


def dealer_clocks() -> dict[int, DealerClock]:
    with network_wide(reason="staff reminders: dealer clocks"):
        rows = Dealer.objects.filter(is_active=True).values_list("id", "name", "time_zone", "business_hours")
        return {row[0]: DealerClock(*row) for row in rows}
