"""Maintenance due: the OEM's schedules per model (versioned by the day each version takes effect), each
dealer's reminder setting, and each vehicle's next service as last computed (service.maintenance.services).

A vehicle's row is derived state: recomputed from the source rows (settled repair orders' summaries, the
odometer series, the schedule, the vehicle's delivery and insurance dates) by one set-based statement when
any of them changes, and nightly as a safety net; never on read (docs/decisions.md, "Maintenance due")."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MaintenanceSchedule(models.Model):
    """One version of a model's schedule: the first service at `first_km` or `first_months` after delivery,
    then every `interval_km` or `interval_months`, whichever comes first. A version is never rewritten once
    it has taken effect: a change is a new version from a later day, so a due date stays explainable."""

    brand_model = models.ForeignKey(
        "network.BrandModel",
        on_delete=models.PROTECT,
        related_name="maintenance_schedules",
        verbose_name=_("model"),
    )
    effective_from = models.DateField(_("effective from"))
    first_km = models.PositiveIntegerField(_("first service at (km)"))
    first_months = models.PositiveSmallIntegerField(_("first service after (months)"))
    interval_km = models.PositiveIntegerField(_("then every (km)"))
    interval_months = models.PositiveSmallIntegerField(_("then every (months)"))
    # The labour operation codes that make a settled repair order a maintenance service ("MNT-10K"; a code
    # ending in * is a prefix: "MNT-*").
    operation_codes = ArrayField(
        models.CharField(max_length=40), default=list, verbose_name=_("maintenance operation codes")
    )
    note = models.CharField(_("why this version"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand_model", "-effective_from"]
        verbose_name = _("maintenance schedule")
        verbose_name_plural = _("maintenance schedules")
        constraints = [
            models.UniqueConstraint(
                fields=["brand_model", "effective_from"], name="maintenance_schedule_one_version_a_day"
            ),
            models.CheckConstraint(
                name="maintenance_schedule_positive",
                condition=Q(first_km__gt=0, first_months__gt=0, interval_km__gt=0, interval_months__gt=0)
                & Q(first_km__lte=200_000, interval_km__lte=200_000)
                & Q(first_months__lte=120, interval_months__lte=120),
            ),
            models.CheckConstraint(
                name="maintenance_schedule_has_codes", condition=~Q(operation_codes=[])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand_model} @ {self.effective_from}"


class MaintenanceSetting(models.Model):
    """A dealer's reminder lead times (days before the date the reminder is about)."""

    dealer = models.OneToOneField(
        "network.Dealer", on_delete=models.CASCADE, related_name="maintenance_setting", verbose_name=_("dealer")
    )
    reminder_days = models.PositiveSmallIntegerField(_("maintenance reminder (days before)"), default=14)
    inspection_days = models.PositiveSmallIntegerField(_("inspection reminder (days before)"), default=30)
    warranty_days = models.PositiveSmallIntegerField(_("warranty expiry reminder (days before)"), default=30)
    insurance_days = models.PositiveSmallIntegerField(_("insurance renewal reminder (days before)"), default=30)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("maintenance reminder setting")
        verbose_name_plural = _("maintenance reminder settings")
        constraints = [
            models.CheckConstraint(
                name="maintenance_setting_days_plausible",
                condition=Q(reminder_days__lte=90, inspection_days__lte=90)
                & Q(warranty_days__lte=90, insurance_days__lte=90),
            )
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id}: {self.reminder_days} d"


class VehicleMaintenance(models.Model):
    """A vehicle's next service (and its other due dates) as last computed. One row per vehicle."""

    class Rule(models.TextChoices):
        FIRST = "first", _("First service")
        INTERVAL = "interval", _("Regular service")
        NONE = "none", _("No schedule for this model")
        NO_DELIVERY = "no_delivery", _("Delivery date unknown")

    class DecidedBy(models.TextChoices):
        KM = "km", _("distance")
        TIME = "time", _("time")

    class Pace(models.TextChoices):
        READINGS = "readings", _("from odometer readings")
        TIME_ONLY = "time_only", _("too few readings: time only")

    vehicle = models.OneToOneField(
        "customers.Vehicle", on_delete=models.CASCADE, primary_key=True, related_name="maintenance"
    )
    # Who looks after it: the dealer of its last maintenance, else the selling dealer, else the one that
    # recorded it. The due list and the reminders are that dealer's.
    dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("dealer")
    )
    schedule = models.ForeignKey(
        MaintenanceSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.CharField(_("rule"), max_length=12, choices=Rule.choices)
    last_service = models.ForeignKey(
        "service.RepairOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_service_on = models.DateField(_("last maintenance"), null=True, blank=True)
    basis_on = models.DateField(_("counted from"), null=True, blank=True)
    basis_km = models.PositiveIntegerField(_("counted from (km)"), null=True, blank=True)
    current_km = models.PositiveIntegerField(_("current mileage (km)"), null=True, blank=True)
    km_per_day = models.DecimalField(_("average km per day"), max_digits=8, decimal_places=2, null=True, blank=True)
    pace = models.CharField(_("pace"), max_length=12, choices=Pace.choices, default=Pace.TIME_ONLY)
    due_km = models.PositiveIntegerField(_("due at (km)"), null=True, blank=True)
    due_by_time_on = models.DateField(_("due by time"), null=True, blank=True)
    due_by_km_on = models.DateField(_("due by distance (projected)"), null=True, blank=True)
    due_on = models.DateField(_("next service due"), null=True, blank=True)
    decided_by = models.CharField(_("decided by"), max_length=4, choices=DecidedBy.choices, blank=True)
    inspection_due_on = models.DateField(_("next inspection"), null=True, blank=True)
    warranty_ends_on = models.DateField(_("statutory warranty ends"), null=True, blank=True)
    warranty_decided_by = models.CharField(max_length=4, choices=DecidedBy.choices, blank=True)
    insurance_expires_on = models.DateField(_("insurance expires"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("vehicle maintenance")
        verbose_name_plural = _("vehicle maintenance")
        indexes = [
            models.Index(fields=["dealer", "due_on"], name="maintenance_dealer_due"),
            models.Index(fields=["due_on"], name="maintenance_due", condition=Q(due_on__isnull=False)),
            models.Index(fields=["inspection_due_on"], name="maintenance_inspection"),
            models.Index(fields=["warranty_ends_on"], name="maintenance_warranty"),
            models.Index(fields=["insurance_expires_on"], name="maintenance_insurance"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id}: {self.due_on}"

    @property
    def cycle(self) -> str:
        """What one due cycle is: counted from this service (or from delivery). One reminder per cycle."""
        return f"ro{self.last_service_id}" if self.last_service_id else "delivery"
