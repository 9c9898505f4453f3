"""EventBridge schedule expressions: ``cron(...)`` and ``rate(...)``, in UTC.

Used by scheduled workloads and by provisioned-concurrency scheduled actions (Application Auto
Scaling uses the same syntax). ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``:

* ``*`` any value, ``?`` no specific value (one of day-of-month and day-of-week must be ``?``);
* lists ``a,b``, ranges ``a-b``, increments ``a/n`` or ``*/n`` or ``a-b/n``;
* month names ``JAN``–``DEC`` and day names ``SUN``–``SAT`` (day-of-week 1 = Sunday … 7 = Saturday);
* ``L`` in day-of-month (the last day of the month), ``nL`` / ``L`` in day-of-week (the last
  such weekday of the month), ``d#n`` (the n-th such weekday);
* years 1970–2199.

``rate(value unit)`` with unit ``minute``/``minutes``/``hour``/``hours``/``day``/``days``
(singular for 1) fires every period from the start.

A malformed expression raises :class:`ScheduleError` naming the field and the bad value.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["Cron", "Rate", "ScheduleError", "parse"]

_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
)


class ScheduleError(ValueError):
    """A schedule expression that is not valid EventBridge syntax."""


def _value(token: str, lo: int, hi: int, names: dict[str, int], field: str) -> int:
    t = token.upper()
    if t in names:
        return names[t]
    if not t.isdigit():
        raise ScheduleError(
            f"{field}: '{token}' is not a number"
            + (f" or one of {', '.join(names)}" if names else "")
        )
    v = int(t)
    if not lo <= v <= hi:
        raise ScheduleError(f"{field}: {v} is outside {lo}..{hi}")
    return v


def _set(expr: str, lo: int, hi: int, names: dict[str, int], field: str) -> frozenset[int]:
    out: set[int] = set()
    for part in expr.split(","):
        if not part:
            raise ScheduleError(f"{field}: empty list item in '{expr}'")
        step = 1
        if "/" in part:
            part, s = part.split("/", 1)
            if not s.isdigit() or int(s) == 0:
                raise ScheduleError(f"{field}: increment '{s}' must be a positive number")
            step = int(s)
        if part == "*":
            a, b = lo, hi
        elif "-" in part:
            x, y = part.split("-", 1)
            a, b = _value(x, lo, hi, names, field), _value(y, lo, hi, names, field)
            if b < a:
                raise ScheduleError(f"{field}: range '{part}' runs backwards")
        else:
            a = _value(part, lo, hi, names, field)
            b = hi if step > 1 else a
        out.update(range(a, b + 1, step))
    return frozenset(out)


@dataclass(frozen=True)
class Cron:
    """A parsed ``cron(...)`` expression."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    dom: frozenset[int] | None  # None: '?'
    dom_last: bool
    months: frozenset[int]
    dow: frozenset[int] | None  # None: '?'
    dow_last: int | None  # 'nL': last weekday n of the month
    dow_nth: tuple[int, int] | None  # 'd#n'
    years: frozenset[int]

    def _day_matches(self, d: datetime) -> bool:
        if d.month not in self.months or d.year not in self.years:
            return False
        last = calendar.monthrange(d.year, d.month)[1]
        if self.dom is not None or self.dom_last:
            return d.day == last if self.dom_last else d.day in (self.dom or ())
        wd = (d.isoweekday() % 7) + 1  # EventBridge: 1 = Sunday … 7 = Saturday
        if self.dow_last is not None:
            return wd == self.dow_last and d.day + 7 > last
        if self.dow_nth is not None:
            day, n = self.dow_nth
            return wd == day and (d.day - 1) // 7 + 1 == n
        return self.dow is not None and wd in self.dow

    def times(self, start: datetime, horizon_s: float) -> Iterator[float]:
        """Firing instants in seconds after ``start`` (UTC), in order, below ``horizon_s``."""
        end = start + timedelta(seconds=horizon_s)
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        hours = sorted(self.hours)
        minutes = sorted(self.minutes)
        while day < end:
            if self._day_matches(day):
                for h in hours:
                    for m in minutes:
                        t = day.replace(hour=h, minute=m)
                        if start <= t < end:
                            yield (t - start).total_seconds()
            day += timedelta(days=1)


@dataclass(frozen=True)
class Rate:
    """A parsed ``rate(value unit)`` expression."""

    expression: str
    period_s: float

    def times(self, start: datetime, horizon_s: float) -> Iterator[float]:
        """Every ``period_s`` from ``start`` (the first at ``start``), below ``horizon_s``."""
        k = 0
        while k * self.period_s < horizon_s:
            yield k * self.period_s
            k += 1


_UNITS = {"minute": 60.0, "hour": 3600.0, "day": 86400.0}


def parse(expression: str) -> Cron | Rate:
    """Parse an EventBridge ``cron(...)`` or ``rate(...)`` expression.

    Raises
    ------
    ScheduleError
        With the field and value at fault.
    """
    text = expression.strip()
    m = re.fullmatch(r"rate\(\s*(\d+)\s+([a-z]+)\s*\)", text)
    if m:
        value, unit = int(m.group(1)), m.group(2)
        base = unit[:-1] if unit.endswith("s") else unit
        if base not in _UNITS or value == 0:
            raise ScheduleError(
                f"rate: '{value} {unit}' needs a positive value and a unit "
                "of minute(s), hour(s) or day(s)"
            )
        if (value == 1) != (unit == base):
            raise ScheduleError(
                f"rate: the unit is singular for 1 and plural otherwise "
                f"('1 {base}', '5 {base}s'); got '{value} {unit}'"
            )
        return Rate(text, value * _UNITS[base])
    m = re.fullmatch(r"cron\((.*)\)", text)
    if not m:
        raise ScheduleError(f"'{expression}' is neither cron(...) nor rate(...)")
    parts = m.group(1).split()
    if len(parts) != 6:
        raise ScheduleError(
            f"cron needs 6 fields (minutes hours day-of-month month "
            f"day-of-week year), got {len(parts)}"
        )
    mi, ho, dom, mo, dow, ye = parts
    if (dom == "?") == (dow == "?"):
        raise ScheduleError("cron: exactly one of day-of-month and day-of-week must be '?'")
    sets = [
        _set(p, lo, hi, names, f)
        for p, (f, lo, hi, names) in zip((mi, ho), _FIELDS[:2], strict=True)
    ]
    months = _set(mo, *_FIELDS[3][1:3], _FIELDS[3][3], "month")
    years = _set(ye, *_FIELDS[5][1:3], {}, "year")
    dom_set: frozenset[int] | None = None
    dom_last = False
    if dom == "L":
        dom_last = True
    elif dom != "?":
        dom_set = _set(dom, 1, 31, {}, "day-of-month")
    dow_set: frozenset[int] | None = None
    dow_last: int | None = None
    dow_nth: tuple[int, int] | None = None
    if dow != "?":
        if dow.upper().endswith("L"):
            dow_last = 7 if dow.upper() == "L" else _value(dow[:-1], 1, 7, _DAYS, "day-of-week")
        elif "#" in dow:
            d, n = dow.split("#", 1)
            if not n.isdigit() or not 1 <= int(n) <= 5:
                raise ScheduleError(f"day-of-week: '#{n}' must be #1..#5")
            dow_nth = (_value(d, 1, 7, _DAYS, "day-of-week"), int(n))
        else:
            dow_set = _set(dow, 1, 7, _DAYS, "day-of-week")
    return Cron(
        text, sets[0], sets[1], dom_set, dom_last, months, dow_set, dow_last, dow_nth, years
    )


#: Default start of scenarios' wall clock (schedules are relative to it).
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
