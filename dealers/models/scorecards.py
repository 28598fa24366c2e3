"""Scorecard templates (the OEM's rules, versioned) and monthly scorecards (a dealer's month judged by them).

A published template and a published scorecard are frozen in the database (triggers refuse to change or
delete them, and their lines); editing a template makes the next version, and late data makes a
restatement: a new version of the month's scorecard, the published one staying as it was.
"""

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    A = "A", _("Tier A")
    B = "B", _("Tier B")
    C = "C", _("Tier C")
    D = "D", _("Tier D")


TIER_ORDER = ("A", "B", "C", "D")  # best first


def _frozen_when_published(name: str) -> pgtrigger.Protect:
    return pgtrigger.Protect(
        name=name,
        operation=pgtrigger.Update | pgtrigger.Delete,
        condition=pgtrigger.Q(old__status="published"),
    )


class ScorecardTemplate(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    tier_a_min = models.DecimalField(_("tier A from (points)"), max_digits=5, decimal_places=2, default=90)
    tier_b_min = models.DecimalField(_("tier B from (points)"), max_digits=5, decimal_places=2, default=80)
    tier_c_min = models.DecimalField(_("tier C from (points)"), max_digits=5, decimal_places=2, default=70)
    veto_cap_tier = models.CharField(
        _("a veto caps the tier at"), max_length=1, choices=Tier.choices, default=Tier.C
    )
    rebate_a = models.DecimalField(_("rebate in tier A (%)"), max_digits=5, decimal_places=2, default=Decimal("1.5"))
    rebate_b = models.DecimalField(_("rebate in tier B (%)"), max_digits=5, decimal_places=2, default=Decimal("1.0"))
    rebate_c = models.DecimalField(_("rebate in tier C (%)"), max_digits=5, decimal_places=2, default=Decimal("0.5"))
    rebate_d = models.DecimalField(_("rebate in tier D (%)"), max_digits=5, decimal_places=2, default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("scorecard template")
        verbose_name_plural = _("scorecard templates")
        constraints = [
            models.CheckConstraint(
                name="scorecard_template_tiers_descend",
                condition=Q(tier_a_min__lte=100, tier_a_min__gt=F("tier_b_min"), tier_b_min__gt=F("tier_c_min"))
                & Q(tier_c_min__gte=0),
            ),
            models.CheckConstraint(
                name="scorecard_template_rebates_are_percentages",
                condition=Q(rebate_a__gte=0, rebate_b__gte=0, rebate_c__gte=0, rebate_d__gte=0)
                & Q(rebate_a__lte=100, rebate_b__lte=100, rebate_c__lte=100, rebate_d__lte=100),
            ),
            models.CheckConstraint(
                name="scorecard_template_published_has_a_date",
                condition=Q(status="draft") | Q(published_at__isnull=False),
            ),
        ]
        triggers = [_frozen_when_published("scorecard_template_frozen")]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def rebate_for(self, tier: str) -> Decimal:
        return {"A": self.rebate_a, "B": self.rebate_b, "C": self.rebate_c, "D": self.rebate_d}[tier]

    def tier_for(self, points: Decimal | None) -> str:
        if points is None:
            return Tier.D
        if points >= self.tier_a_min:
            return Tier.A
        if points >= self.tier_b_min:
            return Tier.B
        if points >= self.tier_c_min:
            return Tier.C
        return Tier.D


class ScorecardKpi(models.Model):
    """One registered key figure on a template: its weight, and the target (100 points) and floor (0 points)
    between which its value maps linearly to points. For a figure where lower is better the target lies under
    the floor; the direction is copied from the registry so the version stays as it was published."""

    template = models.ForeignKey(ScorecardTemplate, on_delete=models.CASCADE, related_name="kpis")
    figure_code = models.CharField(_("key figure"), max_length=100)
    weight = models.PositiveSmallIntegerField(_("weight"))
    target = models.DecimalField(_("target (100 points)"), max_digits=12, decimal_places=2)
    floor = models.DecimalField(_("floor (0 points)"), max_digits=12, decimal_places=2)
    higher_is_better = models.BooleanField(_("higher is better"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template", "position", "id"]
        verbose_name = _("scorecard key figure")
        verbose_name_plural = _("scorecard key figures")
        constraints = [
            models.UniqueConstraint(fields=["template", "figure_code"], name="scorecard_kpi_once_per_template"),
            models.CheckConstraint(name="scorecard_kpi_weight_range", condition=Q(weight__gte=1, weight__lte=100)),
            models.CheckConstraint(
                name="scorecard_kpi_target_beyond_floor",
                condition=Q(higher_is_better=True, target__gt=F("floor"))
                | Q(higher_is_better=False, target__lt=F("floor")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.figure_code} ×{self.weight}"


class Scorecard(models.Model):
    """A dealer's month under one template version. Version 1 is the first computation; each restatement is
    the next version, pointing at the published one it restates."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="scorecards")
    template = models.ForeignKey(ScorecardTemplate, on_delete=models.PROTECT, related_name="scorecards")
    month = models.DateField(_("month"))  # its first day
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    restates = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="restatements"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    total_points = models.DecimalField(_("points"), max_digits=5, decimal_places=2, null=True, blank=True)
    points_tier = models.CharField(_("tier by points"), max_length=1, choices=Tier.choices)
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices)
    # [{"kind": "overdue_critical" | "data_falsification", "finding_id": …, "title": …}]
    vetoes = models.JSONField(_("veto gates"), default=list, blank=True)
    rebate_rate = models.DecimalField(_("rebate (%)"), max_digits=5, decimal_places=2)
    computed_at = models.DateTimeField(_("computed"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-month", "dealer__code", "-version"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "month", "version"], name="scorecard_version_once"),
            models.UniqueConstraint(
                fields=["dealer", "month"], condition=Q(status="draft"), name="scorecard_one_draft_per_month"
            ),
            models.CheckConstraint(name="scorecard_month_is_first_day", condition=Q(month__day=1)),
            models.CheckConstraint(
                name="scorecard_restatement_points_back",
                condition=Q(version=1, restates__isnull=True) | Q(version__gt=1, restates__isnull=False),
            ),
            models.CheckConstraint(
                name="scorecard_published_has_a_date",
                condition=Q(status="draft") | Q(published_at__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["month", "status"], name="scorecard_month_status")]
        triggers = [_frozen_when_published("scorecard_frozen")]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.month:%Y-%m} v{self.version}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_restatement(self) -> bool:
        return self.restates_id is not None


class ScorecardLine(models.Model):
    """One key figure of a scorecard: the template's terms copied, the dealer's value and the points."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="lines")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    figure_code = models.CharField(_("key figure"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    weight = models.PositiveSmallIntegerField(_("weight"))
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    floor = models.DecimalField(_("floor"), max_digits=12, decimal_places=2)
    higher_is_better = models.BooleanField(_("higher is better"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4, null=True, blank=True)
    numerator = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["scorecard", "position", "id"]
        verbose_name = _("scorecard line")
        verbose_name_plural = _("scorecard lines")
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "figure_code"], name="scorecard_line_once"),
            models.CheckConstraint(
                name="scorecard_line_points_range", condition=Q(points__gte=0, points__lte=100) | Q(points=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.figure_code}: {self.value}"
