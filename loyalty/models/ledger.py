"""The points ledger: exact, append-only, race-proof (loyalty.services.ledger is the only writer).

- Every change of a member's points is a `PointsEntry` (earn, redeem, expire, reverse, adjust), never edited
  nor deleted: the application's database role holds no UPDATE or DELETE on entries and allocations.
- Every credit opens a `PointsLot` with its own expiry (the end of a day in the member's home dealer's zone).
  Every debit is drawn from lots, nearest expiry first, and recorded in `PointsAllocation` rows; a returned
  debit (a reversal) is a positive allocation back into the lots it came from.
- A lot's `remaining` is the only number that changes, under the member's row lock, and the database
  forbids it below zero or above the lot's amount. The sum of a member's entries equals the sum of its lots'
  remaining amounts; the balance is what remains in unexpired lots.
- Every entry carries a unique idempotency key: a retried write finds the first outcome.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    EXPIRE = "expire", _("Expired")
    REVERSE = "reverse", _("Reversed")
    ADJUST = "adjust", _("Adjusted")
    # Points moved between two memberships of one person when their customer records were merged: a pair of
    # entries per lot, out of the merged member's lot and into a new lot of the survivor with the same expiry.
    TRANSFER = "transfer", _("Transferred")


class EarnSource(models.TextChoices):
    SERVICE = "service", _("Customer-paid service")
    DELIVERY = "delivery", _("Vehicle delivery")
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Campaign")
    ADJUSTMENT = "adjustment", _("Adjustment")
    REDEMPTION = "redemption", _("Redemption")
    EXPIRY = "expiry", _("Expiry")
    MERGE = "merge", _("Merged membership")


class PointsEntry(models.Model):
    member = models.ForeignKey("loyalty.Member", on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    source = models.CharField(_("source"), max_length=12, choices=EarnSource.choices)
    # Signed: credits are positive, debits negative.
    points = models.IntegerField(_("points"))
    # Where it happened (the earning or redeeming dealer); empty for the OEM's own entries.
    dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("dealer")
    )
    # Counts toward the member's tier (earned points; not adjustments, not returns of redeemed points).
    is_qualifying = models.BooleanField(default=False)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    repair_order = models.ForeignKey(
        "service.RepairOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=120, unique=True)
    occurred_at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        constraints = [
            models.CheckConstraint(name="points_entry_not_zero", condition=~Q(points=0)),
            models.CheckConstraint(
                name="points_entry_sign_matches_kind",
                condition=Q(kind="earn", points__gt=0)
                | Q(kind__in=["redeem", "expire"], points__lt=0)
                | Q(kind__in=["reverse", "adjust", "transfer"]),
            ),
            models.CheckConstraint(
                name="points_adjustment_has_reason_and_approver",
                condition=~Q(kind="adjust") | (Q(approver__isnull=False) & ~Q(reason="")),
            ),
            models.CheckConstraint(
                name="points_reversal_points_at_its_entry", condition=~Q(kind="reverse") | Q(reverses__isnull=False)
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-occurred_at"], name="points_entry_history"),
            models.Index(fields=["dealer", "occurred_at"], name="points_entry_dealer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"


class PointsLot(models.Model):
    class Funder(models.TextChoices):
        DEALER = "dealer", _("The earning dealer")
        OEM = "oem", _("The OEM")

    entry = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, related_name="lot")
    member = models.ForeignKey("loyalty.Member", on_delete=models.PROTECT, related_name="lots")
    dealer = models.ForeignKey("network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    funded_by = models.CharField(_("funded by"), max_length=10, choices=Funder.choices)
    points = models.PositiveIntegerField(_("points"))
    remaining = models.IntegerField(_("remaining"))
    expires_at = models.DateTimeField(_("expires"))
    # Set by the expiry run that wrote this lot's expire entry.
    expired_at = models.DateTimeField(_("expired"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["expires_at", "id"]
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        constraints = [
            models.CheckConstraint(name="points_lot_remaining_not_negative", condition=Q(remaining__gte=0)),
            models.CheckConstraint(name="points_lot_remaining_within_amount", condition=Q(remaining__lte=F("points"))),
            models.CheckConstraint(name="points_lot_positive", condition=Q(points__gt=0)),
        ]
        indexes = [
            models.Index(
                fields=["member", "expires_at", "id"], name="points_lot_open", condition=Q(remaining__gt=0)
            ),
            models.Index(fields=["expires_at"], name="points_lot_expiry_due", condition=Q(remaining__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.points}"


class PointsAllocation(models.Model):
    """Which lots a debit drew from (negative) or a reversal returned to (positive)."""

    entry = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="allocations")
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="allocations")
    member = models.ForeignKey("loyalty.Member", on_delete=models.PROTECT, related_name="+")
    points = models.IntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(name="points_allocation_not_zero", condition=~Q(points=0)),
            models.UniqueConstraint(fields=["entry", "lot"], name="points_allocation_once_per_lot"),
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} @ lot {self.lot_id}"


class PendingPoints(models.Model):
    """Points earned on a settled repair order, not spendable until its return window has passed; then the
    release run credits them (one earn entry, keyed by the order)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CREDITED = "credited", _("Credited")
        CANCELLED = "cancelled", _("Cancelled")

    member = models.ForeignKey("loyalty.Member", on_delete=models.PROTECT, related_name="pending_points")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    repair_order = models.OneToOneField("service.RepairOrder", on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField(_("points"))
    # The extra points of an OEM campaign running when the order was settled (credited as the OEM's lot).
    campaign_points = models.PositiveIntegerField(_("campaign points"), default=0)
    campaign = models.ForeignKey(
        "loyalty.EarnCampaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    available_at = models.DateTimeField(_("available from"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    entry = models.OneToOneField(PointsEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["available_at", "id"]
        verbose_name = _("pending points")
        verbose_name_plural = _("pending points")
        constraints = [
            models.CheckConstraint(name="pending_points_positive", condition=Q(points__gt=0)),
            models.CheckConstraint(
                name="pending_points_credited_has_entry",
                condition=~Q(status="credited") | Q(entry__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["available_at"], name="pending_points_due", condition=Q(status="pending"))
        ]

    def __str__(self) -> str:
        return f"{self.points} ({self.status})"


class Redemption(models.Model):
    """Points turned into a discount line on a repair order: reserved until the order is settled, released
    (the points returned) if it is voided."""

    class Status(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        SETTLED = "settled", _("Settled")
        RELEASED = "released", _("Released")

    member = models.ForeignKey("loyalty.Member", on_delete=models.PROTECT, related_name="redemptions")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    repair_order = models.ForeignKey("service.RepairOrder", on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField(_("points"))
    amount = models.DecimalField(_("discount (yuan)"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RESERVED)
    entry = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, related_name="redemption")
    release_entry = models.OneToOneField(
        PointsEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="released_redemption"
    )
    charge_line_id = models.BigIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        constraints = [
            models.CheckConstraint(name="redemption_positive", condition=Q(points__gt=0, amount__gt=0)),
            models.CheckConstraint(
                name="redemption_released_has_entry",
                condition=~Q(status="released") | Q(release_entry__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points} ({self.status})"


class TierDiscount(models.Model):
    """A tier's service discount applied to a repair order: at most once per order (a discount line through
    service's own service)."""

    repair_order = models.OneToOneField("service.RepairOrder", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey("loyalty.Member", on_delete=models.PROTECT, related_name="tier_discounts")
    tier = models.ForeignKey("loyalty.Tier", on_delete=models.PROTECT, related_name="+")
    percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("discount (yuan)"), max_digits=12, decimal_places=2)
    charge_line_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tier discount")
        verbose_name_plural = _("tier discounts")
        constraints = [models.CheckConstraint(name="tier_discount_positive", condition=Q(amount__gt=0, percent__gt=0))]

    def __str__(self) -> str:
        return f"{self.percent} % ({self.amount})"
