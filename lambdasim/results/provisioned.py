"""Results of provisioned concurrency: the ``provisioned`` JSON block and its series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lambdasim.results.frames import long_frame
from lambdasim.metrics.core import period_stats, window_stats
from lambdasim.service.provisioned import ProvisionedPool

__all__ = ["provisioned_block", "provisioned_series"]


def provisioned_block(
    pc: ProvisionedPool, edges: Sequence[float], warmup: float, horizon: float
) -> dict[str, Any]:
    """``functions.NAME.provisioned`` of ``--json`` (``cost_usd`` is added by the caller)."""
    a_mean, a_max = window_stats(pc.alloc_level, edges, warmup, horizon)
    b_mean, b_max = window_stats(pc.busy, edges, warmup, horizon)
    _, t_max = window_stats(pc.target_level, edges, warmup, horizon)
    mem_gb = pc.service.execution_memory_mb / 1024.0
    return {
        "allocated_mean": a_mean,
        "allocated_max": a_max,
        "target_max": t_max,
        "busy_mean": b_mean,
        "busy_max": b_max,
        "utilization_mean": b_mean / a_mean if a_mean > 0 else None,
        "invocations": pc.invocations,
        "spillover_invocations": pc.spillover,
        "allocated_gb_s": pc.billed_unit_s * mem_gb,
        "recycled": pc.reinits,
    }


def provisioned_series(
    name: str,
    pc: ProvisionedPool,
    times: np.ndarray,
    edges: Sequence[float],
    step: float,
    n: int,
    horizon: float,
) -> pd.DataFrame:
    """Per-period CloudWatch PC metrics and the PC target."""
    b_mean, b_max = period_stats(pc.busy, edges, step, n, horizon)
    a_mean, _ = period_stats(pc.alloc_level, edges, step, n, horizon)
    _, t_max = period_stats(pc.target_level, edges, step, n, horizon)
    with np.errstate(invalid="ignore", divide="ignore"):
        util = np.asarray(b_mean) / np.asarray(a_mean)
    frame: pd.DataFrame = long_frame(
        name,
        times,
        {
            "ProvisionedConcurrentExecutions": b_max,
            "ProvisionedConcurrencyUtilization": util,
            "ProvisionedConcurrencyInvocations": pc.ts_invocations,
            "ProvisionedConcurrencySpilloverInvocations": pc.ts_spillover,
            "ProvisionedConcurrencyAllocated": a_mean,
            "ProvisionedConcurrencyTarget": t_max,
        },
    )
    return frame
