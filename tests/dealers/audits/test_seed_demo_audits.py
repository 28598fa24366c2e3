"""The demo of the judging side: a published scorecard, an audit whose finding the dealer answered with a
file, a mystery shop that caught a dealer who does not log walk-ins; loaded once, quickly."""

import time
from io import StringIO

import pytest
from django.core.management import call_command

from crm.core.scope import network_wide
from dealers.models import Audit, Evidence, Finding, MysteryShop, Scorecard

pytestmark = pytest.mark.django_db


def test_the_demo_shows_every_page_doing_its_job_and_loads_once():
    for command in ("seed_demo", "seed_demo_leads"):
        call_command(command, stdout=StringIO())
    started = time.monotonic()
    call_command("seed_demo_audits", stdout=StringIO())
    assert time.monotonic() - started < 30

    with network_wide(reason="test check"):
        published = Scorecard.objects.filter(status="published").select_related("dealer")
        assert {s.dealer.code for s in published} == {"SH001", "HZ002"}
        assert Scorecard.objects.filter(status="draft", dealer__code="NJ003").exists()
        shanghai = published.get(dealer__code="SH001")
        assert shanghai.total_points is not None and shanghai.total_points > published.get(dealer__code="HZ002").total_points
        assert Audit.objects.filter(status="completed").count() == 2
        answered = Finding.objects.get(status="answered")
        assert answered.dealer.code == "SH001" and Evidence.objects.filter(finding_step__finding=answered).exists()
        caught = MysteryShop.objects.get(dealer__code="HZ002")
        assert (caught.is_logged, caught.findings.count()) == (False, 1)
        diligent = MysteryShop.objects.get(dealer__code="SH001")
        assert (diligent.is_logged, diligent.is_followed_up) == (True, True)
        counts = (Scorecard.objects.count(), Finding.objects.count(), MysteryShop.objects.count())

    output = StringIO()
    call_command("seed_demo_audits", stdout=output)
    assert "already loaded" in output.getvalue()
    with network_wide(reason="test check"):
        assert (Scorecard.objects.count(), Finding.objects.count(), MysteryShop.objects.count()) == counts
