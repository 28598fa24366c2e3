"""Mystery shops: an OEM-paid shopper visits or calls a dealer as a customer, and the system checks what the
dealer recorded of it. Only the OEM sees them (a dealer that saw the shopper's phone could log it after the
fact); a dealer learns of one through the finding it opens."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MysteryShop(models.Model):
    class Kind(models.TextChoices):
        VISIT = "visit", _("Showroom visit")
        CALL = "call", _("Phone call")

    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="mystery_shops")
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when"))
    shopper_phone = models.CharField(_("shopper's phone"), max_length=32)
    shopper_name = models.CharField(_("shopper's name"), max_length=100, blank=True)
    scenario = models.TextField(_("scenario"))
    # [{"label": "Greeted within 2 minutes", "observed": true}, …]
    behaviours = models.JSONField(_("behaviour checklist"), default=list, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Reconciliation with the dealer's own records (None: not reconciled yet).
    reconciled_at = models.DateTimeField(_("reconciled"), null=True, blank=True)
    is_logged = models.BooleanField(_("in the dealer's records"), null=True, blank=True)
    logged_lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    logged_at = models.DateTimeField(_("recorded by the dealer at"), null=True, blank=True)
    is_followed_up = models.BooleanField(_("followed up within the cadence"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("first follow-up"), null=True, blank=True)
    follow_up_due_at = models.DateTimeField(_("follow-up due by"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("mystery shop")
        verbose_name_plural = _("mystery shops")
        constraints = [
            models.CheckConstraint(
                name="mystery_shop_reconciled_says_so",
                condition=Q(reconciled_at__isnull=True) | Q(is_logged__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.kind} {self.occurred_at:%Y-%m-%d}"

    @property
    def is_passed(self) -> bool | None:
        """True: logged and followed up in time; False: either failed; None: not known yet."""
        if self.reconciled_at is None or (self.is_logged and self.is_followed_up is None):
            return None
        return bool(self.is_logged and self.is_followed_up)

    @property
    def behaviours_observed(self) -> int:
        return sum(1 for behaviour in self.behaviours if behaviour.get("observed"))
