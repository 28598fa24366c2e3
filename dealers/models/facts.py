"""Daily facts: each registered measure (crm.core.key_figures) per dealer and per local day of that dealer, kept
from the apps' raw rows so that a region's month or the network's year is read from a few thousand small rows
instead of a million leads.

- `DailyFact` holds one measure's value in one dealer × day cell: a number for a count or a sum, the list of
  values for a VALUES measure (medians, percentiles). A cell with nothing in it (zero, no values) has no row.
- `FactDay` says which measures of a dealer × day were computed, and when: a measure listed there and without a
  `DailyFact` row is zero, one not listed is unknown (read from the raw rows). It is also the lock a refresh of
  the cell takes, so two refreshes of one cell run one after the other.

Both are derived: dealers.services.facts rewrites a cell from the measure's `compute` (after a timeline event,
and every night for recent days), never adds to it, so a replayed or late event changes nothing twice.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class DailyFact(models.Model):
    dealer = models.ForeignKey("network.Dealer", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # the dealer's local day
    measure = models.CharField(max_length=100)
    # COUNT and SUM measures (exact: sums may be money).
    number = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    # VALUES measures.
    values = ArrayField(models.FloatField(), null=True, blank=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "daily fact"
        verbose_name_plural = "daily facts"
        constraints = [
            models.UniqueConstraint(fields=["dealer", "day", "measure"], name="one_fact_per_dealer_day_measure"),
            models.CheckConstraint(
                name="fact_is_a_number_or_values",
                condition=Q(number__isnull=False, values__isnull=True) | Q(number__isnull=True, values__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.day} {self.measure}"


class FactDay(models.Model):
    dealer = models.ForeignKey("network.Dealer", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    measures = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "fact day"
        verbose_name_plural = "fact days"
        constraints = [models.UniqueConstraint(fields=["dealer", "day"], name="one_fact_day_per_dealer_day")]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.day}"
