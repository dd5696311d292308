"""Working-day deadlines on the Indonesian calendar, in each UPT's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from flows.workdays import add_workdays, is_workday

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
OFFSET = {WIB: 7, WITA: 8, WIT: 9}


def local(tz: str, text: str) -> datetime:
    """'2025-03-28 16:00' in the zone, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone(timedelta(hours=OFFSET[tz])))


CASES = [
    # (why, zone, start local, workdays, deadline local)
    ("same time next day", WIB, "2025-05-06 09:15", 1, "2025-05-07 09:15"),
    ("Friday to Monday", WIB, "2025-05-02 16:00", 1, "2025-05-05 16:00"),
    ("Saturday: the whole of Monday", WIB, "2025-05-03 10:00", 1, "2025-05-06 00:00"),
    ("Sunday, two days", WIB, "2025-05-04 23:59", 2, "2025-05-07 00:00"),
    ("three days over Vesak (Mon 12 May)", WIB, "2025-05-08 10:00", 3, "2025-05-14 10:00"),
    # Nyepi Sat 29 Mar, Idul Fitri Mon 31 Mar and Tue 1 Apr 2025.
    ("Friday before Idul Fitri", WIB, "2025-03-28 16:00", 1, "2025-04-02 16:00"),
    ("Idul Fitri itself", WIB, "2025-03-31 08:00", 1, "2025-04-03 00:00"),
    ("cuti bersama is still a workday", WIB, "2025-03-27 09:00", 1, "2025-03-28 09:00"),
    ("New Year's Eve, across the year", WIB, "2025-12-31 10:00", 1, "2026-01-02 10:00"),
    ("on New Year's Day", WITA, "2026-01-01 09:00", 1, "2026-01-03 00:00"),
    ("17 August on a Monday", WIB, "2026-08-14 16:00", 1, "2026-08-18 16:00"),
    ("17 August, three days", WITA, "2026-08-13 12:00", 3, "2026-08-19 12:00"),
    ("zero days", WIB, "2025-05-03 10:00", 0, "2025-05-03 10:00"),
]


@pytest.mark.parametrize(("why", "tz", "start", "n", "deadline"), CASES, ids=[c[0] for c in CASES])
def test_deadline(why: str, tz: str, start: str, n: int, deadline: str) -> None:
    got = add_workdays(local(tz, start), n, tz)
    assert got == local(tz, deadline), why
    assert got.tzinfo is UTC


def test_the_day_is_the_upts_own_local_day() -> None:
    # Friday 16:30 UTC is Friday night in Jakarta but already Saturday 01:30 in Jayapura.
    start = datetime(2025, 5, 2, 16, 30, tzinfo=UTC)
    assert add_workdays(start, 1, WIB) == local(WIB, "2025-05-05 23:30")
    assert add_workdays(start, 1, WIT) == local(WIT, "2025-05-06 00:00")


def test_holidays_and_weekends() -> None:
    assert is_workday(datetime(2025, 3, 28).date())  # cuti bersama only
    for day in ("2025-03-31", "2025-04-01", "2025-08-17", "2026-01-01", "2025-05-03"):
        assert not is_workday(datetime.fromisoformat(day).date()), day


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        add_workdays(datetime(2025, 5, 2, 16), 1, WIB)
    with pytest.raises(ValueError):
        add_workdays(datetime(2025, 5, 2, 16, tzinfo=UTC), -1, WIB)
