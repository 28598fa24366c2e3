"""Messaging: every message to a customer or a staff member is an outbox row first.

The outbox is the record of what was sent. Celery tasks are only wake-up calls: they claim queued rows
with FOR UPDATE SKIP LOCKED, check the rules again (consent, quiet hours, frequency cap), hand the message
to its channel and write the outcome. Campaigns snapshot their recipients into the outbox in batches.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Purpose(models.TextChoices):
    # The same words as Consent.Purpose: a customer message needs the consent of its purpose.
    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service and transactional")
    STAFF = "staff", _("Staff reminder")


class MessageTemplate(models.Model):
    """A message in English and Simplified Chinese with {{ placeholders }} (crm/messaging/services/rendering.py).
    A dealer's template belongs to it; an OEM template (no dealer) is shared with every dealer."""

    dealer = models.ForeignKey(
        "network.Dealer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dealer"),
    )
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(
        _("purpose"),
        max_length=10,
        choices=[(Purpose.MARKETING, Purpose.MARKETING.label), (Purpose.SERVICE, Purpose.SERVICE.label)],
    )
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("message (English)"), blank=True)
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=200, blank=True)
    body_zh = models.TextField(_("message (Chinese)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self) -> str:
        return self.name

    def texts(self, language: str) -> tuple[str, str]:
        """(subject, body) in `language`, falling back to the other language when one is empty."""
        english = (self.subject_en, self.body_en)
        chinese = (self.subject_zh, self.body_zh)
        first, second = (chinese, english) if language.startswith("zh") else (english, chinese)
        return first if first[1].strip() else second


class Segment(models.Model):
    """A saved filter on the one customer record (crm/messaging/registry.py holds the filters)."""

    dealer = models.ForeignKey(
        "network.Dealer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dealer"),
    )
    name = models.CharField(_("name"), max_length=200)
    # {"filter key": value, …}; each key is a registered filter, each value its cleaned form value.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    last_count = models.PositiveIntegerField(_("customers at last count"), null=True, blank=True)
    last_counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A bulk send: segment + template + channel + schedule, approved before it goes out."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved, scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    dealer = models.ForeignKey(
        "network.Dealer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dealer"),
    )
    name = models.CharField(_("name"), max_length=200)
    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("segment")
    )
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("template")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    scheduled_at = models.DateTimeField(_("send from"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    review_note = models.CharField(_("reviewer's note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # The recipient snapshot walks the segment in customer-id order; the cursor makes it resumable.
    snapshot_cursor = models.BigIntegerField(default=0)
    snapshot_done_at = models.DateTimeField(_("recipients listed at"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    # Outbox counts by status since the campaign ended, for lists; the campaign's own page counts live.
    # A later change of its messages (a delivery receipt, a send that was in flight at a cancel) marks the
    # summary stale, and the tick counts it again.
    summary = models.JSONField(null=True, blank=True)
    summary_stale = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [
            models.Index(fields=["status"], name="campaign_status"),
            models.Index(fields=["id"], name="campaign_summary_stale", condition=Q(summary_stale=True)),
        ]

    def __str__(self) -> str:
        return self.name


class CareProgram(models.Model):
    """A message sent on a customer's occasion (birthday, purchase anniversary, or a trigger another app
    registers: maintenance due, insurance renewal, survey invitation), once per customer and occasion."""

    dealer = models.ForeignKey(
        "network.Dealer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dealer"),
    )
    trigger = models.CharField(_("occasion"), max_length=40)
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.PROTECT, related_name="+", verbose_name=_("template")
    )
    send_hour = models.PositiveSmallIntegerField(_("send at (hour, dealer time)"), default=10)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_run_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["trigger", "id"]
        verbose_name = _("care message")
        verbose_name_plural = _("care messages")
        constraints = [
            models.CheckConstraint(condition=Q(send_hour__lte=23), name="care_send_hour_in_day"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger}: {self.template}"


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        # A message's "Delivered" (reached the phone) is not a lead's (the car handed over).
        DELIVERED = "delivered", pgettext_lazy("message status", "Delivered")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed")
        # Handed to a channel that cannot deduplicate (SMTP) when the sender died: maybe sent, not re-sent.
        UNCERTAIN = "uncertain", _("Uncertain (sender lost)")
        CANCELLED = "cancelled", _("Cancelled")

    class Reason(models.TextChoices):
        NO_CONSENT = "no_consent", _("No consent for this channel")
        OPTED_OUT = "opted_out", _("Opted out")
        FREQUENCY_CAP = "frequency_cap", _("Frequency cap reached")
        NO_ADDRESS = "no_address", _("No phone number or email")
        INVALID_ADDRESS = "invalid_address", _("Number or email marked invalid")
        MISSING_PLACEHOLDER = "missing_placeholder", _("Template data missing")
        UNKNOWN_PLACEHOLDER = "unknown_placeholder", _("Template has something that is not a placeholder")
        MERGED = "merged", _("Customer record merged")

    idempotency_key = models.CharField(max_length=160, unique=True)
    kind = models.CharField(_("kind"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    # One of many sent together (a campaign, a care programme's day, a recall's notices): claimed only when no
    # one-off message of the channel (a staff reminder, a salesperson's text, a survey invitation) is due, so
    # a reminder never waits behind a 100,000-message campaign (services/outbox.py, outbox_claim).
    is_bulk = models.BooleanField(_("bulk"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(_("why"), max_length=24, choices=Reason.choices, blank=True)
    recipient = models.CharField(_("to"), max_length=254, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("message"), blank=True)
    body_html = models.TextField(blank=True)
    scheduled_at = models.DateTimeField(_("not before"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    handed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(max_length=120, blank=True)
    opted_out_at = models.DateTimeField(_("recipient opted out at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(
                fields=["channel", "is_bulk", "scheduled_at", "id"],
                name="outbox_due_by_lane",
                condition=Q(status="queued"),
            ),
            models.Index(fields=["claimed_at"], name="outbox_in_flight", condition=Q(status="sending")),
            models.Index(fields=["campaign", "status"], name="outbox_campaign_status"),
            models.Index(
                fields=["customer", "claimed_at"],
                name="outbox_marketing_cap",
                condition=Q(purpose="marketing"),
            ),
            models.Index(
                fields=["provider_message_id"],
                name="outbox_provider_id",
                condition=~Q(provider_message_id=""),
            ),
            models.Index(fields=["recipient", "-id"], name="outbox_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient} ({self.status})"


class InboundMessage(models.Model):
    """A reply a customer sent us (an SMS to the dealer's number). Opt-out words withdraw consent at once."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS)
    sender = models.CharField(_("from"), max_length=64)
    body = models.TextField(_("message"))
    received_at = models.DateTimeField(_("received at"))
    provider_message_id = models.CharField(max_length=120, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    in_reply_to = models.ForeignKey(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    is_opt_out = models.BooleanField(_("opt-out"), default=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        constraints = [
            models.UniqueConstraint(
                fields=["provider_message_id"], name="inbound_once", condition=~Q(provider_message_id="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.body[:30]}"


class Notification(models.Model):
    """An in-app notice to a staff member (the bell). `key` makes each reminder exist once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=160, unique=True)
    kind = models.CharField(max_length=60)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("details"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["user", "-created_at"], name="notification_unread", condition=Q(read_at__isnull=True)
            ),
            models.Index(fields=["user", "-created_at", "-id"], name="notification_feed"),
        ]

    def __str__(self) -> str:
        return self.title


class PhoneCall(models.Model):
    """A call placed through click-to-call: the provider rings the staff member's phone, then bridges the
    customer's. The row is written before the provider is asked (as an outbox message is); the provider's
    signed call record fills in what happened, once (a replayed record changes nothing).

    `kind` and `reference_id` say what the call is about for the app that placed it ("leads.lead", 42);
    messaging does not read them."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        RINGING = "ringing", _("Calling…")
        ANSWERED = "answered", _("Answered")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        FAILED = "failed", _("Failed")

    idempotency_key = models.CharField(max_length=160, unique=True)
    kind = models.CharField(max_length=60)
    reference_id = models.BigIntegerField(null=True, blank=True)
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    # What we asked the provider to bridge (E.164)…
    caller_number = models.CharField(_("staff phone"), max_length=32)
    callee_number = models.CharField(_("customer's phone"), max_length=32)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED)
    provider_call_id = models.CharField(max_length=120, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    # …and what the provider's record says happened (numbers as it dialled them, normalised).
    recorded_caller_number = models.CharField(max_length=32, blank=True)
    recorded_callee_number = models.CharField(max_length=32, blank=True)
    is_answered = models.BooleanField(_("answered"), default=False)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("record received at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("phone call")
        verbose_name_plural = _("phone calls")
        constraints = [
            models.UniqueConstraint(
                fields=["provider_call_id"], name="phone_call_provider_once", condition=~Q(provider_call_id="")
            ),
            models.CheckConstraint(
                name="phone_call_answered_has_record",
                condition=Q(is_answered=False) | Q(recorded_at__isnull=False, status="answered"),
            ),
        ]
        indexes = [models.Index(fields=["kind", "reference_id"], name="phone_call_reference")]

    def __str__(self) -> str:
        return f"{self.callee_number} ({self.status})"
