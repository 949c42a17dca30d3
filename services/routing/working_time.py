"""Working-time arithmetic on a tenant's calendar (工作日历), in the platform's time zone.

Pure functions over a `Calendar` value, so they are cheap to test and to run in a loop.

- A working day is a make-up working day (调休上班), or a day that is neither a listed holiday
  nor a weekend day.
- Working hours are one window per working day, [day_start, day_end).
- "N working days" follows the administrative convention that the day the clock starts does
  not count: the deadline is the end of the N-th working day after it.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

# A calendar with no working day would loop forever; ten years of days is the bound.
MAX_DAYS_SCANNED = 3660


@dataclass(frozen=True)
class Calendar:
    day_start: dt.time = dt.time(8, 30)
    day_end: dt.time = dt.time(17, 30)
    weekend: frozenset[int] = frozenset({6, 7})
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day not in self.holidays and day.isoweekday() not in self.weekend

    @property
    def seconds_per_day(self) -> float:
        return (
            dt.datetime.combine(dt.date.min, self.day_end)
            - dt.datetime.combine(dt.date.min, self.day_start)
        ).total_seconds()


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time), timezone.get_default_timezone())


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment, timezone.get_default_timezone())


def _working_days_from(cal: Calendar, day: dt.date):
    """Working days from `day` on (inclusive), at most MAX_DAYS_SCANNED calendar days."""
    for offset in range(MAX_DAYS_SCANNED):
        candidate = day + dt.timedelta(days=offset)
        if cal.is_working_day(candidate):
            yield candidate
    raise ValueError("The working calendar has no working day in ten years")


def add_working_seconds(cal: Calendar, start: dt.datetime, seconds: float) -> dt.datetime:
    """The moment `seconds` of working time after `start` (which may be outside hours)."""
    local = _local(start)
    remaining = max(0.0, seconds)
    for day in _working_days_from(cal, local.date()):
        opens, closes = _at(day, cal.day_start), _at(day, cal.day_end)
        begin = max(opens, local) if day == local.date() else opens
        if begin >= closes:
            continue
        available = (closes - begin).total_seconds()
        if remaining <= available:
            return begin + dt.timedelta(seconds=remaining)
        remaining -= available
    raise AssertionError("unreachable")  # pragma: no cover


def add_working_hours(cal: Calendar, start: dt.datetime, hours: float) -> dt.datetime:
    return add_working_seconds(cal, start, hours * 3600)


def add_working_days(cal: Calendar, start: dt.datetime, days: int) -> dt.datetime:
    """The end of the `days`-th working day after the day of `start`."""
    following = _working_days_from(cal, _local(start).date() + dt.timedelta(days=1))
    for _ in range(days - 1):
        next(following)
    return _at(next(following), cal.day_end)


def add_working_time(cal: Calendar, start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """`amount` working "hours" or "days" after `start`."""
    if unit == "hours":
        return add_working_hours(cal, start, amount)
    if unit == "days":
        return add_working_days(cal, start, amount)
    raise ValueError(f"Unknown working-time unit: {unit!r}")


def working_seconds_between(cal: Calendar, start: dt.datetime, end: dt.datetime) -> float:
    """Working time in [start, end); zero when end is not after start."""
    if end <= start:
        return 0.0
    first, last = _local(start), _local(end)
    total = 0.0
    for day in _working_days_from(cal, first.date()):
        if day > last.date():
            break
        begin = max(_at(day, cal.day_start), first)
        finish = min(_at(day, cal.day_end), last)
        if finish > begin:
            total += (finish - begin).total_seconds()
    return total


def warning_instant(
    cal: Calendar, start: dt.datetime, due: dt.datetime, share: float
) -> dt.datetime:
    """When less than `share` of the working time from `start` to `due` remains (黄灯)."""
    total = working_seconds_between(cal, start, due)
    return add_working_seconds(cal, start, total * (1 - share))
