"""Working-time arithmetic on a tenant calendar: weekends, public holidays, make-up days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.routing.working_time import (
    Calendar,
    add_working_days,
    add_working_hours,
    add_working_seconds,
    warning_instant,
    working_seconds_between,
)

CST = ZoneInfo("Asia/Shanghai")

# 2026's National Day: 1–7 October off, Saturday 10 October a make-up working day.
NATIONAL_DAY = Calendar(
    holidays=frozenset(dt.date(2026, 10, d) for d in range(1, 8)),
    workdays=frozenset({dt.date(2026, 10, 10)}),
)
PLAIN = Calendar()


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=CST)


def test_working_hours_skip_the_weekend():
    friday_afternoon = at(3, 6, 16, 30)  # Friday
    assert add_working_hours(PLAIN, friday_afternoon, 2) == at(3, 9, 9, 30)  # Monday


def test_working_hours_start_at_opening_when_assigned_out_of_hours():
    assert add_working_hours(PLAIN, at(3, 7, 11), 1) == at(3, 9, 9, 30)  # Saturday → Monday
    assert add_working_hours(PLAIN, at(3, 9, 7), 1) == at(3, 9, 9, 30)  # before opening
    assert add_working_hours(PLAIN, at(3, 9, 19), 1) == at(3, 10, 9, 30)  # after closing


def test_working_days_do_not_count_the_starting_day_and_end_at_closing():
    assert add_working_days(PLAIN, at(3, 9, 10), 1) == at(3, 10, 17, 30)  # Mon → Tue
    assert add_working_days(PLAIN, at(3, 6, 10), 1) == at(3, 9, 17, 30)  # Fri → Mon
    assert add_working_days(PLAIN, at(3, 6, 10), 3) == at(3, 11, 17, 30)


def test_working_days_skip_a_public_holiday_and_count_the_make_up_day():
    wednesday = at(9, 30, 10)
    assert add_working_days(NATIONAL_DAY, wednesday, 1) == at(10, 8, 17, 30)  # Thursday
    assert add_working_days(NATIONAL_DAY, wednesday, 2) == at(10, 9, 17, 30)  # Friday
    assert add_working_days(NATIONAL_DAY, wednesday, 3) == at(10, 10, 17, 30)  # make-up Sat
    assert add_working_days(NATIONAL_DAY, wednesday, 4) == at(10, 12, 17, 30)  # Monday
    assert add_working_days(PLAIN, wednesday, 4) == at(10, 6, 17, 30), "without the holidays"


def test_working_hours_cross_a_holiday_into_the_make_up_day():
    assert add_working_hours(NATIONAL_DAY, at(9, 30, 17), 2) == at(10, 8, 10, 0)
    assert add_working_hours(NATIONAL_DAY, at(10, 9, 17), 1) == at(10, 10, 9, 0)  # Saturday
    assert add_working_hours(PLAIN, at(10, 9, 17), 1) == at(10, 12, 9, 0)


def test_working_time_between_counts_only_open_hours():
    assert working_seconds_between(NATIONAL_DAY, at(9, 30, 17), at(10, 8, 10)) == 2 * 3600
    assert working_seconds_between(PLAIN, at(3, 6, 9), at(3, 9, 9)) == 9 * 3600
    assert working_seconds_between(PLAIN, at(3, 9, 9), at(3, 6, 9)) == 0


def test_warning_instant_leaves_the_share_of_working_time():
    # 4 working hours from Friday 15:30: due Monday 10:30; a quarter (1h) left at 09:30.
    start = at(3, 6, 15, 30)
    due = add_working_hours(PLAIN, start, 4)
    assert due == at(3, 9, 10, 30)
    assert warning_instant(PLAIN, start, due, 0.25) == at(3, 9, 9, 30)


def test_a_calendar_without_working_days_is_refused():
    never = Calendar(weekend=frozenset(range(1, 8)))
    with pytest.raises(ValueError, match="no working day"):
        add_working_hours(never, at(3, 9, 9), 1)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=dt.datetime(2026, 9, 1),
        max_value=dt.datetime(2026, 11, 30),
        timezones=st.just(CST),
    ),
    seconds=st.integers(min_value=0, max_value=40 * 9 * 3600),
)
def test_adding_then_measuring_working_time_round_trips(start, seconds):
    end = add_working_seconds(NATIONAL_DAY, start, seconds)
    assert end >= start
    assert NATIONAL_DAY.is_working_day(end.astimezone(CST).date())
    assert working_seconds_between(NATIONAL_DAY, start, end) == pytest.approx(seconds, abs=1e-3)
