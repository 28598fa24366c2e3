"""Repair orders: one service visit of one vehicle at one dealer, with its jobs and their labour, parts and
other charges. Amounts are exact decimals; the totals on the order are derived from its lines by the one
service that changes them (service.services.repair_orders), never typed. A settled order does not change: a
correction is a new order that refers to it."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.history import tracked

MONEY = {"max_digits": 12, "decimal_places": 2}


class PayType(models.TextChoices):
    CUSTOMER = "customer", _("Customer pay")
    WARRANTY = "warranty", _("Warranty")
    INTERNAL = "internal", _("Internal")
    INSURANCE = "insurance", _("Insurance")


@tracked()
class RepairOrder(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        READY = "ready", _("Ready for pickup")
        SETTLED = "settled", _("Settled")
        VOIDED = "voided", _("Voided")

    class Source(models.TextChoices):
        WORKSHOP = "workshop", _("Opened in the workshop")
        DMS = "dms", _("Imported from the dealer's DMS")

    dealer = models.ForeignKey(
        "network.Dealer", on_delete=models.PROTECT, related_name="repair_orders", verbose_name=_("dealer")
    )
    # The dealer's own number (its DMS's): unique per dealer, not across the network.
    number = models.CharField(_("RO number"), max_length=40)
    vehicle = models.ForeignKey(
        "customers.Vehicle", on_delete=models.PROTECT, related_name="repair_orders", verbose_name=_("vehicle")
    )
    # The customer at that time (who brought it, usually its owner): a vehicle changes owners, its history
    # does not. Required: every order is an event on a customer's timeline.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="repair_orders",
        verbose_name=_("customer"),
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="advised_repair_orders",
        verbose_name=_("service advisor"),
    )
    # As the DMS names them, when an imported advisor is not a user of ours.
    advisor_name = models.CharField(_("advisor (as imported)"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.WORKSHOP)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    promised_at = models.DateTimeField(_("promised for"), null=True, blank=True)
    mileage_in = models.PositiveIntegerField(_("mileage in (km)"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    void_reason = models.CharField(_("why it was voided"), max_length=300, blank=True)
    # A correction of a settled order is a new order that refers to it.
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    # The DMS's own modification time: a re-exported, revised order replaces an older version only.
    external_modified_at = models.DateTimeField(_("modified in the DMS"), null=True, blank=True)
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=4, default=Decimal("0.13"))
    labour_total = models.DecimalField(_("labour"), **MONEY, default=0)
    parts_total = models.DecimalField(_("parts"), **MONEY, default=0)
    charges_total = models.DecimalField(_("other charges"), **MONEY, default=0)
    discount_total = models.DecimalField(_("discounts"), **MONEY, default=0)
    tax_total = models.DecimalField(_("tax"), **MONEY, default=0)
    total = models.DecimalField(_("total"), **MONEY, default=0)
    # What the customer pays (customer-pay lines, after discount and tax): loyalty earns on it.
    customer_pay_total = models.DecimalField(_("customer pays"), **MONEY, default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("repair order")
        verbose_name_plural = _("repair orders")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "number"], name="repair_order_number_once_per_dealer"),
            models.CheckConstraint(
                name="repair_order_settled_has_a_time",
                condition=Q(status="settled", settled_at__isnull=False) | ~Q(status="settled"),
            ),
            models.CheckConstraint(
                name="repair_order_voided_has_a_reason",
                condition=(Q(status="voided", voided_at__isnull=False) & ~Q(void_reason=""))
                | ~Q(status="voided"),
            ),
            models.CheckConstraint(
                name="repair_order_total_adds_up",
                condition=Q(
                    total=F("labour_total")
                    + F("parts_total")
                    + F("charges_total")
                    - F("discount_total")
                    + F("tax_total")
                ),
            ),
            models.CheckConstraint(name="repair_order_amounts_not_negative", condition=Q(total__gte=0)),
        ]
        indexes = [
            models.Index(fields=["vehicle", "-opened_at"], name="repair_order_vehicle_history"),
            models.Index(fields=["dealer", "status", "opened_at"], name="repair_order_dealer_status"),
            models.Index(fields=["customer"], name="repair_order_customer"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_settled(self) -> bool:
        return self.status == self.Status.SETTLED

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.SETTLED, self.Status.VOIDED)


class Job(models.Model):
    """One customer concern on the order: what they said, what was found, what was done."""

    repair_order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="jobs")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    concern = models.TextField(_("customer's concern"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    correction = models.TextField(_("correction"), blank=True)
    pay_type = models.CharField(
        _("pay type"), max_length=12, choices=PayType.choices, default=PayType.CUSTOMER
    )

    class Meta:
        ordering = ["repair_order", "position", "id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return f"{self.repair_order} #{self.position}"


class _Line(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="+")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    # The DMS's line number: an import is idempotent by dealer + RO number + line number.
    line_number = models.PositiveIntegerField(_("line"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        abstract = True
        ordering = ["job", "line_number", "id"]


class LabourLine(_Line):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="labour_lines")
    operation_code = models.CharField(_("operation code"), max_length=40, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=2)
    rate = models.DecimalField(_("rate per hour"), **MONEY)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    technician_name = models.CharField(_("technician"), max_length=100, blank=True)

    class Meta(_Line.Meta):
        verbose_name = _("labour line")
        verbose_name_plural = _("labour lines")
        indexes = [models.Index(fields=["operation_code"], name="labour_line_operation")]
        constraints = [
            models.CheckConstraint(name="labour_line_not_negative", condition=Q(hours__gte=0, rate__gte=0)),
            models.CheckConstraint(
                name="labour_line_amount_is_hours_times_rate",
                condition=Q(amount=models.functions.Round(F("hours") * F("rate"), 2)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation_code or self.description} {self.hours} h"


class PartLine(_Line):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="part_lines")
    part_number = models.CharField(_("part number"), max_length=60)
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), **MONEY)

    class Meta(_Line.Meta):
        verbose_name = _("parts line")
        verbose_name_plural = _("parts lines")
        constraints = [
            models.CheckConstraint(
                name="part_line_not_negative", condition=Q(quantity__gte=0, unit_price__gte=0)
            ),
            models.CheckConstraint(
                name="part_line_amount_is_quantity_times_price",
                condition=Q(amount=models.functions.Round(F("quantity") * F("unit_price"), 2)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part_number} × {self.quantity}"


class ChargeLine(_Line):
    """Anything else on the bill (sublet, disposal, towing), or a discount (a positive amount taken off)."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Other charge")
        DISCOUNT = "discount", _("Discount")

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="charge_lines")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CHARGE)

    class Meta(_Line.Meta):
        verbose_name = _("charge or discount")
        verbose_name_plural = _("charges and discounts")
        constraints = [models.CheckConstraint(name="charge_line_not_negative", condition=Q(amount__gte=0))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
