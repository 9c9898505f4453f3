"""EventBridge cron and rate expressions (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lambdasim.schedule import DEFAULT_START, ScheduleError, parse

pytestmark = pytest.mark.unit

DAY = 86400.0


def fire(expr: str, days: float, start: datetime = DEFAULT_START) -> list[float]:
    return list(parse(expr).times(start, days * DAY))


def test_daily_at_8_utc() -> None:
    assert fire("cron(0 8 * * ? *)", 3) == [8 * 3600 + k * DAY for k in range(3)]


def test_weekday_ranges_steps_and_names() -> None:
    # 2026-01-01 is a Thursday: weekdays are Thu 1, Fri 2, Mon 5, Tue 6, Wed 7
    got = fire("cron(0/15 9-10 ? * MON-FRI *)", 7)
    days = [0, 1, 4, 5, 6]
    expect = [d * DAY + h * 3600 + m * 60 for d in days for h in (9, 10) for m in (0, 15, 30, 45)]
    assert got == expect
    assert fire("cron(0 12 ? * 1,7 *)", 7) == [2 * DAY + 43200, 3 * DAY + 43200]  # Sat, Sun


def test_lists_last_day_nth_weekday_and_years() -> None:
    assert fire("cron(30 12 L * ? *)", 60) == [30 * DAY + 45000, 58 * DAY + 45000]
    assert fire("cron(0 0 ? * 2#1 *)", 40) == [4 * DAY, 32 * DAY]  # first Mondays: 5 Jan, 2 Feb
    assert fire("cron(0 0 ? * 6L *)", 40) == [29 * DAY]  # last Friday of January: the 30th
    assert fire("cron(0 0 1,15 JAN-FEB ? 2026)", 60) == [0.0, 14 * DAY, 31 * DAY, 45 * DAY]
    assert fire("cron(0 0 1 * ? 2027)", 30) == []


def test_rate() -> None:
    assert fire("rate(5 minutes)", 1 / 72) == [0.0, 300.0, 600.0, 900.0]
    assert fire("rate(1 hour)", 0.25) == [k * 3600.0 for k in range(6)]
    assert fire("rate(2 days)", 5) == [0.0, 2 * DAY, 4 * DAY]


def test_start_time_other_than_midnight() -> None:
    start = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert fire("cron(0 10 * * ? *)", 2, start) == [1800.0, 1800.0 + DAY]


@pytest.mark.parametrize(
    ("expr", "needle"),
    [
        ("cron(0 8 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(61 8 * * ? *)", "minutes: 61 is outside 0..59"),
        ("cron(0 8 * FOO ? *)", "month: 'FOO'"),
        ("cron(0 8 * *)", "6 fields"),
        ("cron(0 */0 * * ? *)", "increment"),
        ("rate(1 minutes)", "singular"),
        ("rate(0 hours)", "positive"),
        ("every day", "neither cron"),
    ],
)
def test_malformed_expressions_name_the_field(expr: str, needle: str) -> None:
    with pytest.raises(ScheduleError, match=needle):
        parse(expr)
