"""Beat's jobs: no-shows past start + grace, and the day-before reminders through the outbox."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from crm.core.scope import network_wide
from crm.customers.models import ContactPoint
from crm.messaging.models import Purpose
from crm.messaging.services.outbox import message_enqueue
from crm.timeline.services import event_record
from service.appointments import events, selectors
from service.appointments.services.booking import start_text
from service.models import (
    Appointment,
    AppointmentSettings,
)

Status = Appointment.Status

JOB_BATCH = 1000


def appointments_mark_no_shows(*, now: datetime | None = None) -> int:
    """Mark as no-shows the booked appointments whose start plus their dealer's grace has passed without a
    check-in. Returns how many were marked now (a second run marks none of them again)."""
    now = now or timezone.now()
    marked = 0
    with network_wide(reason="appointments: mark the no-shows of every dealer"):
        rows = list(
            Appointment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("dealer")
            .filter(status=Status.BOOKED, starts_at__lt=now)
            .order_by("starts_at", "id")[:JOB_BATCH]
        )
        grace = dict(
            AppointmentSettings.objects.filter(dealer_id__in={r.dealer_id for r in rows}).values_list(
                "dealer_id", "no_show_grace_minutes"
            )
        )
        for appointment in rows:
            minutes = grace.get(appointment.dealer_id, AppointmentSettings.DEFAULT_GRACE_MINUTES)
            if appointment.starts_at + timedelta(minutes=minutes) >= now:
                continue
            Appointment.objects.filter(id=appointment.id, status=Status.BOOKED).update(
                status=Status.NO_SHOW, no_show_at=now, version=F("version") + 1, updated_at=now
            )
            event_record(
                customer_id=appointment.customer_id,
                kind=events.APPOINTMENT_NO_SHOW,
                dealer_id=appointment.dealer_id,
                data={"appointment": appointment.id, "starts_at_local": start_text(appointment)},
            )
            marked += 1
    return marked


REMINDER_TEXT = {
    "en": "Reminder from {dealer}: your service appointment is tomorrow, {day} at {time}, for {car}. "
    "To change it, call {phone}.",
    "zh-hans": "【{dealer}】温馨提示：您的爱车（{car}）已预约明天 {day} {time} 进店保养/维修。如需改期，请致电 {phone}。",
}
REMINDER_SUBJECT = {"en": "Your service appointment tomorrow", "zh-hans": "明日保养预约提醒"}


def reminder_text(appointment: Appointment) -> str:
    local = timezone.localtime(appointment.starts_at, ZoneInfo(appointment.dealer.time_zone))
    language = appointment.language if appointment.language in REMINDER_TEXT else "zh-hans"
    day = f"{local.month}月{local.day}日" if language == "zh-hans" else local.strftime("%a %d %b").replace(" 0", " ")
    return REMINDER_TEXT[language].format(
        dealer=appointment.dealer.name,
        day=day,
        time=local.strftime("%H:%M"),
        car=appointment.vehicle.plate or f"{appointment.vehicle.model} {appointment.vehicle.vin[-6:]}",
        phone=appointment.dealer.phone or "—",
    )


def reminder_key(appointment: Appointment) -> str:
    # One reminder per appointment and start: a rescheduled appointment is reminded of its new time.
    return f"appointment:{appointment.id}:reminder:{appointment.starts_at.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M}"


def appointment_reminders_queue(*, now: datetime | None = None) -> int:
    """Queue the day-before reminder of every booked appointment due tomorrow in its dealer's zone, once that
    dealer's local clock has passed the reminder hour: an SMS to the customer's phone (else an email), in
    the language they booked in, as a service message (the outbox applies the consent rules when it sends).
    Returns how many were queued now."""
    now = now or timezone.now()
    hour = int(getattr(settings, "SERVICE_APPOINTMENT_REMINDER_HOUR", 10))
    queued = 0
    with network_wide(reason="appointments: day-before reminders of every dealer"):
        rows = list(
            Appointment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("dealer", "vehicle")
            .filter(
                status=Status.BOOKED,
                reminder_queued_at__isnull=True,
                starts_at__gt=now,
                starts_at__lt=now + timedelta(days=2, hours=14),
            )
            .order_by("starts_at", "id")[:JOB_BATCH]
        )
        due = []
        for appointment in rows:
            local_now = now.astimezone(ZoneInfo(appointment.dealer.time_zone))
            if local_now.hour < hour:
                continue
            if selectors.local_day_of(appointment.dealer, appointment.starts_at) != local_now.date() + timedelta(days=1):
                continue
            due.append(appointment)
        contacts: dict[int, dict[str, str]] = {}
        for customer_id, kind, value in (
            ContactPoint.objects.filter(customer_id__in={a.customer_id for a in due}, is_invalid=False)
            .order_by("customer_id", "kind", "-is_primary", "id")
            .values_list("customer_id", "kind", "value")
        ):
            contacts.setdefault(customer_id, {}).setdefault(kind, value)
        for appointment in due:
            found = contacts.get(appointment.customer_id, {})
            channel, recipient = (
                ("sms", found[ContactPoint.Kind.PHONE])
                if ContactPoint.Kind.PHONE in found
                else ("email", found.get(ContactPoint.Kind.EMAIL, ""))
            )
            if recipient:
                language = appointment.language if appointment.language in REMINDER_TEXT else "zh-hans"
                message_enqueue(
                    idempotency_key=reminder_key(appointment),
                    kind="appointment_reminder",
                    channel=channel,
                    purpose=Purpose.SERVICE,
                    recipient=recipient,
                    subject=REMINDER_SUBJECT[language] if channel == "email" else "",
                    body_text=reminder_text(appointment),
                    customer_id=appointment.customer_id,
                    dealer_id=appointment.dealer_id,
                    language=language,
                )
                queued += 1
            # Marked even without an address: nobody to remind, and no reason to look again every tick.
            Appointment.objects.filter(id=appointment.id).update(reminder_queued_at=now)
    return queued
