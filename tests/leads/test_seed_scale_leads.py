import pytest
from django.core.management import call_command
from django.db.models import Exists, OuterRef

from crm.core.scope import network_wide
from crm.customers.models import CustomerDealer
from leads.models import OPEN_STAGES, FollowUp, Lead, StageChange
from tests.leads.test_funnel_bookkeeping import assert_bookkeeping_matches_the_log

pytestmark = pytest.mark.django_db


def test_seed_scale_leads_builds_a_consistent_funnel_twice_in_a_row():
    call_command("seed_scale", customers=1500, dealers=4, batch_size=1500, workers=1, no_analyze=True)
    call_command("seed_scale_leads", leads=1000, dealers=4, batch_size=400)
    call_command("seed_scale_leads", leads=500, dealers=4)
    with network_wide(reason="test"):
        count = Lead.objects.count()
        assert 1400 <= count <= 1500  # the second run skips pairs that already have an open lead
        assert set(Lead.objects.values_list("stage", flat=True)) >= {
            "new",
            "contacted",
            "ordered",
            "delivered",
            "lost",
        }
        open_leads = Lead.objects.filter(stage__in=OPEN_STAGES).count()
        assert FollowUp.objects.filter(done_at__isnull=True).count() == open_leads
        assert StageChange.objects.filter(to_stage="new").count() == count
        # Every lead's dealer knows its customer, so dealer staff can open it.
        known = CustomerDealer.objects.filter(
            customer_id=OuterRef("customer_id"), dealer_id=OuterRef("dealer_id")
        )
        assert not Lead.objects.exclude(Exists(known)).exists()
        assert not Lead.objects.filter(owner__isnull=True).exists()
    # What the funnel services keep on each lead (furthest stage, time in stage) agrees with the log.
    assert_bookkeeping_matches_the_log()
