"""DMS imports: a dealer's repair-order export (an uploaded file, or a push through the API), and what became
of each of its rows. Repair orders are keyed by dealer + RO number + line number, so importing the same
file twice changes nothing; rows that cannot be trusted (a VIN that is not one) are kept here, quarantined
with their reason, never guessed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DmsImport(models.Model):
    class Source(models.TextChoices):
        FILE = "file", _("File upload")
        API = "api", _("DMS push (API)")

    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+", verbose_name=_("dealer"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.FILE)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    # What the encoding sniffer found (CSV) or the sheet read (XLSX), for the result page.
    read_as = models.CharField(_("read as"), max_length=60, blank=True)
    # A DMS that pushes sends an Idempotency-Key: the same key answers the first import's result again.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)
    # {"created": 3, "revised": 1, "unchanged": 10, …}: rows per outcome.
    counts = models.JSONField(_("rows per outcome"), default=dict)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("DMS import")
        verbose_name_plural = _("DMS imports")
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="dms_import_key_once_per_dealer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.imported_at:%Y-%m-%d %H:%M}"


class DmsImportRow(models.Model):
    class Outcome(models.TextChoices):
        CREATED = "created", _("New repair order line")
        REVISED = "revised", _("Replaced an older version")
        UNCHANGED = "unchanged", _("Already imported, unchanged")
        DUPLICATE = "duplicate", _("Duplicate of another row in this file")
        SUPERSEDED = "superseded", _("Older than a version already imported")
        VOIDED = "voided", _("Voided in the DMS: kept, left out of history")
        QUARANTINED = "quarantined", _("Quarantined")
        REJECTED = "rejected", _("Not imported")

    dms_import = models.ForeignKey(DmsImport, on_delete=models.CASCADE, related_name="rows")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    row_number = models.PositiveIntegerField(_("row"))
    ro_number = models.CharField(_("RO number"), max_length=40, blank=True)
    line_number = models.PositiveIntegerField(_("line"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    message = models.CharField(_("reason"), max_length=300, blank=True)
    # The row as it was read, for quarantined and rejected rows (to fix in the DMS and export again).
    values = models.JSONField(_("values"), default=dict, blank=True)

    class Meta:
        ordering = ["dms_import", "row_number"]
        verbose_name = _("DMS import row")
        verbose_name_plural = _("DMS import rows")
        indexes = [
            models.Index(
                fields=["dealer", "outcome"], name="dms_row_quarantine", condition=Q(outcome="quarantined")
            )
        ]

    def __str__(self) -> str:
        return f"{self.row_number}: {self.outcome}"
