"""The service care demo loads on top of seed_demo through the services, shows each page doing its job, and a
second run adds nothing."""

import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.core.scope import network_wide
from service.models import (
    CallBack,
    Complaint,
    RecallCampaign,
    RecallUnmatchedVin,
    RecallUpload,
    RecallVehicle,
)

pytestmark = pytest.mark.django_db


def snapshot():
    with network_wide(reason="test"):
        return (
            Complaint.objects.count(),
            CallBack.objects.count(),
            RecallVehicle.objects.count(),
            RecallUpload.objects.count(),
            tuple(RecallVehicle.objects.order_by("id").values_list("status", flat=True)),
        )


def test_the_demo_shows_complaints_call_backs_and_a_recall_and_loads_once():
    call_command("seed_demo", customers=60)
    started = time.monotonic()
    call_command("seed_demo_service_care")
    assert time.monotonic() - started < 30
    now = timezone.now()
    with network_wide(reason="test"):
        statuses = set(Complaint.objects.values_list("status", flat=True))
        assert {"open", "closed"} <= statuses
        assert Complaint.objects.filter(escalation__gte=1).exists()
        assert CallBack.objects.filter(recorded_at__isnull=True, due_at__lte=now).exists()
        assert CallBack.objects.filter(recorded_at__isnull=True, due_at__gt=now).exists()
        assert CallBack.objects.filter(outcome="satisfied").exists()
        campaign = RecallCampaign.objects.get()
        rows = RecallVehicle.objects.filter(campaign=campaign)
        assert rows.filter(status="completed").count() == 1 and rows.filter(status="declined").count() == 1
        assert rows.exclude(notice="").count() == rows.count()
        upload = RecallUpload.objects.get()
        assert (upload.unmatched, upload.blanks, upload.rejected, upload.duplicates) == (1, 1, 1, 1)
        assert RecallUnmatchedVin.objects.count() == 1
    first = snapshot()
    call_command("seed_demo_service_care")
    assert snapshot() == first
