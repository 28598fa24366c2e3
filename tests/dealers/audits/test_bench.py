"""The scorecard bench runs end to end on a small network (the real run is `make bench`)."""

import pytest

from bench.scorecards import bench_scorecards
from crm.core.scope import network_wide
from dealers.models import Scorecard

pytestmark = pytest.mark.django_db


def test_the_scorecard_bench_drafts_every_dealer_then_finds_nothing_changed(network, test_figures):
    lines: list[str] = []
    bench_scorecards(out=lines.append)
    assert "3 dealers" in lines[0]
    assert "'created': 3" in lines[1] and "'unchanged': 3" in lines[2]
    assert lines[3].strip().startswith("baseline")
    with network_wide(reason="test check"):
        assert Scorecard.objects.filter(status="draft").count() == 3
