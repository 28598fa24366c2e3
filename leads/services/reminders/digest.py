"""The morning digest: each salesperson's day (follow-ups overdue and due today, new leads) when the
dealer's business day opens, in the dealer's time zone and the salesperson's language."""

from datetime import date, datetime, timedelta
from datetime import time as clock_time

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from crm.core.names import customer_name
from crm.core.scope import network_wide
from crm.messaging.services.notifications import staff_notify
from crm.network.models import RoleAssignment
from leads import sla
from leads.models import OPEN_STAGES, FollowUp, Lead, Stage
from leads.services.common import CALLBACK_REASONS
from leads.services.reminders.common import (
    DealerClock,
    chunks,
    language_of,
    lead_path,
    logger,
    pairs_due,
    site_url,
    users_by_id,
    when,
)
from leads.services.reminders.queries import DIGEST_SQL

DIGEST_TOP = 5


def digest_opening(dealer: DealerClock, now: datetime) -> tuple[date, datetime] | None:
    """The dealer's local date and its first opening that day, or None when it does not open that day."""
    local_date = now.astimezone(dealer.zone).date()
    midnight = datetime.combine(local_date, clock_time(0), tzinfo=dealer.zone)
    try:
        opening = sla.next_opening(midnight, business_hours=dealer.business_hours, time_zone=dealer.time_zone)
    except ValueError:
        return None
    if opening.astimezone(dealer.zone).date() != local_date:
        return None
    return local_date, opening


def digests_send(*, dealers: dict[int, DealerClock], now: datetime, limit: int) -> int:
    """One batch of morning digests, to salespeople of dealers whose business day opened within
    LEAD_DIGEST_WINDOW_MINUTES (a late digest beats none; a digest at noon is noise)."""
    window = timedelta(minutes=settings.LEAD_DIGEST_WINDOW_MINUTES)
    due = {}
    for dealer in dealers.values():
        opened = digest_opening(dealer, now)
        if opened is not None and opened[1] <= now < opened[1] + window:
            due[dealer.id] = opened[0].isoformat()
    if not due:
        return 0
    rows = pairs_due(
        DIGEST_SQL,
        {"digest_dealers": list(due), "local_dates": list(due.values()), "limit": limit},
        reason="staff reminders: morning digests",
    )
    handled = 0
    for chunk in chunks(rows):
        with network_wide(reason="staff reminders: morning digests"):
            users = users_by_id(user_id for user_id, _dealer, _day in chunk)
            days = [
                (
                    users[user_id],
                    dealers[dealer_id],
                    day,
                    _digest_contents(users[user_id], dealers[dealer_id], now),
                )
                for user_id, dealer_id, day in chunk
            ]
        for user, dealer, local_date, contents in days:
            language = language_of(user)
            try:
                with translation.override(language):
                    message = _digest_message(contents, dealer, now)
                staff_notify(
                    user=user,
                    key=f"digest:{user.id}:{local_date}",
                    email=bool(contents["total"]),
                    language=language,
                    **message,
                )
            except Exception:  # one salesperson's broken digest must not hold up the others'
                logger.exception("morning digest for user %s failed", user.id)
                continue
            handled += 1
    return handled


def _digest_contents(user, dealer: DealerClock, now: datetime) -> dict:
    """What the salesperson's day holds: follow-ups overdue and due today (first responses show as new
    leads instead), and new leads waiting for a first contact (theirs, or unowned at their dealers)."""
    local_date = now.astimezone(dealer.zone).date()
    day_end = datetime.combine(local_date + timedelta(days=1), clock_time(0), tzinfo=dealer.zone)
    follow_ups = (
        FollowUp.objects.filter(assigned_to=user, done_at__isnull=True, due_at__lt=day_end)
        .exclude(reason=FollowUp.Reason.FIRST_RESPONSE)
        .filter(Q(lead__stage__in=OPEN_STAGES) | Q(lead__stage=Stage.DELIVERED, reason__in=CALLBACK_REASONS))
        .select_related("lead__customer")
        .order_by("due_at", "id")
    )
    sales_dealers = RoleAssignment.objects.filter(user=user, role="salesperson", is_active=True).values(
        "dealer_id"
    )
    new_leads = Lead.objects.filter(
        Q(owner=user) | Q(owner__isnull=True),
        stage=Stage.NEW,
        first_contact_at__isnull=True,
        dealer_id__in=sales_dealers,
    )
    sections = {}
    for name, rows in (
        ("overdue", follow_ups.filter(due_at__lt=now)),
        ("today", follow_ups.filter(due_at__gte=now)),
        ("new", new_leads.select_related("customer", "source").order_by("arrived_at", "id")),
    ):
        top = list(rows[: DIGEST_TOP + 1])
        sections[name] = (rows.count() if len(top) > DIGEST_TOP else len(top), top[:DIGEST_TOP])
    counts = {name: count for name, (count, _top) in sections.items()}
    return {
        "overdue": sections["overdue"][1],
        "today": sections["today"][1],
        "new_leads": sections["new"][1],
        "counts": counts,
        "total": sum(counts.values()),
    }


def _digest_message(contents: dict, dealer: DealerClock, now: datetime) -> dict:
    counts = contents["counts"]
    title = _("Your day: %(today)s follow-ups today · %(overdue)s overdue · %(new)s new leads") % counts

    def lines(items, describe) -> list[dict]:
        return [describe(item) for item in items]

    def follow_up_line(follow_up):
        return {
            "when": when(follow_up.due_at, dealer, now),
            "name": customer_name(follow_up.lead.customer),
            "what": follow_up.get_reason_display(),
            "url": site_url(lead_path(follow_up.lead_id)),
        }

    def lead_line(lead):
        due = lead.sla_due_at
        return {
            "when": when(due, dealer, now) if due else "",
            "name": customer_name(lead.customer),
            "what": lead.source.name if lead.source else lead.get_type_display(),
            "url": site_url(lead_path(lead.id)),
        }

    sections = [
        (_("Overdue"), counts["overdue"], lines(contents["overdue"], follow_up_line)),
        (_("Follow-ups today"), counts["today"], lines(contents["today"], follow_up_line)),
        (_("New leads waiting for a first contact"), counts["new"], lines(contents["new_leads"], lead_line)),
    ]
    bell, text = [], []
    for heading, count, items in sections:
        if not count:
            continue
        bell.append(f"{heading}: {count}")
        bell.extend(f"  {item['when']} {item['name']} · {item['what']}".rstrip() for item in items)
        text.append(f"{heading} ({count})")
        text.extend(f"- {item['when']} {item['name']} · {item['what']}\n  {item['url']}" for item in items)
        if count > len(items):
            text.append("  " + _("and %(more)s more") % {"more": count - len(items)})
        text.append("")
    if not bell:
        bell.append(_("Nothing is due today."))
    context = {
        "title": title,
        "sections": sections,
        "dealer": dealer.name,
        "my_day": site_url(reverse("leads:my_day")),
    }
    return {
        "kind": "digest",
        "title": title,
        "body": "\n".join(bell),
        "link": reverse("leads:my_day"),
        "email_body": "\n".join(text + [_("Your day: %(url)s") % {"url": context["my_day"]}]),
        "email_html": render_to_string("messaging/notifications/email_digest.html", context),
    }
