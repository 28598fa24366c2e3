"""The owner club: the OEM's programme settings (one row), its tiers, and its members.

A member is a customer of the whole network (one membership per customer), enrolled at a home dealer, whose
time zone sets the day boundary of the member's points expiry. The tier is derived from qualifying points
earned (never from the spendable balance) by the nightly re-evaluation (loyalty.services.club)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Programme(models.Model):
    """The OEM's loyalty settings: one row (id 1), edited by the OEM admin on the earn rules page."""

    class TierBasis(models.TextChoices):
        ROLLING = "rolling", _("Rolling window")
        CALENDAR_YEAR = "calendar_year", _("Calendar year")

    tier_basis = models.CharField(
        _("tier qualification"), max_length=20, choices=TierBasis.choices, default=TierBasis.ROLLING
    )
    rolling_months = models.PositiveSmallIntegerField(_("rolling window (months)"), default=12)
    downgrade_grace_days = models.PositiveSmallIntegerField(_("grace before a downgrade (days)"), default=30)
    expiry_months = models.PositiveSmallIntegerField(_("points expire after (months)"), default=24)
    return_window_days = models.PositiveSmallIntegerField(_("return window after settlement (days)"), default=7)
    points_per_yuan = models.DecimalField(
        _("points per yuan of customer-paid service"), max_digits=6, decimal_places=2, default=Decimal("1")
    )
    delivery_points = models.PositiveIntegerField(_("points per delivery"), default=1000)
    referral_points = models.PositiveIntegerField(_("points per referral"), default=2000)
    # What one point is worth as a discount on a repair order.
    point_value = models.DecimalField(
        _("value of one point (yuan)"), max_digits=8, decimal_places=4, default=Decimal("0.01")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programme")
        constraints = [
            models.CheckConstraint(name="programme_is_one_row", condition=Q(id=1)),
            models.CheckConstraint(
                name="programme_values_positive",
                condition=Q(rolling_months__gte=1, expiry_months__gte=1, point_value__gt=0, points_per_yuan__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Loyalty programme"))


class EarnCampaign(models.Model):
    """An OEM campaign: between two days, service and delivery points are multiplied; the extra points are the
    OEM's (funded by it in the settlement), credited as a lot of their own."""

    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    multiplier = models.DecimalField(_("points multiplier"), max_digits=4, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "id"]
        verbose_name = _("earn campaign")
        verbose_name_plural = _("earn campaigns")
        constraints = [
            models.CheckConstraint(name="earn_campaign_days_in_order", condition=Q(ends_on__gte=F("starts_on"))),
            models.CheckConstraint(
                name="earn_campaign_multiplier_range", condition=Q(multiplier__gt=1, multiplier__lte=10)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tier(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True)
    qualifying_points = models.PositiveIntegerField(_("qualifying points needed"))
    earn_multiplier = models.DecimalField(_("earn multiplier"), max_digits=4, decimal_places=2, default=1)
    service_discount_percent = models.DecimalField(
        _("service discount (%)"), max_digits=5, decimal_places=2, default=0
    )

    class Meta:
        ordering = ["rank"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        constraints = [
            models.UniqueConstraint(fields=["qualifying_points"], name="tier_threshold_once"),
            models.CheckConstraint(
                name="tier_benefits_in_range",
                condition=Q(earn_multiplier__gte=1, service_discount_percent__gte=0, service_discount_percent__lte=50),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        from django.utils import translation

        if self.name_zh and (translation.get_language() or "").startswith("zh"):
            return self.name_zh
        return self.name


class Member(models.Model):
    class JoinedVia(models.TextChoices):
        DELIVERY = "delivery", _("At delivery")
        DEALER = "dealer", _("Signed up at the dealer")

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.PROTECT, related_name="membership", verbose_name=_("customer")
    )
    number = models.CharField(_("member number"), max_length=20, unique=True)
    home_dealer = models.ForeignKey(
        "network.Dealer", on_delete=models.PROTECT, related_name="club_members", verbose_name=_("home dealer")
    )
    joined_via = models.CharField(_("joined"), max_length=12, choices=JoinedVia.choices)
    joined_at = models.DateTimeField(_("member since"))
    consent_recorded_at = models.DateTimeField(_("consent recorded"))
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    tier_since = models.DateField(_("tier since"), null=True, blank=True)
    # A member whose qualifying points fell below the tier keeps it until this day (the grace period).
    downgrade_on = models.DateField(_("downgrade due"), null=True, blank=True)
    tier_evaluated_on = models.DateField(_("tier last evaluated"), null=True, blank=True)
    # Set when the member's customer record was merged into another member's: its points moved there (transfer
    # entries) and its qualifying points count toward that member's tier; the row stays as history.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_members",
        verbose_name=_("merged into"),
    )  # fmt: skip

    class Meta:
        ordering = ["number"]
        verbose_name = _("club member")
        verbose_name_plural = _("club members")
        indexes = [models.Index(fields=["home_dealer", "tier"], name="member_dealer_tier")]

    def __str__(self) -> str:
        return self.number
