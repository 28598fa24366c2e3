"""The key-figure registry: figures combine the totals of their measures, so a region's ratio is the ratio
of its totals and a median is taken over every value, never an average of the dealers' figures."""

from datetime import date

import pytest

from crm.core import key_figures as kf

DAY = date(2026, 11, 2)


def rows(data):
    return lambda *, dealer_ids, first_day, last_day: [
        (dealer, day, value)
        for dealer, day, value in data
        if dealer in dealer_ids and first_day <= day <= last_day
    ]


@pytest.fixture
def registered():
    kf.measure_register(
        kf.Measure("test.answered", kf.MeasureKind.COUNT, rows([(1, DAY, 9), (2, DAY, 1)])),
        kf.Measure("test.received", kf.MeasureKind.COUNT, rows([(1, DAY, 10), (2, DAY, 10)])),
        kf.Measure("test.minutes", kf.MeasureKind.VALUES, rows([(1, DAY, [5, 7, 9]), (2, DAY, [100])])),
    )
    kf.figure_register(
        kf.KeyFigure(
            code="test.answer_rate",
            owner="tests",
            label="Answered",
            unit=kf.Unit.PERCENT,
            higher_is_better=True,
            definition="Answered ÷ received.",
            measures=("test.answered", "test.received"),
            combine=kf.ratio("test.answered", "test.received"),
        )
    )


def test_a_regions_ratio_is_the_ratio_of_its_totals_not_the_average_of_ratios(registered):
    totals = kf.totals_from_raw(
        codes=["test.answered", "test.received"], dealer_ids=[1, 2], first_day=DAY, last_day=DAY
    )
    value = kf.figure_get("test.answer_rate").combine(totals)
    assert (value.value, value.numerator, value.denominator) == (50.0, 10, 20)


def test_a_median_and_a_percentile_are_taken_over_every_value(registered):
    totals = kf.totals_from_raw(codes=["test.minutes"], dealer_ids=[1, 2], first_day=DAY, last_day=DAY)
    assert kf.median_of("test.minutes")(totals).value == 8
    assert kf.percentile_of("test.minutes", 90)(totals).value == 100
    assert kf.share_at_most("test.minutes", 30)(totals).value == 75


def test_nothing_to_measure_is_no_value_not_zero(registered):
    totals = kf.totals_from_raw(
        codes=["test.minutes", "test.received"], dealer_ids=[3], first_day=DAY, last_day=DAY
    )
    assert kf.median_of("test.minutes")(totals).value is None
    assert kf.ratio("test.answered", "test.received")({**totals, "test.answered": 0}).value is None


def test_a_figure_must_name_registered_measures():
    with pytest.raises(ValueError, match="register its measures first"):
        kf.figure_register(
            kf.KeyFigure(
                code="test.broken",
                owner="tests",
                label="Broken",
                unit=kf.Unit.COUNT,
                higher_is_better=True,
                definition="",
                measures=("test.nowhere",),
                combine=kf.total_of("test.nowhere"),
            )
        )
