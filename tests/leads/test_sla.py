"""The first-response SLA clock counts only the dealer's business hours, in the dealer's time zone."""

import random
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone

import pytest

from leads.sla import business_deadline, business_minutes_between, is_open, next_opening

SHANGHAI = "Asia/Shanghai"
NEW_YORK = "America/New_York"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

EVERY_DAY_NINE_TO_SIX = {day: [["09:00", "18:00"]] for day in WEEKDAYS}
WITH_LUNCH_BREAK = {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in WEEKDAYS}
CLOSED_SUNDAY = {**EVERY_DAY_NINE_TO_SIX, "sun": []}
CLOSED_WEEKEND = {**EVERY_DAY_NINE_TO_SIX, "sat": [], "sun": []}
NEVER_OPEN = {day: [] for day in WEEKDAYS}
MIDNIGHT_TO_FIVE = {day: [["00:00", "05:00"]] for day in WEEKDAYS}

# 2025-03-03 is a Monday; 2025-03-09 and 2025-11-02 are New York's spring-forward and fall-back days.


def shanghai(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(SHANGHAI))


def new_york(year, month, day, hour, minute=0, fold=0):
    return datetime(year, month, day, hour, minute, fold=fold, tzinfo=zoneinfo.ZoneInfo(NEW_YORK))


def deadline_in_shanghai(start, minutes, business_hours=EVERY_DAY_NINE_TO_SIX):
    return business_deadline(start, minutes, business_hours=business_hours, time_zone=SHANGHAI)


def test_lead_late_in_the_day_is_due_the_next_morning():
    due = deadline_in_shanghai(shanghai(2025, 3, 3, 17, 30), 120)

    assert due == shanghai(2025, 3, 4, 10, 30)
    assert due.tzinfo is UTC


def test_lead_arriving_at_night_starts_counting_at_opening():
    assert deadline_in_shanghai(shanghai(2025, 3, 3, 2, 0), 120) == shanghai(2025, 3, 3, 11, 0)


def test_lead_arriving_after_closing_starts_counting_next_morning():
    assert deadline_in_shanghai(shanghai(2025, 3, 3, 20, 0), 60) == shanghai(2025, 3, 4, 10, 0)


def test_lunch_break_does_not_count():
    due = deadline_in_shanghai(shanghai(2025, 3, 3, 11, 0), 120, business_hours=WITH_LUNCH_BREAK)

    assert due == shanghai(2025, 3, 3, 14, 0)


def test_lead_arriving_during_lunch_starts_counting_after_lunch():
    due = deadline_in_shanghai(shanghai(2025, 3, 3, 12, 15), 30, business_hours=WITH_LUNCH_BREAK)

    assert due == shanghai(2025, 3, 3, 13, 30)


def test_closed_sunday_is_skipped():
    due = deadline_in_shanghai(shanghai(2025, 3, 8, 17, 0), 120, business_hours=CLOSED_SUNDAY)

    assert due == shanghai(2025, 3, 10, 10, 0)


def test_friday_night_lead_with_weekend_closed_is_due_monday():
    due = deadline_in_shanghai(shanghai(2025, 3, 7, 21, 0), 120, business_hours=CLOSED_WEEKEND)

    assert due == shanghai(2025, 3, 10, 11, 0)


def test_zero_minutes_is_the_start_when_open_and_the_next_opening_when_closed():
    assert deadline_in_shanghai(shanghai(2025, 3, 3, 10, 0), 0) == shanghai(2025, 3, 3, 10, 0)
    assert deadline_in_shanghai(shanghai(2025, 3, 3, 18, 0), 0) == shanghai(2025, 3, 4, 9, 0)


def test_deadline_that_ends_exactly_at_closing_stays_on_that_day():
    assert deadline_in_shanghai(shanghai(2025, 3, 3, 17, 0), 60) == shanghai(2025, 3, 3, 18, 0)


def test_start_in_any_time_zone_gives_the_same_deadline():
    in_shanghai = shanghai(2025, 3, 3, 17, 30)
    in_utc = in_shanghai.astimezone(UTC)
    in_fixed_offset = in_shanghai.astimezone(timezone(timedelta(hours=-7)))

    assert deadline_in_shanghai(in_utc, 120) == deadline_in_shanghai(in_fixed_offset, 120)
    assert deadline_in_shanghai(in_utc, 120) == shanghai(2025, 3, 4, 10, 30)


def test_minutes_between_counts_only_business_hours_across_nights_and_weekends():
    minutes = business_minutes_between(
        shanghai(2025, 3, 7, 17, 0),
        shanghai(2025, 3, 10, 10, 30),
        business_hours=CLOSED_WEEKEND,
        time_zone=SHANGHAI,
    )

    assert minutes == 60 + 90


def test_minutes_between_rounds_down_and_is_zero_when_end_is_not_after_start():
    start = shanghai(2025, 3, 3, 10, 0)

    def between(end):
        return business_minutes_between(start, end, business_hours=EVERY_DAY_NINE_TO_SIX, time_zone=SHANGHAI)

    assert between(start + timedelta(minutes=5, seconds=59)) == 5
    assert between(start) == 0
    assert between(start - timedelta(hours=3)) == 0


@pytest.mark.parametrize(
    ("business_hours", "time_zone"),
    [
        (WITH_LUNCH_BREAK, SHANGHAI),
        (CLOSED_WEEKEND, SHANGHAI),
        (MIDNIGHT_TO_FIVE, NEW_YORK),
        ({**WITH_LUNCH_BREAK, "sat": [["01:30", "03:30"]], "sun": []}, NEW_YORK),
    ],
)
def test_minutes_between_is_the_inverse_of_the_deadline(business_hours, time_zone):
    randomness = random.Random(20250309)
    # Starts spread over a year, so New York's two clock changes fall inside some SLA windows.
    earliest = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(300):
        start = earliest + timedelta(seconds=randomness.randrange(365 * 24 * 3600))
        minutes = randomness.choice([0, 1, 30, 120, 540, 1440, randomness.randrange(20000)])

        due = business_deadline(start, minutes, business_hours=business_hours, time_zone=time_zone)

        assert due >= start
        assert (
            business_minutes_between(start, due, business_hours=business_hours, time_zone=time_zone)
            == minutes
        )


def test_spring_forward_day_counts_real_minutes_not_wall_clock_minutes():
    # 00:00–05:00 on the spring-forward day is 4 real hours: the clock skips 02:00–03:00.
    start = new_york(2025, 3, 9, 0, 0)

    assert (
        business_minutes_between(
            start, new_york(2025, 3, 9, 5, 0), business_hours=MIDNIGHT_TO_FIVE, time_zone=NEW_YORK
        )
        == 4 * 60
    )
    assert business_deadline(start, 4 * 60, business_hours=MIDNIGHT_TO_FIVE, time_zone=NEW_YORK) == new_york(
        2025, 3, 9, 5, 0
    )
    assert business_deadline(start, 5 * 60, business_hours=MIDNIGHT_TO_FIVE, time_zone=NEW_YORK) == new_york(
        2025, 3, 10, 1, 0
    )


def test_fall_back_day_counts_the_repeated_hour():
    # 00:00–05:00 on the fall-back day is 6 real hours: the clock shows 01:00–02:00 twice.
    start = new_york(2025, 11, 2, 0, 0)

    assert (
        business_minutes_between(
            start, new_york(2025, 11, 2, 5, 0), business_hours=MIDNIGHT_TO_FIVE, time_zone=NEW_YORK
        )
        == 6 * 60
    )
    assert business_deadline(start, 5 * 60, business_hours=MIDNIGHT_TO_FIVE, time_zone=NEW_YORK) == new_york(
        2025, 11, 2, 4, 0
    )
    # 90 real minutes after midnight is the first 01:30; 150 is the second one. Compared in UTC because
    # Python never finds an ambiguous local time equal to a time in another zone (PEP 495).
    assert business_deadline(start, 90, business_hours=MIDNIGHT_TO_FIVE, time_zone=NEW_YORK) == new_york(
        2025, 11, 2, 1, 30, fold=0
    ).astimezone(UTC)
    assert business_deadline(start, 150, business_hours=MIDNIGHT_TO_FIVE, time_zone=NEW_YORK) == new_york(
        2025, 11, 2, 1, 30, fold=1
    ).astimezone(UTC)


def test_span_opening_in_the_skipped_hour_opens_when_the_clock_jumps():
    business_hours = {**NEVER_OPEN, "sun": [["02:30", "04:00"]]}

    opening = next_opening(new_york(2025, 3, 9, 0, 0), business_hours=business_hours, time_zone=NEW_YORK)

    assert opening == new_york(2025, 3, 9, 3, 0)
    assert business_deadline(opening, 60, business_hours=business_hours, time_zone=NEW_YORK) == new_york(
        2025, 3, 9, 4, 0
    )


def test_span_closing_in_the_repeated_hour_closes_at_its_first_occurrence():
    business_hours = {**NEVER_OPEN, "sun": [["00:00", "01:30"]]}

    assert (
        business_minutes_between(
            new_york(2025, 11, 2, 0, 0),
            new_york(2025, 11, 2, 3, 0),
            business_hours=business_hours,
            time_zone=NEW_YORK,
        )
        == 90
    )


def test_is_open_inside_spans_only():
    def open_at(at):
        return is_open(at, business_hours=WITH_LUNCH_BREAK, time_zone=SHANGHAI)

    assert open_at(shanghai(2025, 3, 3, 9, 0))
    assert open_at(shanghai(2025, 3, 3, 11, 59))
    assert not open_at(shanghai(2025, 3, 3, 12, 0))
    assert open_at(shanghai(2025, 3, 3, 13, 0))
    assert not open_at(shanghai(2025, 3, 3, 18, 0))
    assert not open_at(shanghai(2025, 3, 3, 3, 0))
    # 01:30 UTC is 09:30 in Shanghai.
    assert open_at(datetime(2025, 3, 3, 1, 30, tzinfo=UTC))


def test_next_opening_is_now_when_open_and_the_next_span_when_closed():
    def opening_after(at):
        return next_opening(at, business_hours=CLOSED_WEEKEND, time_zone=SHANGHAI)

    assert opening_after(shanghai(2025, 3, 3, 10, 0)) == shanghai(2025, 3, 3, 10, 0)
    assert opening_after(shanghai(2025, 3, 7, 18, 0)) == shanghai(2025, 3, 10, 9, 0)


def test_span_until_midnight_runs_into_the_next_day():
    business_hours = {**NEVER_OPEN, "mon": [["22:00", "24:00"]], "tue": [["00:00", "02:00"]]}

    due = deadline_in_shanghai(shanghai(2025, 3, 3, 23, 0), 120, business_hours=business_hours)

    assert due == shanghai(2025, 3, 4, 1, 0)


def test_overlapping_spans_are_not_counted_twice():
    business_hours = {day: [["09:00", "12:00"], ["11:00", "13:00"]] for day in WEEKDAYS}

    assert (
        business_minutes_between(
            shanghai(2025, 3, 3, 0, 0),
            shanghai(2025, 3, 3, 23, 0),
            business_hours=business_hours,
            time_zone=SHANGHAI,
        )
        == 4 * 60
    )


def test_never_open_dealer_has_no_deadline_and_counts_no_minutes():
    start = shanghai(2025, 3, 3, 10, 0)

    with pytest.raises(ValueError, match="never"):
        business_deadline(start, 120, business_hours=NEVER_OPEN, time_zone=SHANGHAI)
    with pytest.raises(ValueError, match="never"):
        next_opening(start, business_hours=NEVER_OPEN, time_zone=SHANGHAI)
    assert (
        business_minutes_between(
            start, start + timedelta(days=30), business_hours=NEVER_OPEN, time_zone=SHANGHAI
        )
        == 0
    )
    assert not is_open(start, business_hours=NEVER_OPEN, time_zone=SHANGHAI)


def test_naive_datetimes_are_rejected():
    naive = datetime(2025, 3, 3, 10, 0)
    aware = shanghai(2025, 3, 3, 10, 0)
    hours = {"business_hours": EVERY_DAY_NINE_TO_SIX, "time_zone": SHANGHAI}

    with pytest.raises(ValueError, match="aware"):
        business_deadline(naive, 10, **hours)
    with pytest.raises(ValueError, match="aware"):
        business_minutes_between(aware, naive, **hours)
    with pytest.raises(ValueError, match="aware"):
        business_minutes_between(naive, aware, **hours)
    with pytest.raises(ValueError, match="aware"):
        is_open(naive, **hours)
    with pytest.raises(ValueError, match="aware"):
        next_opening(naive, **hours)


def test_bad_input_is_rejected_with_a_clear_error():
    start = shanghai(2025, 3, 3, 10, 0)

    with pytest.raises(ValueError, match="time zone"):
        business_deadline(start, 10, business_hours=EVERY_DAY_NINE_TO_SIX, time_zone="Mars/Olympus")
    with pytest.raises(ValueError, match="zero or more"):
        deadline_in_shanghai(start, -1)
    with pytest.raises(ValueError, match="HH:MM"):
        deadline_in_shanghai(start, 10, business_hours={"mon": [["9am", "18:00"]]})
    with pytest.raises(ValueError, match="close after it opens"):
        deadline_in_shanghai(start, 10, business_hours={"mon": [["18:00", "09:00"]]})
    with pytest.raises(ValueError, match="unknown weekdays"):
        deadline_in_shanghai(start, 10, business_hours={"monday": [["09:00", "18:00"]]})


def test_lead_that_arrived_sixty_days_ago_is_counted_day_by_day():
    arrived = shanghai(2025, 1, 6, 8, 0)  # a Monday, before opening
    now = arrived + timedelta(days=60)  # a Friday, 08:00: before opening again

    elapsed = business_minutes_between(arrived, now, business_hours=CLOSED_WEEKEND, time_zone=SHANGHAI)

    # 60 days from one Monday is 8 weeks and 4 days: 44 open weekdays of 9 hours each.
    assert elapsed == 44 * 9 * 60
    assert deadline_in_shanghai(arrived, elapsed, business_hours=CLOSED_WEEKEND) == shanghai(
        2025, 3, 6, 18, 0
    )


@pytest.mark.parametrize("time_zone", [NEW_YORK, "Australia/Lord_Howe", "America/Santiago"])
def test_dealer_open_around_the_clock_counts_every_real_minute_through_odd_clock_changes(time_zone):
    # Lord Howe moves its clock by 30 minutes; Santiago changes its clock at midnight.
    around_the_clock = {day: [["00:00", "24:00"]] for day in WEEKDAYS}

    minutes = business_minutes_between(
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
        business_hours=around_the_clock,
        time_zone=time_zone,
    )

    assert minutes == 365 * 24 * 60
