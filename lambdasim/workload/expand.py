"""``target: "*"``: every function of a trace becomes a scenario function, at load time.

For a workload ``{target: "*", arrivals: {kind: trace, ...}}`` each function of the trace gets
a scenario function and a workload of its own (the same arrivals block with ``function:`` set
to its trace id). Its configuration, by increasing precedence: what the trace says (azure2019:
duration fitted to the percentiles, memory from the memory file, a timeout above the longest
recorded execution; azure2021 and csv/parquet with a duration column: a duration fitted to up to
2,000 recorded durations), then the arrivals' ``function_defaults``, then a ``functions:`` entry
of the same name (top-level keys replace). Names: ``function_map[id]``, else ``fn-`` and the
start of the hash (azure), else the id itself (csv/parquet).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from lambdasim import dists, fit
from lambdasim.config.arrivals import TraceArrivals
from lambdasim.config.errors import ConfigError, ConfigIssue
from lambdasim.workload.traces import (
    TraceError,
    azure2019_functions,
    azure2021_functions,
    table_chunks,
)

__all__ = ["TraceFunction", "expand_wildcards", "trace_functions"]

TraceFunction = tuple[str, str, dict[str, Any]]  # (trace id, default name, derived config)


def _timeout(max_s: float | None, f: fit.FitResult | None = None) -> float | None:
    # A timeout the executions fit under: twice the longest recorded and 1.5 x the fitted
    # p99 (percentile fits can put the p99 above the recorded maximum), within 3..900 s.
    if f is not None and f.family == "lognormal":
        p99 = math.exp(f.params["mu"] + dists.Z99 * f.params["sigma"])
        max_s = max(max_s or 0.0, 0.75 * p99)
    if max_s is None or not math.isfinite(max_s):
        return None
    return float(min(900, max(3, math.ceil(2.0 * max_s))))


def trace_functions(spec: TraceArrivals, path: Path) -> list[TraceFunction]:
    """The functions of a trace: ``(id, default name, derived function config)``.

    Raises
    ------
    TraceError
        The format has a single function (pacs, cloudwatch) or no function column.
    """
    out: list[TraceFunction] = []
    if spec.format == "azure2019":
        for f in azure2019_functions(path, top=spec.top, sample=spec.sample, seed=spec.sample_seed):
            cfg: dict[str, Any] = {}
            if f.duration is not None:
                cfg["duration"] = f.duration
            if f.memory_mb is not None:
                cfg["memory_mb"] = f.memory_mb
            t = _timeout(f.max_duration_s, f.fit)
            if t is not None:
                cfg["timeout_s"] = t
            out.append((f.id, "fn-" + f.id[:8], cfg))
        return out
    if spec.format == "azure2021":
        fs = azure2021_functions(path)
        fs = _subset(fs, spec, lambda f: f.total)
        for f in fs:
            app, func = f.id.split(":", 1)
            cfg = {"duration": f.duration} if f.duration is not None else {}
            t = _timeout(f.max_duration_s)
            if t is not None:
                cfg["timeout_s"] = t
            out.append((f.id, f"fn-{app[:6]}-{func[:6]}", cfg))
        return out
    if spec.format in ("csv", "parquet"):
        if spec.function_column is None:
            raise TraceError(f"{path}: target '*' needs function_column (which rows are whose)")
        return [(fid, fid, cfg) for fid, cfg in _tabular_functions(spec, path)]
    raise TraceError(
        f"{path}: a {spec.format} trace holds one function; name it as the target instead of '*'"
    )


def _subset(items: list[Any], spec: TraceArrivals, total: Any) -> list[Any]:
    if spec.top is not None:
        return sorted(items, key=lambda f: -total(f))[: spec.top]
    if spec.sample is not None:
        rng = np.random.default_rng(spec.sample_seed)
        pick = rng.choice(len(items), size=min(spec.sample, len(items)), replace=False)
        return [items[int(i)] for i in sorted(pick)]
    return items


def _tabular_functions(spec: TraceArrivals, path: Path) -> list[tuple[str, dict[str, Any]]]:
    assert spec.function_column is not None
    cols = [spec.function_column] + ([spec.duration_column] if spec.duration_column else [])
    totals: dict[str, int] = {}
    samples: dict[str, list[float]] = {}
    for chunk in table_chunks(path, spec.format, cols):
        ids = chunk[spec.function_column].astype(str)
        for k, n in ids.value_counts(sort=False).items():
            totals[str(k)] = totals.get(str(k), 0) + int(n)
        if spec.duration_column:
            d = pd.to_numeric(chunk[spec.duration_column], errors="coerce")
            for k, v in zip(ids.tolist(), d.tolist(), strict=True):
                s = samples.setdefault(k, [])
                if len(s) < 2000 and v == v and v > 0:  # v == v: not NaN
                    s.append(float(v))
    items = _subset(list(totals), spec, lambda k: totals[k])
    out = []
    for k in items:
        cfg: dict[str, Any] = {}
        s = samples.get(k, [])
        if len(s) >= 2:
            cfg["duration"] = fit.duration(s).to_config()
            t = _timeout(max(s))
            if t is not None:
                cfg["timeout_s"] = t
        out.append((k, cfg))
    return out


def expand_wildcards(
    data: Mapping[str, Any], *, base_dir: Path | None = None, source: str | None = None
) -> Mapping[str, Any]:
    """Replace every ``target: "*"`` trace workload by one workload per trace function and add
    those functions; ``data`` is returned unchanged when there is none.

    Raises
    ------
    ConfigError
        The trace cannot be read, or two trace functions get the same name.
    """
    workloads = data.get("workloads")
    if not isinstance(workloads, list) or not any(
        isinstance(w, Mapping) and w.get("target") == "*" for w in workloads
    ):
        return data
    base = base_dir if base_dir is not None else Path.cwd()
    functions: dict[str, Any] = dict(data.get("functions") or {})
    user = dict(functions)
    new_workloads: list[Any] = []
    issues: list[ConfigIssue] = []
    for i, w in enumerate(workloads):
        if not (isinstance(w, Mapping) and w.get("target") == "*"):
            new_workloads.append(w)
            continue
        arr = w.get("arrivals")
        if not (isinstance(arr, Mapping) and arr.get("kind") == "trace"):
            issues.append(
                ConfigIssue(
                    f"workloads.{i}.target",
                    "'*' (every function of a trace) needs kind: trace arrivals",
                    "*",
                )
            )
            continue
        try:
            spec = TraceArrivals.model_validate(arr)
        except ValidationError:
            new_workloads.append(w)  # the normal validation reports the arrivals' errors
            continue
        p = Path(spec.path).expanduser()
        path = p if p.is_absolute() else base / p
        try:
            found = trace_functions(spec, path)
        except TraceError as exc:
            issues.append(ConfigIssue(f"workloads.{i}.arrivals.path", str(exc), spec.path))
            continue
        if not found:
            issues.append(
                ConfigIssue(f"workloads.{i}.arrivals.path", "the trace has no functions", spec.path)
            )
            continue
        names: dict[str, str] = {}
        for fid, default_name, derived in found:
            name = spec.function_map.get(fid, default_name)
            if name in names:
                issues.append(
                    ConfigIssue(
                        f"workloads.{i}.arrivals.function_map",
                        f"trace functions {names[name]!r} and {fid!r} both map to '{name}'",
                        name,
                    )
                )
                continue
            names[name] = fid
            cfg = {**derived, **spec.function_defaults, **dict(user.get(name) or {})}
            functions[name] = cfg
            arrivals = {
                k: v
                for k, v in arr.items()
                if k not in ("top", "sample", "sample_seed", "function_defaults", "function_map")
            }
            arrivals["function"] = fid
            nw = {**w, "target": name, "arrivals": arrivals}
            if w.get("name"):
                nw["name"] = f"{w['name']}:{name}"
            new_workloads.append(nw)
    if issues:
        raise ConfigError(issues, source=source)
    return {**data, "functions": functions, "workloads": new_workloads}
