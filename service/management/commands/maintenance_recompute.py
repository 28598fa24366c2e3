"""`manage.py maintenance_recompute [--batch N]`: recompute every vehicle's next service, network-wide, with
the set-based statement the nightly beat job runs (service.maintenance.services.maintenance_recompute_all)."""

import time

from django.core.management.base import BaseCommand

from service.maintenance.services import BATCH, maintenance_recompute_all


class Command(BaseCommand):
    help = "Recompute every vehicle's maintenance due (set-based, in batches of vehicle ids)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH, help=f"vehicle ids per transaction ({BATCH:,})")

    def handle(self, *args, batch, **options):
        started = time.perf_counter()
        changed = maintenance_recompute_all(batch=max(batch, 1), log=self.stdout.write)
        seconds = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"{changed:,} vehicles' maintenance rows changed in {seconds:.1f} s"))
