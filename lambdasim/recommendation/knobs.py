"""Knobs: the settings ``recommend`` may change, each an ordered, finite domain of values.

Grammar (the CLI's ``--knob PATH=SPEC``; the Python API takes the same SPEC strings, or lists):

* ``a..b`` — every integer from ``a`` to ``b`` (``128..3008``: memory in the 1-MB steps AWS
  allows); ``a..b:s`` — every ``s``-th (``128..3008:64``); ``b`` is always included;
* a float range (``0.5..2.5:0.25``); without ``:s`` a float range has 21 values (20 steps);
* a list, ``null,10..200`` or ``x86_64,arm64``; items are ranges or YAML scalars (``null``,
  ``512``, ``1e3`` is a float as in configs).

Numeric values are sorted. ``null`` means "no limit" for most settings and sorts last
(``reserved_concurrency: null`` uses the unreserved pool), except ``provisioned_concurrency``,
where it means none and sorts first. Every value is checked against the scenario (the field's
own limits, e.g. memory 128–10,240 MB in whole MB, and the cross-field rules of AWS) before any
run: see :func:`check_knobs`.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from lambdasim.config import ConfigError, Scenario
from lambdasim.config.errors import YamlLoader
from lambdasim.errors import LambdasimError

__all__ = ["Knob", "RecommendError", "check_knobs", "knob", "parse_knob"]

#: A knob may not have more values than this (a typo such as ``0..1e9`` would never finish).
MAX_VALUES = 100_000
#: Steps of a float range given without ``:step``.
FLOAT_STEPS = 20
#: Settings whose ``null`` means "none" (sorts first); for every other one it means no limit.
NULL_LOW = frozenset({"provisioned_concurrency"})

_RANGE = re.compile(r"^\s*([^.:\s][^:]*?)\s*\.\.\s*([^:]+?)\s*(?::\s*(.+?))?\s*$")


class RecommendError(LambdasimError):
    """Bad knobs, SLOs or options of ``recommend``: one line per problem (CLI exit code 2)."""

    def __init__(self, lines: Sequence[str] | str) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True)
class Knob:
    """One setting and the values the search may give it, in search order.

    Attributes
    ----------
    path : str
        Dotted config path (``functions.api.memory_mb``), as for ``--set``.
    values : tuple
        The domain: distinct values, numbers ascending, ``null`` first or last (module doc).
    spec : str
        The text it was given as, for messages.
    """

    path: str
    values: tuple[Any, ...]
    spec: str

    @property
    def function(self) -> str | None:
        """The function a ``functions.NAME.…`` path names, else None."""
        parts = self.path.split(".")
        return parts[1] if len(parts) >= 3 and parts[0] == "functions" else None

    @property
    def field(self) -> str:
        """The last component of the path (``memory_mb``)."""
        return self.path.rsplit(".", 1)[-1]

    def __len__(self) -> int:
        return len(self.values)


def _number(text: str, where: str) -> int | float:
    try:
        v = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError:
        v = None
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise RecommendError(f"{where}: '{text}' is not a number")
    return v


def _expand_range(text: str, where: str) -> list[int | float]:
    m = _RANGE.match(text)
    if m is None:
        raise RecommendError(f"{where}: '{text}' is not a range a..b or a..b:step")
    lo, hi = _number(m.group(1), where), _number(m.group(2), where)
    step = _number(m.group(3), where) if m.group(3) is not None else None
    if hi < lo:
        raise RecommendError(f"{where}: range {text} ends below its start")
    if step is not None and step <= 0:
        raise RecommendError(f"{where}: step of {text} must be > 0")
    given = [x for x in (lo, hi, step) if x is not None]
    # integers: every number integral and one written as an integer (128..2e4:128 is integral;
    # 0.0..1.0 is a float range)
    if all(float(x).is_integer() for x in given) and any(isinstance(x, int) for x in given):
        s = int(step) if step is not None else 1
        count = (int(hi) - int(lo)) // s + 1
        if count > MAX_VALUES:
            raise RecommendError(f"{where}: {text} has {count:,} values (at most {MAX_VALUES:,})")
        out: list[int | float] = list(range(int(lo), int(hi) + 1, s))
    else:
        s_f = float(step) if step is not None else (float(hi) - float(lo)) / FLOAT_STEPS
        if s_f == 0.0:
            return [float(lo)]
        count = math.floor((float(hi) - float(lo)) / s_f + 1e-9) + 1
        if count > MAX_VALUES:
            raise RecommendError(f"{where}: {text} has {count:,} values (at most {MAX_VALUES:,})")
        # rounded so that 0.1 steps give 0.3, not 0.30000000000000004
        out = [round(float(lo) + k * s_f, 12) for k in range(count)]
        if isinstance(lo, int) and isinstance(hi, int):
            # 128..129:0.5 is 128, 128.5, 129: integral values of integer ends stay integers
            out = [int(v) if float(v).is_integer() else v for v in out]
    if out[-1] != hi:
        out.append(hi)  # the end of a range is always a candidate
    return out


def _items(spec: Any, where: str) -> list[Any]:
    """The values of one SPEC (string, list, range) before ordering."""
    if isinstance(spec, range):
        return list(spec)
    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            raise RecommendError(f"{where}: no values")
        if text.startswith("["):
            try:
                parsed = yaml.load(text, Loader=YamlLoader)
            except yaml.YAMLError:
                parsed = None
            if not isinstance(parsed, list):
                raise RecommendError(f"{where}: not a YAML list")
            return _items(parsed, where)
        out: list[Any] = []
        for item in (s.strip() for s in text.split(",")):
            if not item:
                raise RecommendError(f"{where}: empty value (expected V1,V2,a..b)")
            if ".." in item:
                out.extend(_expand_range(item, where))
                continue
            try:
                out.append(yaml.load(item, Loader=YamlLoader))
            except yaml.YAMLError:
                out.append(item)
        return out
    if isinstance(spec, Iterable) and not isinstance(spec, Mapping | bytes):
        out = []
        for item in spec:
            if isinstance(item, str) and ".." in item:
                out.extend(_expand_range(item, where))
            elif isinstance(item, Mapping | list | tuple):
                raise RecommendError(f"{where}: a value must be a scalar, got {item!r}")
            else:
                out.append(item)
        if not out:
            raise RecommendError(f"{where}: no values")
        return out
    if spec is None or isinstance(spec, int | float | bool):
        return [spec]
    raise RecommendError(f"{where}: expected a range a..b[:step], a list or a value, got {spec!r}")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def knob(path: str, spec: Any) -> Knob:
    """A :class:`Knob` from a path and a SPEC (string, list, ``range``, or one value).

    Raises
    ------
    RecommendError
        A path that is not dotted, a malformed range, a non-numeric range end, too many values.
    """
    path = str(path).strip()
    shown = spec if isinstance(spec, str) else repr(spec)
    where = f"--knob {path}={shown}"
    if not path or any(not part for part in path.split(".")):
        raise RecommendError(f"{where}: '{path}' is not a dotted config path")
    raw = _items(spec, where)
    seen: list[Any] = []
    for v in raw:
        if isinstance(v, float) and v.is_integer() and any(isinstance(x, int) for x in raw):
            v = int(v)  # 512.0 next to integers is 512 (a float memory would be refused)
        if v not in seen or (v is None and None not in seen):
            seen.append(v)
    nulls = [v for v in seen if v is None]
    rest = [v for v in seen if v is not None]
    if rest and all(_is_number(v) for v in rest):
        rest = sorted(rest)
    field = path.rsplit(".", 1)[-1]
    values = (nulls + rest) if field in NULL_LOW else (rest + nulls)
    if len(values) > MAX_VALUES:
        raise RecommendError(f"{where}: {len(values):,} values (at most {MAX_VALUES:,})")
    return Knob(path, tuple(values), shown)


def parse_knob(item: str) -> Knob:
    """Parse the CLI's ``PATH=SPEC`` (module docstring)."""
    if "=" not in item:
        raise RecommendError(
            f"--knob {item}: expected PATH=SPEC (e.g. functions.api.memory_mb=128..3008)"
        )
    path, spec = item.split("=", 1)
    return knob(path, spec)


def _sample(values: Sequence[Any], limit: int = 64) -> list[Any]:
    """The values to check: all of a short domain, else its ends, its 2nd value and a spread."""
    if len(values) <= limit:
        return list(values)
    idx = {0, 1, len(values) - 1}
    idx.update(round(k * (len(values) - 1) / (limit - 4)) for k in range(limit - 3))
    return [values[i] for i in sorted(idx)]


def _issue_lines(exc: ConfigError) -> list[str]:
    return [i.format(None).removeprefix("<config>: ") for i in exc.issues]


def _failure(
    scenario: Scenario, k: Knob, v: Any, combos: Sequence[Mapping[str, Any]]
) -> ConfigError | None:
    """The error of ``v`` if it fails with every combination of the other knobs' ends."""
    first: ConfigError | None = None
    for combo in combos or [{}]:
        try:
            scenario.replace({**combo, k.path: v})
            return None
        except ConfigError as exc:
            first = first or exc
    return first


def check_knobs(scenario: Scenario, knobs: Sequence[Knob]) -> list[str]:
    """One line per knob value the scenario cannot take (empty: every value can be set).

    A value is refused when it fails with **every** combination of the other knobs' end values:
    a field's own limit (memory 128–10,240 MB in whole MB, a non-numeric memory), an unknown
    path (did-you-mean), or a cross-field rule no other knob can fix (a reserved concurrency
    that leaves fewer than ``min_unreserved`` of the account). A combination that only some
    values of another knob make invalid (provisioned above reserved concurrency) is not an
    error here: that point is skipped by the search.

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    knobs : sequence of Knob

    Returns
    -------
    list of str
        ``--knob PATH=SPEC: path: message (got value)`` lines.
    """
    lines: list[str] = []
    paths = [k.path for k in knobs]
    dup = sorted({p for p in paths if paths.count(p) > 1})
    lines += [f"--knob {p}: given twice" for p in dup]
    for k in knobs:
        others = [o for o in knobs if o.path != k.path]
        ends = [sorted({0, len(o) - 1}) for o in others]
        combos = [
            {o.path: o.values[i] for o, i in zip(others, pick, strict=True)}
            for pick in itertools.product(*ends)
        ]
        sample = _sample(k.values)
        prev = -1
        for v in sample:
            first = _failure(scenario, k, v, combos)
            if first is None:
                prev = k.values.index(v)
                continue
            # the first bad value between the last good sample and this one
            for w in k.values[prev + 1 : k.values.index(v)]:
                earlier = _failure(scenario, k, w, combos)
                if earlier is not None:
                    first = earlier
                    break
            mine = [i for i in _issue_lines(first) if i.startswith(k.path)]
            lines += [f"--knob {k.path}={k.spec}: {m}" for m in (mine or _issue_lines(first))]
            if len(lines) >= 20:
                return lines  # one typo is enough to stop; do not print a screenful
            break  # one bad value per knob says what is wrong with its range
    return lines
