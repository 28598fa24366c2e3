"""Odometer readings: a time series on the vehicle. A reading lower than the current one is stored and
flagged as suspect and never lowers the current mileage; replacing the instrument cluster is an explicit
reading that starts the series again from its value."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OdometerReading(models.Model):
    class Source(models.TextChoices):
        REPAIR_ORDER = "repair_order", _("Repair order")
        CHECK_IN = "check_in", _("Workshop check-in")
        IMPORT = "import", _("DMS import")
        MANUAL = "manual", _("Typed by staff")
        CLUSTER_REPLACED = "cluster_replaced", _("Instrument cluster replaced")

    vehicle = models.ForeignKey(
        "customers.Vehicle", on_delete=models.PROTECT, related_name="odometer_readings"
    )
    # The dealer that observed it (RLS: readings are visible with the vehicle; see the migration).
    dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    km = models.PositiveIntegerField(_("kilometres"))
    read_at = models.DateTimeField(_("read at"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    repair_order = models.ForeignKey(
        "service.RepairOrder",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="odometer_readings",
    )
    # Lower than the vehicle's current mileage when it was recorded (or zero): kept, never trusted.
    is_suspect = models.BooleanField(_("suspect"), default=False)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["vehicle", "read_at", "id"]
        verbose_name = _("odometer reading")
        verbose_name_plural = _("odometer readings")
        indexes = [models.Index(fields=["vehicle", "read_at"], name="odometer_vehicle_series")]
        constraints = [
            models.CheckConstraint(name="odometer_plausible_km", condition=Q(km__lte=3_000_000)),
            models.UniqueConstraint(
                fields=["repair_order"],
                condition=Q(repair_order__isnull=False),
                name="odometer_once_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.km} km @ {self.read_at:%Y-%m-%d}"
