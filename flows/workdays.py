"""Indonesian working days, for SLA deadlines counted in a UPT's own time zone.

A working day is a whole local calendar day (00:00-24:00) that is neither a Saturday, a Sunday
nor a public holiday from the `holidays` package (`country_holidays("ID")`). The SLA clock runs
only during working days, so "n working days after `start`" is the moment when n x 24 hours of
working-day time have passed since `start`:

- start on a working day: the same local wall-clock time on the n-th working day after it
  (Friday 16:00 + 1 → Monday 16:00; Tuesday 16:00 if that Monday is a holiday);
- start on a weekend or holiday: the clock starts at 00:00 of the next working day, so the
  deadline is 24:00 (= 00:00 of the following day) of the n-th working day from there
  (Saturday 10:00 + 1 → Tuesday 00:00, the end of Monday).

Cuti bersama (collective leave, the package's "government" category) is deliberately not
skipped: it would hold a child's report back by up to a week around Idul Fitri, and escalating
early to a channel that is open is the safer error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("ID", years=year))


def is_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def _next_workday(day: date) -> date:
    day += timedelta(days=1)
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def add_workdays(start: datetime, n: int, tz: str) -> datetime:
    """The deadline n Indonesian working days after `start` (aware), in UTC; see the module."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return start.astimezone(UTC)
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    day, clock = local.date(), local.time()  # Indonesia keeps no daylight saving
    if not is_workday(day):
        # Nothing counts until the next working day begins; the n-th then ends at 24:00.
        day = _next_workday(day)
        for _ in range(n - 1):
            day = _next_workday(day)
        return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    for _ in range(n):
        day = _next_workday(day)
    return datetime.combine(day, clock, zone).astimezone(UTC)
