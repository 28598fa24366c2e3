"""The points liability key figure: what a dealer's members hold at the end of a period's last day, in lots the
dealer awarded and funded, at the point value; spending and expiry lower it from their own day on, and a
region's value is the sum of its dealers' last days."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crm.core import key_figures as kf
from loyalty.models import Programme
from loyalty.services.ledger import lots_expire, points_earn, points_redeem
from tests.factories import CustomerFactory, DealerFactory
from tests.loyalty.conftest import enrol, everything

pytestmark = pytest.mark.django_db

CODE = "loyalty.points_liability"


def _value(dealer_ids, first_day, last_day):
    with everything():
        totals = kf.totals_from_raw(
            codes=kf.figure_get(CODE).measures, dealer_ids=dealer_ids, first_day=first_day, last_day=last_day
        )
        return kf.figure_get(CODE).combine(totals)


def _moment(day: int, month: int = 3, year: int = 2025) -> datetime:
    return datetime(year, month, day, 4, tzinfo=UTC)  # noon in Shanghai


def test_liability_is_what_remains_unexpired_at_the_end_of_the_last_day(club):
    member, dealer = club["member"], club["dealer"]
    with everything():
        Programme.objects.update_or_create(id=1, defaults={"point_value": Decimal("0.05"), "expiry_months": 1})
        points_earn(member=member, points=1000, source="delivery", dealer=dealer, idempotency_key="a",
                    occurred_at=_moment(1))  # fmt: skip
        points_earn(member=member, points=500, source="campaign", dealer=dealer, idempotency_key="oem",
                    funded_by="oem", occurred_at=_moment(1))  # fmt: skip
        points_redeem(member=member, points=300, dealer=dealer, idempotency_key="r", occurred_at=_moment(10))
        # Both lots expire together: the earlier one (the dealer's) gives the 300.
    before = _value([dealer.id], date(2025, 3, 1), date(2025, 3, 9))
    after = _value([dealer.id], date(2025, 3, 1), date(2025, 3, 10))
    assert (before.numerator, before.value) == (1000, 50.0)
    assert (after.numerator, after.value) == (700, 35.0)
    # A month's life: the lot earned on 1 March is spendable through 1 April (Shanghai), gone at its end.
    assert _value([dealer.id], date(2025, 3, 25), date(2025, 4, 1)).numerator == 0
    assert _value([dealer.id], date(2025, 3, 25), date(2025, 3, 31)).numerator == 700
    # Before anything was earned: nothing owed (zero, not "no value").
    assert _value([dealer.id], date(2025, 2, 1), date(2025, 2, 28)).value == 0
    # The expiry run's entry changes nothing for days before it ran, and the figure stays 0 after.
    with everything():
        assert lots_expire(now=_moment(5, month=4)) == 2
    assert _value([dealer.id], date(2025, 3, 1), date(2025, 3, 31)).numerator == 700
    assert _value([dealer.id], date(2025, 4, 1), date(2025, 4, 30)).numerator == 0


def test_a_region_sums_its_dealers_and_a_dealer_without_lots_owes_nothing(club):
    dealer = club["dealer"]
    other = DealerFactory(name="Hongqiao 4S", time_zone="Asia/Shanghai")
    quiet = DealerFactory(name="Quiet 4S", time_zone="Asia/Shanghai")
    second = enrol(CustomerFactory(dealer=other), other)
    with everything():
        points_earn(member=club["member"], points=200, source="delivery", dealer=dealer, idempotency_key="x",
                    occurred_at=_moment(2))  # fmt: skip
        points_earn(member=second, points=300, source="delivery", dealer=other, idempotency_key="y",
                    occurred_at=_moment(20))  # fmt: skip
        point_value = Programme.objects.filter(id=1).first()
    value = point_value.point_value if point_value else Programme().point_value
    together = _value([dealer.id, other.id, quiet.id], date(2025, 3, 1), date(2025, 3, 31))
    assert together.numerator == 500
    assert Decimal(str(together.value)) == (500 * value).quantize(Decimal("0.01"))
    assert _value([quiet.id], date(2025, 3, 1), date(2025, 3, 31)).value == 0
    # Per day: the other dealer's points count from the day they were earned.
    with everything():
        cells = {
            (dealer_id, day): held
            for dealer_id, day, (_dealer, _ordinal, held) in kf.measure_get("loyalty.liability_points").compute(
                dealer_ids=[other.id], first_day=date(2025, 3, 19), last_day=date(2025, 3, 21)
            )
        }
    assert [cells.get((other.id, date(2025, 3, d))) for d in (19, 20, 21)] == [None, 300, 300]
