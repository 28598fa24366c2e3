"""The dealers list pages: the number of queries does not grow with the rows."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from dealers.models import (
    Audit,
    AuditChecklist,
    AuditChecklistItem,
    Finding,
    MysteryShop,
    Scorecard,
    ScorecardTemplate,
)
from tests.factories import DealerFactory

pytestmark = pytest.mark.django_db

PAGES = ["dealers:scorecard_list", "dealers:finding_list", "dealers:audit_list", "dealers:shop_list"]


def rows(network, count: int) -> None:
    admin = network["oem_admin"]
    with network_wide(reason="test arrange"):
        template = ScorecardTemplate.objects.get_or_create(version=1, defaults={"name": "T", "created_by": admin})[0]
        checklist = AuditChecklist.objects.get_or_create(version=1, defaults={"title": "C", "created_by": admin})[0]
        item = AuditChecklistItem.objects.get_or_create(checklist=checklist, category="c", text="t")[0]
        for _index in range(count):
            dealer = DealerFactory(region=network["east"])
            Scorecard.objects.create(
                dealer=dealer, template=template, month=date(2026, 10, 1), points_tier="B", tier="B",
                rebate_rate=Decimal(1), computed_at=timezone.now(),
            )
            audit = Audit.objects.create(dealer=dealer, checklist=checklist, auditor=admin, visited_on=date.today())
            audit.results.create(dealer=dealer, item=item)
            Finding.objects.create(
                dealer=dealer, source="figure", figure_code="x", title="t", severity="minor",
                due_on=date.today() + timedelta(days=1), raised_by=admin, raised_at=timezone.now(), owner=network["seller"],
            )
            MysteryShop.objects.create(
                dealer=dealer, kind="visit", occurred_at=timezone.now(), shopper_phone="+8613911112222", scenario="s",
                recorded_by=admin,
            )


@pytest.mark.parametrize("name", PAGES)
def test_list_pages_do_not_grow_with_rows(network, name, django_assert_max_num_queries):
    client = Client()
    client.force_login(network["regional"])
    rows(network, 2)
    client.get(reverse(name))
    with django_assert_max_num_queries(40) as few:
        assert client.get(reverse(name)).status_code == 200
    rows(network, 8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(name)).status_code == 200
