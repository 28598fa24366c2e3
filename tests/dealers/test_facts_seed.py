"""`make seed` ends with `facts_rederive`: the demo's history is then read from daily facts that equal the raw
rows, in well under the seed's time budget, and running it again changes nothing."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.core import key_figures as kf
from crm.core.scope import network_wide
from crm.network.models import Dealer
from dealers.models import DailyFact, FactDay
from dealers.selectors.figures import Period, measure_totals

pytestmark = pytest.mark.django_db


def test_the_demo_history_reads_from_facts_equal_to_the_raw_rows():
    call_command("seed_demo", customers=40)
    call_command("seed_demo_leads")
    started = time.perf_counter()
    call_command("facts_rederive", days=60)
    assert time.perf_counter() - started < 30
    today = timezone.localdate()
    period = Period(today - timedelta(days=60), today - timedelta(days=2))  # the days read from facts
    with network_wide(reason="test check"):
        dealer_ids = list(Dealer.objects.values_list("id", flat=True))
        facts = {(row.dealer_id, row.measure, row.day) for row in DailyFact.objects.all()}
        assert facts and FactDay.objects.exists()
        codes = [measure.code for measure in kf.measures()]
        from_facts = measure_totals(codes=codes, dealer_ids=dealer_ids, period=period)
        raw = {
            dealer_id: kf.totals_from_raw(
                codes=codes, dealer_ids=[dealer_id], first_day=period.first_day, last_day=period.last_day
            )
            for dealer_id in dealer_ids
        }
    for dealer_id in dealer_ids:
        for code in codes:
            fact, expected = from_facts[dealer_id][code], raw[dealer_id][code]
            assert (sorted(fact) if isinstance(fact, list) else fact) == (
                sorted(expected) if isinstance(expected, list) else expected
            ), (dealer_id, code)
    assert sum(1 for d in from_facts.values() if d["leads.received"]) >= 1
    call_command("facts_rederive", days=60)
    with network_wide(reason="test check"):
        assert {(row.dealer_id, row.measure, row.day) for row in DailyFact.objects.all()} == facts
