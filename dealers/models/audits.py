"""Audit checklists (the OEM's, versioned) and field audits at dealers. An audit keeps the checklist version
it started with, so a checklist edited later never changes what an earlier audit measured (LESSONS.md,
"checklists that drift between audits"). A published checklist and a completed audit are frozen."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AuditChecklist(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("audit checklist")
        verbose_name_plural = _("audit checklists")
        triggers = [
            pgtrigger.Protect(
                name="audit_checklist_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="published"),
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.title}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class AuditChecklistItem(models.Model):
    checklist = models.ForeignKey(AuditChecklist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    category = models.CharField(_("category"), max_length=100)
    text = models.CharField(_("what the auditor checks"), max_length=300)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    is_critical = models.BooleanField(_("critical"), default=False)
    is_evidence_required = models.BooleanField(_("evidence required"), default=False)

    class Meta:
        ordering = ["checklist", "position", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.CheckConstraint(name="audit_item_weight_range", condition=Q(weight__gte=1, weight__lte=100)),
        ]

    def __str__(self) -> str:
        return self.text


class Audit(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="audits")
    checklist = models.ForeignKey(AuditChecklist, on_delete=models.PROTECT, related_name="audits")
    auditor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("date of the visit"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.IN_PROGRESS
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        constraints = [
            models.CheckConstraint(
                name="audit_completed_has_score",
                condition=Q(status="in_progress") | Q(score__isnull=False, completed_at__isnull=False),
            ),
            models.CheckConstraint(
                name="audit_score_range", condition=Q(score__gte=0, score__lte=100) | Q(score=None)
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="audit_completed_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="completed"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.visited_on}"

    @property
    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED


class AuditResult(models.Model):
    class Result(models.TextChoices):
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")
        NOT_APPLICABLE = "na", _("Not applicable")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="results")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(AuditChecklistItem, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("result"), max_length=4, choices=Result.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["audit", "item__position", "item_id"]
        verbose_name = _("audit result")
        verbose_name_plural = _("audit results")
        constraints = [models.UniqueConstraint(fields=["audit", "item"], name="audit_result_once_per_item")]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.result or '-'}"
