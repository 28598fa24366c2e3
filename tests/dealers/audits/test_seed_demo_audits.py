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
        answered = Finding.objects.get(status="answered")  # the veto's finding stays open
        assert answered.dealer.code == "SH001" and Evidence.objects.filter(finding_step__finding=answered).exists()
        caught = MysteryShop.objects.get(dealer__code="HZ002")
        assert (caught.is_logged, caught.findings.count()) == (False, 1)
        diligent = MysteryShop.objects.get(dealer__code="SH001")
        assert (diligent.is_logged, diligent.is_followed_up) == (True, True)
        # The veto: a critical finding overdue at the month's end caps Shanghai's tier and cancels its rebate.
        assert shanghai.points_tier in ("A", "B", "C") and (shanghai.tier, shanghai.rebate_rate) == ("D", 0)
        veto = Finding.objects.get(dealer__code="SH001", severity="critical", status="open")
        assert shanghai.vetoes == [{"kind": "overdue_critical", "finding_id": veto.id, "title": veto.title}]
        assert veto.raised_at.date() < shanghai.month.replace(day=28)
        counts = (Scorecard.objects.count(), Finding.objects.count(), MysteryShop.objects.count())

    output = StringIO()
    call_command("seed_demo_audits", stdout=output)
    assert "already loaded" in output.getvalue()
    with network_wide(reason="test check"):
        assert (Scorecard.objects.count(), Finding.objects.count(), MysteryShop.objects.count()) == counts


def test_the_demo_veto_shows_on_the_dealers_scorecard_pages(client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    for command in ("seed_demo", "seed_demo_leads", "seed_demo_audits"):
        call_command(command, stdout=StringIO())
    with network_wide(reason="test check"):
        shanghai = Scorecard.objects.get(status="published", dealer__code="SH001")
        manager = get_user_model().objects.get(username="manager.sh")
    client.force_login(manager)
    veto_id = shanghai.vetoes[0]["finding_id"]
    page = client.get(reverse("dealers:scorecard_detail", args=[shanghai.id])).content.decode()
    # The demo manager reads Chinese: the veto names its finding (bilingual title) and links to it.
    assert "Overdue follow-ups not cleared" in page and reverse("dealers:finding_detail", args=[veto_id]) in page
    listing = client.get(reverse("dealers:scorecard_list")).content.decode()
    assert "bi-slash-circle" in listing
