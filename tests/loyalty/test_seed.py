"""The owner club's demo loads on top of the network and funnel demo, fast, once, and shows what the pages
are for: members in every tier, points expiring soon, a member in the grace period, pending points, an open
repair order to redeem on, and a settlement row for last month."""

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from crm.core.scope import network_wide
from loyalty.models import Member, PendingPoints, PointsEntry, PointsLot
from loyalty.selectors.club import add_months
from loyalty.selectors.reports import settlement_for

pytestmark = pytest.mark.django_db


def test_the_demo_loads_once_and_fast_and_every_ledger_adds_up():
    for command in ("seed_demo", "seed_demo_leads"):
        call_command(command, stdout=StringIO())
    started = time.monotonic()
    call_command("seed_demo_loyalty", stdout=StringIO())
    assert time.monotonic() - started < 30
    with network_wide(reason="test"):
        counts = (Member.objects.count(), PointsEntry.objects.count())
        output = StringIO()
        call_command("seed_demo_loyalty", stdout=output)
        assert "already loaded" in output.getvalue()
        assert (Member.objects.count(), PointsEntry.objects.count()) == counts
        assert counts[0] >= 20
        tiers = set(Member.objects.values_list("tier__code", flat=True))
        assert {"silver", "gold"} <= tiers
        assert Member.objects.filter(downgrade_on__isnull=False).exists()
        assert PointsEntry.objects.filter(kind="expire").exists()
        assert PendingPoints.objects.filter(status="pending").exists()
        from django.utils import timezone

        assert settlement_for(month=add_months(timezone.localdate(), -1))
        for member in Member.objects.all():
            entries = PointsEntry.objects.filter(member=member).aggregate(total=Sum("points"))["total"] or 0
            remaining = PointsLot.objects.filter(member=member).aggregate(total=Sum("remaining"))["total"] or 0
            assert entries == remaining
