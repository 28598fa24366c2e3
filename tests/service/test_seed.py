"""The workshop demo: loaded once through the services, quickly, and showing every page doing its job."""

import time
from io import StringIO

import pytest
from django.core.management import call_command

from crm.core.scope import network_wide
from service.models import DmsImportRow, OdometerReading, RepairOrder, RepairOrderSummary

pytestmark = pytest.mark.django_db


def test_the_demo_workshop_loads_once_and_quickly():
    call_command("seed_demo", stdout=StringIO())
    started = time.monotonic()
    call_command("seed_demo_service", stdout=StringIO())
    # About 7 s on an idle 2-core machine; the bound leaves room for a CI box shared with other suites.
    assert time.monotonic() - started < 60
    with network_wide(reason="test check"):
        statuses = set(RepairOrder.objects.values_list("status", flat=True))
        count = RepairOrder.objects.count()
        assert statuses == {"open", "in_progress", "ready", "settled", "voided"}
        assert RepairOrder.objects.filter(dealer__code="SH001", status="ready").count() == 2
        assert RepairOrder.objects.filter(corrects__isnull=False, status="settled").exists()
        assert RepairOrderSummary.objects.filter(dealer__code="HZ002", vehicle__repair_orders__dealer__code="SH001").exists()
        assert OdometerReading.objects.filter(is_suspect=True).exists()
        assert DmsImportRow.objects.filter(outcome="quarantined").exists()
        assert DmsImportRow.objects.filter(outcome="duplicate").exists()
    out = StringIO()
    call_command("seed_demo_service", stdout=out)
    assert "already loaded" in out.getvalue()
    with network_wide(reason="test check"):
        assert RepairOrder.objects.count() == count
