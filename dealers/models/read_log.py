"""The OEM read log: every OEM user's view of a dealer's detail pages (its figures, and its scorecards, audits,
findings, evidence and mystery shops: dealers/views/read_log.py) and every export or API read of a dealer's
data, so a dealer can see who at the OEM looked at its data and when.

Append-only: PostgreSQL refuses any UPDATE or DELETE of a row (a trigger, which binds the owner too, and
no such privilege for the application role: migration 0010_read_log). A dealer's rows are visible to the
dealer's own staff and to the OEM staff over it (row-level security, like every dealer-owned table).
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OemRead(models.Model):
    class Kind(models.TextChoices):
        PAGE = "page", _("Viewed a page")
        EXPORT = "export", _("Exported")
        API = "api", _("Read through the API")

    class Subject(models.TextChoices):
        DEALER_PAGE = "dealer_page", _("The dealer's figures page")
        DEALER_EXPORT = "dealer_export", _("The dealer's figures (download)")
        RANKING_EXPORT = "ranking_export", _("The region's ranking and heat table (download)")
        SCORECARD = "scorecard", _("A scorecard")
        SCORECARD_HISTORY = "scorecard_history", _("The dealer's scorecard history")
        SCORECARD_EXPORT = "scorecard_export", _("Scorecards (download)")
        AUDIT = "audit", _("A field audit")
        FINDING = "finding", _("A finding")
        EVIDENCE = "evidence", _("An evidence file (download)")
        MYSTERY_SHOP = "mystery_shop", _("A mystery shop")
        VALUE_LEDGER = "value_ledger", _("The dealer's value ledger")
        API_SCORECARDS = "api_scorecards", _("Scorecards (API)")
        API_FINDINGS = "api_findings", _("Findings (API)")

    dealer = models.ForeignKey(
        "network.Dealer", on_delete=models.PROTECT, related_name="oem_reads", verbose_name=_("dealer")
    )
    # PROTECT: a reader is deactivated, never deleted, so the log never loses who read.
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("read by")
    )
    read_at = models.DateTimeField(_("read at"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    what = models.CharField(_("what"), max_length=40, choices=Subject.choices)
    path = models.CharField(_("address"), max_length=500, blank=True)
    first_day = models.DateField(_("from"), null=True, blank=True)
    last_day = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        ordering = ["-read_at", "-id"]
        verbose_name = _("OEM read")
        verbose_name_plural = _("OEM read log")
        indexes = [models.Index(fields=["dealer", "-read_at"], name="oem_read_dealer_time")]
        triggers = [
            pgtrigger.Protect(name="oem_read_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.reader_id} · {self.dealer_id} · {self.read_at:%Y-%m-%d %H:%M}"
