"""Long-format time-series frames: one row per (period, series, metric)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["long_frame"]


def long_frame(function: str, times: np.ndarray, series: Mapping[str, Any]) -> pd.DataFrame:
    """Columns ``time_s``, ``function``, ``metric``, ``value`` for equally long ``series``."""
    frames = [
        pd.DataFrame(
            {
                "time_s": times,
                "function": function,
                "metric": metric,
                "value": np.asarray(vals, dtype=np.float64),
            }
        )
        for metric, vals in series.items()
    ]
    return pd.concat(frames, ignore_index=True)
