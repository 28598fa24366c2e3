"""`manage.py facts_rederive [--days N]`: recompute the dealers' daily facts of the last N days for every active
dealer, as the nightly pass does (`make seed` runs it after the demo data, so the demo's history reads from
facts). Safe to run again: a refresh rewrites its cells."""

from django.core.management.base import BaseCommand

from crm.core.scope import network_wide
from dealers.services.facts import dealer_batches, facts_rederive, rederive_days


class Command(BaseCommand):
    help = "Recompute the dealers' daily facts of the last N days (default 120) for every active dealer."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=120)

    def handle(self, *args, days, **options):
        with network_wide(reason="facts_rederive command"):
            first_day, last_day = rederive_days(days=days)
            written = sum(
                facts_rederive(dealer_ids=batch, first_day=first_day, last_day=last_day) for batch in dealer_batches()
            )
        self.stdout.write(f"Daily facts {first_day} … {last_day}: {written} rows.")
