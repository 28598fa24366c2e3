"""Cross-dealer collisions: a customer with open leads at two or more dealers. Only the OEM sees them (neither
dealer learns of the other's lead), and records what it decided. The decision is the OEM's record: it changes
no dealer's lead (the OEM never changes dealer data); the dealers hear of it through the OEM's own channels."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CollisionDecision(models.Model):
    class Decision(models.TextChoices):
        BOTH_CONTINUE = "both_continue", _("Both may continue (the customer is shopping around)")
        FIRST_KEEPS = "first_keeps", _("The dealer with the earliest lead keeps the customer")
        ASSIGN = "assign", _("One dealer keeps the customer (chosen below)")
        DUPLICATE = "duplicate", _("Not the same purchase (different people or vehicles)")

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    # The open leads the decision was about (a new lead at a third dealer makes a new collision).
    lead_ids = ArrayField(models.BigIntegerField())
    # Every dealer involved: row-level security shows the decision to those who see all of them.
    dealer_ids = ArrayField(models.BigIntegerField())
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    kept_dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("dealer that keeps the customer"),
    )
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided"))

    class Meta:
        ordering = ["-decided_at"]
        verbose_name = _("collision decision")
        verbose_name_plural = _("collision decisions")
        constraints = [
            models.UniqueConstraint(fields=["customer", "lead_ids"], name="collision_decided_once"),
            models.CheckConstraint(
                name="collision_assign_names_a_dealer",
                condition=~Q(decision="assign") | Q(kept_dealer__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.decision}"
