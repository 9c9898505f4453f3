"""Opt-in per-invocation log (``ls.run(..., trace=True)``), for teaching and exact tests.

Off by default: the invoke path then pays one ``is not None`` test per invocation. When on, rows
go to Python lists (one float/int per column), which is fine for the short runs it is meant for.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["InvocationLog"]

_OUTCOMES = ("succeeded", "error", "timeout", "throttled")


class InvocationLog:
    """Columns of finished invokes: one row per admitted attempt."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {
            k: []
            for k in (
                "function",
                "env_id",
                "arrival_s",
                "start_s",
                "end_s",
                "cold",
                "init_s",
                "duration_s",
                "outcome",
                "suppressed_init",
            )
        }

    def record(self, function: str, e: Any, end: float, outcome: int, invoke_s: float) -> None:
        """Append the invoke that environment ``e`` just finished at ``end``."""
        c = self.cols
        c["function"].append(function)
        c["env_id"].append(e.id)
        c["arrival_s"].append(e.arrival)
        c["start_s"].append(e.start)
        c["end_s"].append(end)
        c["cold"].append(e.cold)
        c["init_s"].append(e.init_s)
        c["duration_s"].append(invoke_s)
        c["outcome"].append(_OUTCOMES[outcome])
        c["suppressed_init"].append(e.suppressed)

    def frame(self) -> pd.DataFrame:
        """The log as a DataFrame, ordered by end time."""
        df = pd.DataFrame(self.cols).astype(
            {
                "function": "str",
                "env_id": "int64",
                "arrival_s": "float64",
                "start_s": "float64",
                "end_s": "float64",
                "cold": "bool",
                "init_s": "float64",
                "duration_s": "float64",
                "outcome": "str",
                "suppressed_init": "bool",
            }
        )
        df["latency_s"] = df["end_s"] - df["arrival_s"]
        return df.sort_values(["end_s", "start_s"], kind="stable").reset_index(drop=True)
