"""Complaints and service call-backs: a customer's dissatisfaction on record, with an owner, deadlines for the
first contact and the resolution, escalation, and closure confirmed by the customer; and the satisfaction
call a few days after a repair order is settled, made by someone other than the advisor who served them.

Every row belongs to one dealer (row-level security: a dealer never sees another's); the call centre and the
OEM see them all, regional staff their regions'."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Complaint(models.Model):
    class Category(models.TextChoices):
        REPAIR_QUALITY = "repair_quality", _("Repair quality")
        SERVICE_ATTITUDE = "service_attitude", _("Staff attitude")
        WAITING_TIME = "waiting_time", _("Waiting time")
        PRICE = "price", _("Price or bill")
        PARTS = "parts", _("Parts availability")
        VEHICLE_DEFECT = "vehicle_defect", _("Vehicle defect")
        SALES = "sales", _("Sales and delivery")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical (safety)")

    class Source(models.TextChoices):
        CALL_CENTRE = "call_centre", _("Call centre")
        DEALER = "dealer", _("Dealer")
        SURVEY = "survey", _("Satisfaction survey")
        CALL_BACK = "call_back", _("Service call-back")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONTACTED = "contacted", _("Customer contacted")
        RESOLVED = "resolved", _("Resolved, awaiting the customer's confirmation")
        CLOSED = "closed", _("Closed")

    class Escalation(models.IntegerChoices):
        NONE = 0, _("Not escalated")
        DEALER_MANAGER = 1, _("Escalated to the dealer's manager")
        OEM_REGION = 2, _("Escalated to the OEM region")

    dealer = models.ForeignKey(
        "network.Dealer", on_delete=models.PROTECT, related_name="complaints", verbose_name=_("dealer")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="complaints", verbose_name=_("customer")
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("vehicle"),
    )
    repair_order = models.ForeignKey(
        "service.RepairOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("repair order"),
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    source = models.CharField(_("logged by"), max_length=12, choices=Source.choices)
    summary = models.TextField(_("what the customer says"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_complaints",
        verbose_name=_("owner"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    first_contact_due_at = models.DateTimeField(_("first contact due"))
    resolution_due_at = models.DateTimeField(_("resolution due"))
    first_contacted_at = models.DateTimeField(_("first contacted"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # Closing needs the customer's word that the resolution satisfies them.
    customer_confirmed_at = models.DateTimeField(_("confirmed by the customer"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalation = models.PositiveSmallIntegerField(
        _("escalation"), choices=Escalation.choices, default=Escalation.NONE
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["dealer", "status", "opened_at"], name="complaint_dealer_status"),
            models.Index(
                fields=["first_contact_due_at"],
                name="complaint_open_deadlines",
                condition=~Q(status="closed"),
            ),
            models.Index(fields=["customer"], name="complaint_customer"),
        ]
        constraints = [
            models.CheckConstraint(
                name="complaint_closed_is_resolved_and_confirmed",
                condition=~Q(status="closed")
                | (
                    Q(closed_at__isnull=False, customer_confirmed_at__isnull=False, resolved_at__isnull=False)
                    & ~Q(resolution="")
                ),
            ),
            models.CheckConstraint(
                name="complaint_deadlines_after_opening",
                condition=Q(first_contact_due_at__gte=F("opened_at"), resolution_due_at__gte=F("opened_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        if self.is_closed:
            return False
        return (self.first_contacted_at is None and self.first_contact_due_at < now) or (
            self.resolved_at is None and self.resolution_due_at < now
        )


class ComplaintEntry(models.Model):
    """One step in a complaint's story: a note, the first contact, an escalation, the resolution, closing."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        NOTE = "note", _("Note")
        CONTACT = "contact", _("Customer contacted")
        ASSIGNED = "assigned", _("Owner changed")
        ESCALATED = "escalated", _("Escalated")
        RESOLVED = "resolved", _("Resolution proposed")
        REOPENED = "reopened", _("Customer not satisfied: reopened")
        CLOSED = "closed", _("Closed with the customer's confirmation")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="entries")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["complaint", "at", "id"]
        verbose_name = _("complaint entry")
        verbose_name_plural = _("complaint entries")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"


class CallBack(models.Model):
    """The satisfaction call after a settled repair order, due two to three days after it, never made by the
    advisor who served the customer (the database refuses both the assignment and the record)."""

    class Outcome(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")
        UNREACHABLE = "unreachable", _("Could not be reached")

    dealer = models.ForeignKey(
        "network.Dealer", on_delete=models.PROTECT, related_name="call_backs", verbose_name=_("dealer")
    )
    repair_order = models.OneToOneField(
        "service.RepairOrder",
        on_delete=models.PROTECT,
        related_name="call_back",
        verbose_name=_("repair order"),
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="call_backs", verbose_name=_("customer")
    )
    # The advisor who served the customer: the one person who must not make the call.
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Empty: the call-centre queue.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_call_backs",
        verbose_name=_("assigned to"),
    )
    due_at = models.DateTimeField(_("due from"))
    due_by = models.DateTimeField(_("due by"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("called"), null=True, blank=True)
    complaint = models.OneToOneField(
        Complaint, null=True, blank=True, on_delete=models.PROTECT, related_name="call_back"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("service call-back")
        verbose_name_plural = _("service call-backs")
        indexes = [
            models.Index(
                fields=["dealer", "due_at"], name="call_back_due", condition=Q(recorded_at__isnull=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="call_back_not_assigned_to_the_advisor",
                condition=Q(assigned_to__isnull=True)
                | Q(advisor__isnull=True)
                | ~Q(assigned_to=F("advisor")),
            ),
            models.CheckConstraint(
                name="call_back_not_made_by_the_advisor",
                condition=Q(recorded_by__isnull=True)
                | Q(advisor__isnull=True)
                | ~Q(recorded_by=F("advisor")),
            ),
            models.CheckConstraint(
                name="call_back_recorded_has_an_outcome",
                condition=Q(recorded_at__isnull=True) | ~Q(outcome=""),
            ),
            models.CheckConstraint(name="call_back_window_in_order", condition=Q(due_by__gte=F("due_at"))),
        ]

    def __str__(self) -> str:
        return f"call-back {self.repair_order_id}"

    @property
    def is_done(self) -> bool:
        return self.recorded_at is not None
