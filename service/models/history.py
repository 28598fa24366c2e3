"""What another dealer may learn of a repair order: a summary without prices, people or customer.

A dealer sees its own repair orders whole (row-level security: its own dealer's rows). A vehicle's history
across the network is read from these summaries, which are visible wherever the vehicle is: the station, the
day, the mileage, the operations and the parts, nothing else (docs/decisions.md, "Service history across
dealers"). One summary per settled, not voided order that no later correction replaced; the service that
settles or imports an order writes it in the same transaction (service.services.history)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RepairOrderSummary(models.Model):
    repair_order = models.OneToOneField(
        "service.RepairOrder", on_delete=models.CASCADE, related_name="summary", verbose_name=_("repair order")
    )
    dealer = models.ForeignKey(
        "network.Dealer", on_delete=models.PROTECT, related_name="+", verbose_name=_("service station")
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle", on_delete=models.PROTECT, related_name="service_summaries", verbose_name=_("vehicle")
    )
    done_on = models.DateField(_("date"))
    mileage = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    # [{"code": "MNT-10K", "description": "10,000 km service"}, …] — labour lines, in order.
    operations = models.JSONField(_("operations"), default=list)
    # [{"part_number": "OIL-5W30", "description": "Engine oil", "quantity": "4.5"}, …] — no prices.
    parts = models.JSONField(_("parts"), default=list)
    pay_types = models.JSONField(_("pay types"), default=list)

    class Meta:
        ordering = ["-done_on", "-id"]
        verbose_name = _("repair order summary")
        verbose_name_plural = _("repair order summaries")
        indexes = [models.Index(fields=["vehicle", "-done_on"], name="summary_vehicle_history")]

    def __str__(self) -> str:
        return f"{self.vehicle_id} @ {self.done_on}"
