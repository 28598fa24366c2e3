"""`manage.py seed_demo_dealers`: the dealers' pages' demo rows on top of `seed_demo`, loaded once.

The figures themselves come from the apps' own demo rows (leads' funnel) through the key-figure registry;
this adds what only the dealers app holds: a few weeks of OEM reads of the demo dealers' data (the regional
managers opening dealer pages and downloading figures), so a dealer admin's "who at the OEM looked at our
data" page has a history to show.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from crm.core.scope import network_wide
from crm.network.models import Dealer, Role
from dealers.models import OemRead
from dealers.selectors.periods import compared_period
from dealers.services import oem_reads_record

# (reader, days ago, hour, kind, subject, period): what the regional managers and the OEM admin did.
READS = [
    ("region.east", 20, 9, OemRead.Kind.PAGE, OemRead.Subject.DEALER_PAGE, "last_month"),
    ("region.east", 20, 9, OemRead.Kind.EXPORT, OemRead.Subject.DEALER_EXPORT, "last_month"),
    ("region.east", 12, 15, OemRead.Kind.EXPORT, OemRead.Subject.RANKING_EXPORT, "this_month"),
    ("oem.admin", 6, 11, OemRead.Kind.PAGE, OemRead.Subject.DEALER_PAGE, "last_3_months"),
    ("region.east", 1, 10, OemRead.Kind.PAGE, OemRead.Subject.DEALER_PAGE, "this_month"),
    ("region.north", 3, 16, OemRead.Kind.PAGE, OemRead.Subject.DEALER_PAGE, "this_month"),
]


class Command(BaseCommand):
    help = "Load the dealers' pages' demo rows (OEM reads of the demo dealers' data), once, after seed_demo."

    def handle(self, *args, **options):
        with network_wide(reason="seed demo dealers: the OEM's reads of every demo dealer"):
            if OemRead.objects.exists():
                self.stdout.write("demo OEM reads already loaded")
                return
            users = get_user_model().objects.in_bulk([reader for reader, *_rest in READS], field_name="username")
            dealers_by_region: dict[int, list[int]] = {}
            for dealer_id, region_id in Dealer.objects.filter(is_active=True).values_list("id", "region_id"):
                dealers_by_region.setdefault(region_id, []).append(dealer_id)
            now = timezone.now()
            count = 0
            for username, days_ago, hour, kind, subject, period_key in READS:
                reader = users.get(username)
                if reader is None:
                    self.stdout.write("run seed_demo first")
                    return
                region_ids = list(
                    reader.role_assignments.filter(role=Role.REGIONAL_MANAGER).values_list("region_id", flat=True)
                ) or list(dealers_by_region)
                dealer_ids = [d for region_id in region_ids for d in dealers_by_region.get(region_id, [])]
                read_at = (now - timedelta(days=days_ago)).replace(hour=hour, minute=17)
                period = compared_period(period_key, today=timezone.localdate(read_at)).current
                count += len(
                    oem_reads_record(
                        reader=reader,
                        dealer_ids=dealer_ids,
                        kind=kind,
                        what=subject,
                        path="/dealers/",
                        period=period,
                        read_at=read_at,
                    )
                )
        self.stdout.write(f"{count} demo OEM reads")
