"""Duration and cost per invocation across memory sizes ("power tuning" without invoking).

AWS Lambda Power Tuning runs a function at several memory sizes and charts duration against cost.
:func:`power_curve` draws the same chart from a function's duration model: the CPU-bound fraction
``cpu_bound`` of the handler time scales with the vCPUs it can use, ``min(memory/1769, 6,
threads)``, relative to ``memory_ref_mb`` (aws-lambda-behaviour.md §3: 1,769 MB = 1 vCPU, 6 vCPUs
at 10,240 MB; sequential code uses one vCPU whatever is allocated, Lambda guide
"configuration-memory"), the rest does not; cost is the request price plus billed GB-s at the
architecture's first duration tier of a dated pricing table (§10.1). A single-threaded handler
(``duration.threads: 1``, the default) therefore gets no faster above 1,769 MB, only dearer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lambdasim.config import Function, Scenario
from lambdasim.cost import PricingTable, load_table
from lambdasim.units import billed_ms_array, usable_vcpus, vcpu_share

__all__ = ["DEFAULT_MEMORY_MB", "power_curve"]

#: The memory sizes Power Tuning suggests by default, plus 1,769 MB (one full vCPU, §3) and the
#: 10,240 MB maximum.
DEFAULT_MEMORY_MB: tuple[int, ...] = (128, 256, 512, 1024, 1536, 1769, 2048, 3008, 5120, 10240)


def _as_function(fn: Function | Scenario | Mapping[str, Any], name: str | None) -> Function:
    if isinstance(fn, Function):
        return fn
    if isinstance(fn, Scenario):
        if name is None:
            if len(fn.functions) != 1:
                raise ValueError(f"pass function=NAME, one of {sorted(fn.functions)}")
            name = next(iter(fn.functions))
        try:
            return fn.functions[name]
        except KeyError:
            raise ValueError(f"unknown function {name!r}; known: {sorted(fn.functions)}") from None
    return Function.model_validate(dict(fn))


def power_curve(
    fn: Function | Scenario | Mapping[str, Any],
    memory_mb: Sequence[int] = DEFAULT_MEMORY_MB,
    *,
    function: str | None = None,
    architectures: Sequence[str] | None = None,
    pricing: str | PricingTable | None = None,
    region: str | None = None,
    samples: int = 200_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Duration and cost per invocation of ``fn``'s duration model at each memory size.

    Parameters
    ----------
    fn : Function, Scenario or mapping
        The function (a ``functions.NAME`` mapping as in YAML is validated first), or a scenario
        with ``function=NAME`` (not needed when it has one function; its pricing table and region
        are then the defaults).
    memory_mb : sequence of int
        Memory sizes, MB, each 128–10,240 (§3).
    function : str, optional
        Function name inside a scenario.
    architectures : sequence of str, optional
        ``x86_64`` and/or ``arm64``; default the function's. The duration model has no
        architecture term, so arm64 changes only the price here.
    pricing : str or PricingTable, optional
        Shipped table id, YAML path or table; default the scenario's or the newest shipped.
    region : str, optional
        Pricing region; default the scenario's, else ``us-east-1``.
    samples : int
        Draws from the duration distribution for the mean billed duration (billing rounds each
        invocation up) and the percentiles.
    seed : int
        Seed of those draws (the curve is deterministic for a given seed).

    Returns
    -------
    pandas.DataFrame
        One row per (architecture, memory): ``memory_mb``, ``architecture``, ``vcpu_share``
        (the **allocated** vCPUs, ``min(memory/1769, 6)``), ``usable_vcpus`` (the vCPUs the
        handler's ``duration.threads`` can use, ``min(vcpu_share, threads)``: what the CPU-bound
        part scales with), ``duration_factor`` (× the distribution as given),
        ``duration_mean_s``, ``duration_p50_s``, ``duration_p99_s`` (s), ``billed_ms_mean``
        (ms per invocation, rounded up per invocation to the table's granularity), ``gb_s`` (per
        invocation), ``cost_usd`` (per invocation: request + duration at the first tier),
        ``cost_per_million_usd``, ``speedup`` (duration at the smallest memory ÷ this one) and
        ``relative_cost`` (÷ the cheapest row of the same architecture).

    Raises
    ------
    ValueError
        A memory size outside 128–10,240 MB, an unknown function or architecture.
    """
    f = _as_function(fn, function)
    if isinstance(fn, Scenario):
        pricing = fn.pricing.table if pricing is None else pricing
        region = fn.account.region if region is None else region
    table = pricing if isinstance(pricing, PricingTable) else load_table(pricing)
    prices, _ = table.for_region(region or "us-east-1")
    mems = [int(m) for m in memory_mb]
    for m in mems:
        if not 128 <= m <= 10240:
            raise ValueError(
                f"memory_mb {m} is outside the Lambda memory limit (128–10240 MB, "
                "aws-lambda-behaviour.md §3)"
            )
    if samples < 1:
        raise ValueError("samples must be >= 1")
    archs = list(architectures) if architectures is not None else [f.architecture]
    g = np.random.Generator(np.random.PCG64(seed))
    base = f.duration.build().sample(g, samples)
    p50, p99 = (float(q) for q in np.quantile(base, [0.5, 0.99]))
    gran_ms = table.billing_rules.duration_granularity_ms
    rows: list[dict[str, Any]] = []
    for arch in archs:
        try:
            ap = prices.architectures[arch]
        except KeyError:
            raise ValueError(
                f"pricing table {table.id!r} has no prices for architecture {arch!r}"
            ) from None
        usd_gb_s = ap.duration_tiers[0].usd_per_gb_s
        for m in mems:
            factor = f.model_copy(update={"memory_mb": m}).duration_factor()
            d = base * factor
            # Each invocation is billed rounded up to the granularity (1 ms since Dec 2020).
            billed_ms = float(np.mean(billed_ms_array(d, gran_ms)))
            gb_s = billed_ms / 1000.0 * m / 1024.0
            cost = ap.usd_per_request + gb_s * usd_gb_s
            rows.append(
                {
                    "memory_mb": m,
                    "architecture": arch,
                    "vcpu_share": vcpu_share(m),
                    "usable_vcpus": usable_vcpus(m, f.duration.threads),
                    "duration_factor": factor,
                    "duration_mean_s": float(np.mean(d)),
                    "duration_p50_s": p50 * factor,
                    "duration_p99_s": p99 * factor,
                    "billed_ms_mean": billed_ms,
                    "gb_s": gb_s,
                    "cost_usd": cost,
                    "cost_per_million_usd": cost * 1e6,
                }
            )
    df = pd.DataFrame(rows)
    by_arch = df.groupby("architecture")
    df["speedup"] = by_arch["duration_mean_s"].transform(
        lambda s: s.loc[df.loc[s.index, "memory_mb"].idxmin()] / s
    )
    df["relative_cost"] = df["cost_usd"] / by_arch["cost_usd"].transform("min")
    df.attrs["pricing_table"] = table.id
    df.attrs["note"] = (
        "duration model only: no cold starts; cost at the first duration tier, no free tier"
    )
    return df
