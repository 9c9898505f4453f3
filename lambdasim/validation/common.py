"""Helpers shared by the validation cases."""

from __future__ import annotations

import math
from typing import Any

import lambdasim.workload  # noqa: F401  (registers the trace expander that configs may use)
from lambdasim.config import Scenario
from lambdasim.results.run import RunResult
from lambdasim.simulation import run

__all__ = ["binomial_se", "run_case"]


def run_case(data: dict[str, Any], seed: int, trace: bool = False) -> RunResult:
    """Validate ``data`` (a scenario without name and seed) and run it once."""
    sc = Scenario.from_dict({"name": "validation", "seed": seed, **data})
    return run(sc, trace=trace, progress=False)


def binomial_se(p: float, n: int) -> float:
    """Standard error of a proportion ``p`` estimated from ``n`` trials."""
    return math.sqrt(max(p * (1.0 - p), 0.0) / n) if n else math.nan
