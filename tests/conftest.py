"""Shared helpers for the test suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

import lambdasim as ls

#: ``pytest tests/properties --hypothesis-profile=deep``: the long search of the property tests
#: (still seeded where a test says ``derandomize``; their CI counts are the default profile's).
settings.register_profile("deep", max_examples=5000, deadline=None)

ROOT = Path(__file__).resolve().parent.parent


def scenario(
    *,
    functions: dict[str, dict[str, Any]],
    workloads: list[dict[str, Any]],
    horizon_s: float = 100.0,
    **top: Any,
) -> ls.Scenario:
    """A validated scenario from plain dicts (defaults: seed 1, 60-s periods)."""
    data: dict[str, Any] = {
        "name": "test",
        "seed": 1,
        "horizon_s": horizon_s,
        "functions": functions,
        "workloads": workloads,
    }
    data.update(top)
    return ls.Scenario.from_dict(data)


def assert_same_results(a: Any, b: Any) -> None:
    """Two runs give the same results: every number (but wall time), the series, the trace."""
    da, db = a.to_dict(), b.to_dict()
    for d in (da, db):
        d.pop("wall_s", None)
        d.get("run", {}).pop("wall_s", None)
    assert da == db
    assert a.timeseries.equals(b.timeseries)
    assert a.invocations.equals(b.invocations)


@pytest.fixture
def trace_csv(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write arrival times to a CSV and return its path (a string)."""

    def write(times: list[float], name: str = "arrivals.csv") -> str:
        p = tmp_path / name
        p.write_text("timestamp\n" + "".join(f"{t!r}\n" for t in times), encoding="utf-8")
        return str(p)

    return write
