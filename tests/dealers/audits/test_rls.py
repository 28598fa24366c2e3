"""The second lock: PostgreSQL itself refuses another dealer's scorecards, findings, evidence and mystery
shops even to a query that forgets to filter; and the beat jobs are registered under the names beat uses."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from crm.celery import app
from crm.core.scope import Scope, network_wide, scoped
from dealers.models import CollisionDecision, Finding, FindingStep, MysteryShop, Scorecard, ScorecardTemplate
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_dealers_scope_sees_only_its_own_rows(network):
    admin = network["oem_admin"]
    with network_wide(reason="test arrange"):
        template = ScorecardTemplate.objects.create(version=1, name="T", created_by=admin)
        for dealer in (network["home"], network["far"]):
            Scorecard.objects.create(
                dealer=dealer, template=template, month=date(2026, 10, 1), points_tier="B", tier="B",
                rebate_rate=Decimal(1), computed_at=timezone.now(),
            )
            finding = Finding.objects.create(
                dealer=dealer, source="figure", figure_code="x", title="t", severity="minor",
                due_on=date.today() + timedelta(days=1), raised_by=admin, raised_at=timezone.now(),
            )
            FindingStep.objects.create(finding=finding, dealer=dealer, kind="raised", at=timezone.now())
            MysteryShop.objects.create(
                dealer=dealer, kind="call", occurred_at=timezone.now(), shopper_phone="+8613911112222",
                scenario="s", recorded_by=admin,
            )
        CollisionDecision.objects.create(
            customer=CustomerFactory(dealer=network["home"]),
            lead_ids=[1, 2], dealer_ids=[network["home"].id, network["far"].id], decision="both_continue",
            decided_by=admin, decided_at=timezone.now(),
        )
    home = network["home"].id
    with scoped(Scope.dealers([home])):
        for model in (Scorecard, Finding, FindingStep, MysteryShop):
            assert set(model.objects.values_list("dealer_id", flat=True)) == {home}, model
        assert not CollisionDecision.objects.exists()  # Far is involved: not every dealer is in scope
    with scoped(Scope.dealers([home, network["far"].id])):
        assert CollisionDecision.objects.count() == 1
    with scoped(Scope.nothing()):
        assert not Finding.objects.exists() and not Scorecard.objects.exists()


def test_the_beat_jobs_name_registered_tasks():
    app.loader.import_default_modules()  # what a worker does at start: import every app's tasks
    for key in ("dealers-scorecards-draft", "dealers-findings-escalate"):
        assert settings.CELERY_BEAT_SCHEDULE[key]["task"] in app.tasks
