"""Findings: what an audit, a figure or a mystery shop showed the dealer must fix. The dealer answers with a
corrective action and evidence; the OEM closes or reopens. Every step is a row (`FindingStep`), so the
finding's history is what happened, not what the last edit left."""

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class Finding(models.Model):
    class Source(models.TextChoices):
        AUDIT = "audit", _("Field audit")
        FIGURE = "figure", _("Key figure")
        MYSTERY_SHOP = "mystery_shop", _("Mystery shop")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered, to verify")
        CLOSED = "closed", _("Closed")

    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="findings")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    audit_result = models.ForeignKey(
        "dealers.AuditResult", null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    figure_code = models.CharField(_("key figure"), max_length=100, blank=True)
    mystery_shop = models.ForeignKey(
        "dealers.MysteryShop", null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what was found"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    is_data_falsification = models.BooleanField(_("data falsification"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner at the dealer"),
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("raised"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    class Meta:
        ordering = ["status", "due_on", "-id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.CheckConstraint(
                name="finding_source_is_named",
                condition=Q(source="audit", audit_result__isnull=False)
                | Q(source="figure", figure_code__gt="")
                | Q(source="mystery_shop", mystery_shop__isnull=False),
            ),
            models.CheckConstraint(
                name="finding_closed_has_closer",
                condition=~Q(status="closed") | Q(closed_at__isnull=False, closed_by__isnull=False),
            ),
            # A failed checklist item opens one finding, however often the button is pressed.
            models.UniqueConstraint(
                fields=["audit_result"], condition=Q(audit_result__isnull=False), name="finding_once_per_result"
            ),
            models.UniqueConstraint(
                fields=["mystery_shop"], condition=Q(mystery_shop__isnull=False), name="finding_once_per_shop"
            ),
        ]
        indexes = [models.Index(fields=["dealer", "status", "due_on"], name="finding_dealer_status_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class FindingStep(models.Model):
    class Kind(models.TextChoices):
        RAISED = "raised", _("Raised")
        ANSWERED = "answered", _("Corrective action")
        CLOSED = "closed", _("Verified and closed")
        REOPENED = "reopened", _("Reopened")
        ESCALATED = "escalated", _("Escalated: overdue")

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="steps")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["finding", "at", "id"]
        verbose_name = _("finding step")
        verbose_name_plural = _("finding steps")

    def __str__(self) -> str:
        return f"{self.finding_id} {self.kind}"


class EvidenceStorage(FileSystemStorage):
    """Files outside the web root (settings.DEALERS_EVIDENCE_ROOT, read at each use), with no public URL:
    the evidence view serves them after an access check."""

    @property
    def base_location(self):
        return str(settings.DEALERS_EVIDENCE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Evidence has no public URL: link to the evidence view.")


_storage = EvidenceStorage()


def evidence_storage() -> EvidenceStorage:
    return _storage


def evidence_path(instance: "Evidence", filename: str) -> str:
    return f"{instance.dealer_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Evidence(models.Model):
    """A file an auditor attached to a checklist item, or a dealer to its corrective action."""

    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    audit_result = models.ForeignKey(
        "dealers.AuditResult", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    finding_step = models.ForeignKey(
        FindingStep, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(storage=evidence_storage, upload_to=evidence_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        constraints = [
            models.CheckConstraint(
                name="evidence_belongs_to_one_thing",
                condition=Q(audit_result__isnull=False, finding_step__isnull=True)
                | Q(audit_result__isnull=True, finding_step__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.name
