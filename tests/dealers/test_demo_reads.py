"""The dealers' demo rows: loaded once on top of seed_demo, and shown to the demo dealer admin."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from crm.core.scope import network_wide
from dealers.models import OemRead

pytestmark = pytest.mark.django_db


def test_demo_oem_reads_load_once_and_the_demo_dealer_admin_sees_them(client):
    call_command("seed_demo", customers=5, stdout=StringIO())
    call_command("seed_demo_dealers", stdout=StringIO())
    with network_wide(reason="test: count"):
        loaded = OemRead.objects.count()
    assert loaded > 0
    again = StringIO()
    call_command("seed_demo_dealers", stdout=again)
    assert "already loaded" in again.getvalue()
    with network_wide(reason="test: count and demo login"):
        assert OemRead.objects.count() == loaded
        admin = get_user_model().objects.get(username="admin.sh")
    client.force_login(admin)
    response = client.get(reverse("dealers:oem_reads"))
    assert response.status_code == 200 and response.context["page"].paginator.count >= 3
