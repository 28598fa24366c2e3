"""The timeline: everything that happened to a customer, and the event log the apps talk through.

An event is written in the same transaction as the change it describes. After commit, Celery hands it
to the subscribers registered for its kind; `EventDelivery` records, in the subscriber's own
transaction, that a subscriber has handled it, so each subscriber sees each event exactly once.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TimelineEvent(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="timeline_events",
        verbose_name=_("customer"),
    )
    # The dealer the event happened at; empty for network events (the customer record itself changed).
    dealer = models.ForeignKey(
        "network.Dealer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dealer"),
    )
    kind = models.CharField(_("kind"), max_length=64)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    dispatched_at = models.DateTimeField(_("handed to subscribers at"), null=True, blank=True)
    dispatch_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="timeline_customer_feed"),
            models.Index(
                fields=["id"], name="timeline_undispatched", condition=Q(dispatched_at__isnull=True)
            ),
            models.Index(fields=["dealer", "kind", "occurred_at"], name="timeline_dealer_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class EventDelivery(models.Model):
    event = models.ForeignKey(TimelineEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(max_length=200)
    delivered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="one_delivery_per_subscriber")
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} ← {self.event_id}"
