"""THE list of result keys: the one place that names what a run reports.

The ``--json`` document's per-function counters, the columns of ``RunResult.summary``, the
flattening of a function's JSON block into the float columns of a sweep table
(:func:`flatten_metrics`), the order of those columns and which of them add up over functions.
:mod:`lambdasim.results.blocks`, :mod:`lambdasim.results.run`, :mod:`lambdasim.results.sweep`,
the experiment runner and the tests import these names instead of spelling keys again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "ADDITIVE_METRICS",
    "FUNCTION_COUNTERS",
    "FUNCTION_IDENTITY",
    "FUNCTION_KEYS",
    "ID_COLUMNS",
    "PREFERRED_METRICS",
    "SUMMARY_COUNTS",
    "THROTTLE_REASONS",
    "flatten_metrics",
    "metric_order",
    "percentile_key",
    "summary_columns",
    "summary_row",
]

#: ``throttles_by_reason`` keys, indexed by :class:`lambdasim.records.ThrottleReason`
#: (the ``Reason`` field of AWS's 429 responses). AWS documents no Reason for the scaling rate
#: or for the account's requests-per-second quota (its enum's FunctionInvocationRateLimitExceeded
#: and ReservedFunctionInvocationRateLimitExceeded are not described); those two names are
#: lambdasim's.
THROTTLE_REASONS = (
    "ConcurrentInvocationLimitExceeded",
    "ReservedFunctionConcurrentInvocationLimitExceeded",
    "ScalingRateExceeded",
    "RequestsPerSecondLimitExceeded",
)

#: The sync identity of ``functions.NAME``: invocations = the sum of these.
FUNCTION_IDENTITY = ("succeeded", "errors", "timeouts", "throttled", "in_flight_end")

#: Counters of ``functions.NAME`` (non-negative integers in every run).
FUNCTION_COUNTERS = (
    "invocations",
    *FUNCTION_IDENTITY,
    "cold_starts",
    "throttle_events",
    "suppressed_inits",
    "invocations_run",
)

#: Keys every ``functions.NAME`` block of ``--json`` has (README "Results"); ``async``, ``sqs``
#: and ``provisioned`` are added for functions with those triggers or settings.
FUNCTION_KEYS = (
    *FUNCTION_COUNTERS,
    "cold_start_rate",
    "latency_s",
    "duration_s",
    "init_s",
    "concurrency",
    "environments",
    "throttles_by_reason",
    "billed_gb_s",
    "cost_usd",
)

#: Counters copied into ``RunResult.summary`` from the JSON block, in this order.
SUMMARY_COUNTS = (
    "invocations",
    "succeeded",
    "errors",
    "timeouts",
    "throttled",
    "in_flight_end",
    "cold_starts",
    "cold_start_rate",
)


def percentile_key(p: float) -> str:
    """JSON key of percentile ``p`` (in %): 99 → ``p99``, 99.9 → ``p99.9``."""
    return "p" + f"{p:g}"


def summary_columns(pcts: Sequence[float]) -> list[str]:
    """Columns of ``RunResult.summary`` (after the ``function`` index) for percentiles ``pcts``."""
    return [
        *SUMMARY_COUNTS,
        "latency_mean_s",
        *(f"latency_{percentile_key(p)}_s" for p in pcts),
        "duration_mean_s",
        "concurrency_mean",
        "concurrency_max",
        "environments_mean",
        "environments_max",
        "throttle_events",
        "suppressed_inits",
        "billed_gb_s",
        "cost_usd",
    ]


def summary_row(name: str, d: Mapping[str, Any], pcts: Sequence[float]) -> dict[str, Any]:
    """One row of ``RunResult.summary`` from the function's JSON block ``d``."""
    row: dict[str, Any] = {"function": name}
    for k in SUMMARY_COUNTS:
        row[k] = d[k]
    row["latency_mean_s"] = d["latency_s"]["mean"]
    for p in pcts:
        row[f"latency_{percentile_key(p)}_s"] = d["latency_s"][percentile_key(p)]
    row["duration_mean_s"] = d["duration_s"]["mean"]
    row["concurrency_mean"] = d["concurrency"]["mean"]
    row["concurrency_max"] = d["concurrency"]["max"]
    row["environments_mean"] = d["environments"]["mean"]
    row["environments_max"] = d["environments"]["max"]
    row["throttle_events"] = d["throttle_events"]
    row["suppressed_inits"] = d["suppressed_inits"]
    row["billed_gb_s"] = d["billed_gb_s"]
    row["cost_usd"] = d["cost_usd"]["total"]
    return row


#: Identity columns around the grid parameters: ``point``, grid..., then these.
ID_COLUMNS = ("rep", "seed", "function", "status", "error")
#: Metric columns shown first, in this order; any others follow alphabetically.
PREFERRED_METRICS = (
    "invocations",
    "succeeded",
    "errors",
    "timeouts",
    "throttled",
    "in_flight_end",
    "invocations_run",
    "throttle_rate",
    "error_rate",
    "cold_starts",
    "cold_start_rate",
    "latency_mean_s",
    "duration_mean_s",
    "duration_p50_s",
    "duration_p99_s",
    "init_mean_s",
    "init_p50_s",
    "init_p99_s",
    "concurrency_mean",
    "concurrency_max",
    "environments_mean",
    "environments_max",
    "throttle_events",
    "billed_gb_s",
    "cost_usd",
    "cost_requests_usd",
    "cost_duration_usd",
    "cost_monthly_usd",
)
_LATENCY_P = re.compile(r"^latency_p([0-9.]+)_s$")

#: Metrics that add up over functions (``best(function=None)`` sums them).
ADDITIVE_METRICS = frozenset(
    {
        "invocations",
        "succeeded",
        "errors",
        "timeouts",
        "throttled",
        "in_flight_end",
        "invocations_run",
        "cold_starts",
        "throttle_events",
        "suppressed_inits",
        "billed_gb_s",
    }
)

#: Nested blocks renamed when flattened (the JSON name is long and says nothing more).
RENAMED_BLOCKS = {"throttles_by_reason": "throttles"}
#: Unit suffixes kept at the end of flattened names: latency_s.p99 -> latency_p99_s.
UNIT_SUFFIXES = ("_usd", "_s")


# --------------------------------------------------------------------------------- flattening


def _join(key: str, sub: str) -> str:
    for unit in UNIT_SUFFIXES:
        if key.endswith(unit):
            base = key[: -len(unit)]
            # cost_usd.total is the cost itself
            return base + unit if sub == "total" else f"{base}_{sub}{unit}"
    return f"{key}_{sub}"


def _flatten(key: str, value: Any, out: dict[str, float]) -> None:
    if isinstance(value, Mapping):
        key = RENAMED_BLOCKS.get(key, key)
        for sub, v in value.items():
            _flatten(_join(key, str(sub)) if key else str(sub), v, out)
    elif value is None:
        out[key] = math.nan
    elif isinstance(value, bool | int | float | np.integer | np.floating):
        out[key] = float(value)
    # strings and lists (labels, not measurements) are not metrics


def flatten_metrics(function: Mapping[str, Any]) -> dict[str, float]:
    """Flatten one function's block of ``RunResult.to_dict()["functions"]`` to float columns.

    Nested blocks join with ``_`` and keep the unit suffix last (``latency_s.p99`` →
    ``latency_p99_s``, ``cost_usd.requests`` → ``cost_requests_usd``, ``cost_usd.total`` →
    ``cost_usd``, ``async.event_age_s.p99`` → ``async_event_age_p99_s``,
    ``throttles_by_reason.X`` → ``throttles_X``); ``None`` becomes NaN. Two derived rates are
    added: ``throttle_rate`` = throttled / invocations and ``error_rate`` = (errors + timeouts) /
    invocations (sync requests arriving after warm-up; NaN without any).

    Parameters
    ----------
    function : mapping
        The per-function JSON block of one run.

    Returns
    -------
    dict of str to float
    """
    out: dict[str, float] = {}
    _flatten("", function, out)
    inv = out.get("invocations", math.nan)
    ok = inv > 0
    out["throttle_rate"] = out.get("throttled", math.nan) / inv if ok else math.nan
    bad = out.get("errors", math.nan) + out.get("timeouts", math.nan)
    out["error_rate"] = bad / inv if ok else math.nan
    return out


def metric_order(col: str) -> tuple[int, int, float, str]:
    if col in PREFERRED_METRICS:
        return (0, PREFERRED_METRICS.index(col), 0.0, col)
    m = _LATENCY_P.match(col)
    if m:
        try:
            return (0, PREFERRED_METRICS.index("latency_mean_s"), float(m.group(1)), col)
        except ValueError:
            pass
    return (1, 0, 0.0, col)
