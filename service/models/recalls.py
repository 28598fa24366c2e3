"""Recalls: an OEM campaign that must fix a defect on a list of vehicles. The vehicles come from uploaded VIN
lists (each upload reported row by row) or from a rule (model codes, model years, a VIN range); VINs not in
the system are kept at OEM level as unmatched. A vehicle's recall is completed when a settled repair order at
any dealer carries one of the campaign's remedy operations; a second remedy on the same vehicle is flagged.

Row-level security: campaigns are the OEM's and readable by every signed-in role; an affected vehicle is
visible wherever the vehicle is (the advisor who checks a car in must see its open recall); a remedy is its
dealer's; uploads and unmatched VINs are the OEM's alone."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RecallCampaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    code = models.CharField(_("campaign code"), max_length=30, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("defect and risk"), blank=True)
    remedy_operation_codes = ArrayField(
        models.CharField(max_length=40), verbose_name=_("remedy operation codes")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # The rule that selects affected vehicles (each part optional; an empty rule selects nobody).
    rule_models = ArrayField(
        models.CharField(max_length=60), default=list, blank=True, verbose_name=_("model codes")
    )
    rule_year_from = models.PositiveSmallIntegerField(_("model year from"), null=True, blank=True)
    rule_year_to = models.PositiveSmallIntegerField(_("model year to"), null=True, blank=True)
    rule_vin_from = models.CharField(_("VIN from"), max_length=17, blank=True)
    rule_vin_to = models.CharField(_("VIN to"), max_length=17, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("recall campaign")
        verbose_name_plural = _("recall campaigns")
        constraints = [
            models.CheckConstraint(name="recall_has_a_remedy", condition=~Q(remedy_operation_codes=[])),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class RecallVehicle(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined by the customer")

    class Added(models.TextChoices):
        UPLOAD = "upload", _("VIN list")
        RULE = "rule", _("Rule")

    class Notice(models.TextChoices):
        NONE = "", _("Not notified")
        QUEUED = "queued", _("Message sent")
        NO_CONTACT = "no_contact", _("No phone number on record")
        OPTED_OUT = "opted_out", _("Opted out of service messages")

    campaign = models.ForeignKey(RecallCampaign, on_delete=models.CASCADE, related_name="vehicles")
    vehicle = models.ForeignKey(
        "customers.Vehicle", on_delete=models.PROTECT, related_name="recalls", verbose_name=_("vehicle")
    )
    # The dealer answerable for reaching the owner: the one that sold the car, else the one that recorded it.
    dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_by = models.CharField(_("added from"), max_length=10, choices=Added.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    notice = models.CharField(_("owner notice"), max_length=12, choices=Notice.choices, blank=True)
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by_dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_repair_order = models.ForeignKey(
        "service.RepairOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # More than one settled remedy on this vehicle: worth a look (a repeat repair, or a claim made twice).
    has_repeat_remedy = models.BooleanField(_("remedied more than once"), default=False)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    declined_note = models.CharField(_("why the customer declined"), max_length=300, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["campaign", "id"]
        verbose_name = _("vehicle affected by a recall")
        verbose_name_plural = _("vehicles affected by recalls")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "vehicle"], name="recall_vehicle_once"),
            models.CheckConstraint(
                name="recall_completed_has_a_time",
                condition=~Q(status="completed") | Q(completed_at__isnull=False),
            ),
            models.CheckConstraint(
                name="recall_declined_has_a_time",
                condition=~Q(status="declined") | Q(declined_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["vehicle"], name="recall_vehicle_vehicle"),
            models.Index(fields=["campaign", "dealer"], name="recall_vehicle_dealer"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.vehicle_id}"


class RecallRemedy(models.Model):
    """A settled repair order that carried one of the campaign's remedy operations on an affected vehicle."""

    campaign = models.ForeignKey(RecallCampaign, on_delete=models.CASCADE, related_name="remedies")
    recall_vehicle = models.ForeignKey(RecallVehicle, on_delete=models.CASCADE, related_name="remedies")
    repair_order = models.ForeignKey("service.RepairOrder", on_delete=models.PROTECT, related_name="+")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    operation_codes = ArrayField(models.CharField(max_length=40))
    settled_at = models.DateTimeField(_("settled"))
    is_repeat = models.BooleanField(_("second remedy"), default=False)

    class Meta:
        ordering = ["settled_at", "id"]
        verbose_name = _("recall remedy")
        verbose_name_plural = _("recall remedies")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "repair_order"], name="recall_remedy_once_per_order")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.repair_order_id}"


class RecallUpload(models.Model):
    """One uploaded VIN list and what became of each row."""

    campaign = models.ForeignKey(RecallCampaign, on_delete=models.CASCADE, related_name="uploads")
    filename = models.CharField(_("file"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    added = models.PositiveIntegerField(_("vehicles added"), default=0)
    already = models.PositiveIntegerField(_("already in the campaign"), default=0)
    unmatched = models.PositiveIntegerField(_("VINs not in the system"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates in the file"), default=0)
    blanks = models.PositiveIntegerField(_("blank rows"), default=0)
    rejected = models.PositiveIntegerField(_("rejected rows"), default=0)
    # [{"row": 12, "value": "LSVAB…", "reason": "…"}] for every rejected row.
    rejected_rows = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("VIN list upload")
        verbose_name_plural = _("VIN list uploads")

    def __str__(self) -> str:
        return self.filename


class RecallUnmatchedVin(models.Model):
    """A valid VIN on a campaign's list that no vehicle in the system has (yet)."""

    campaign = models.ForeignKey(RecallCampaign, on_delete=models.CASCADE, related_name="unmatched_vins")
    vin = models.CharField(_("VIN"), max_length=17)
    upload = models.ForeignKey(RecallUpload, null=True, on_delete=models.SET_NULL, related_name="+")
    first_seen_at = models.DateTimeField(_("first listed"), default=timezone.now)

    class Meta:
        ordering = ["campaign", "vin"]
        verbose_name = _("unmatched recall VIN")
        verbose_name_plural = _("unmatched recall VINs")
        constraints = [models.UniqueConstraint(fields=["campaign", "vin"], name="recall_unmatched_vin_once")]

    def __str__(self) -> str:
        return self.vin
