"""Replications and what-if sweeps: serial, on local cores (joblib/loky) or on a Dask cluster.

One run is an anecdote; :func:`replicate` runs independent replications of a scenario and
:func:`sweep` runs them at every point of a grid of dotted-path settings (stack.md §2.5–2.6).

Seeds
    Replication ``r`` of root seed ``s`` is ``run(point_scenario, seed=s, rep=r)``: its streams
    are ``SeedSequence(s, spawn_key=(r, crc32(stream), crc32(owner)))`` (:mod:`lambdasim.rng`).
    A result therefore depends only on (scenario, seed, rep) — not on ``n_jobs``, the backend,
    chunking or task order — and replication ``r`` uses the same random numbers at every grid
    point (common random numbers: differences between points are sharper than the points).
Tasks
    One task is one grid point and a contiguous range of replications (``chunk``; by default
    sized so a task lasts a fraction of a second or more, since a loky or Dask task costs about
    a millisecond). Workers receive the point's frozen scenario, build their own simulation and
    send back plain rows; the parent writes results and draws the progress bar.
Failures
    A run that raises becomes rows with ``status="error"`` and the message; the sweep goes on.
    A point whose settings do not validate fails the same way (all of its replications).
"""

from __future__ import annotations

import itertools
import math
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lambdasim._version import __version__
from lambdasim.config import ConfigError, Scenario
from lambdasim.results.schema import flatten_metrics
from lambdasim.results.store import (
    finished_reps,
    read_manifest,
    set_attrs,
    sweep_id,
    tidy,
    write_manifest,
    write_part,
)
from lambdasim.results.sweep import SweepResult, read_results

__all__ = ["replicate", "sweep"]

#: Grid keys that would collide with the table's identity columns.
_RESERVED_KEYS = frozenset({"point", "rep", "seed", "function", "status", "error"})

#: Auto chunking: aim for tasks of at least this many seconds of simulation ...
_TASK_TARGET_S = 0.25
#: ... estimating a run at a fixed cost plus this many simulated invocations per second.
_RUN_OVERHEAD_S = 0.01
_INVOCATIONS_PER_S = 300_000.0


@dataclass(frozen=True)
class _Point:
    index: int
    params: dict[str, Any]
    scenario: Scenario | None
    error: str | None


# --------------------------------------------------------------------------------- worker side


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ConfigError):
        msg = "; ".join(exc.format().splitlines())
    else:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def _run_task(
    scenario: Scenario | None,
    error: str | None,
    point: int,
    params: Mapping[str, Any],
    reps: Sequence[int],
    seed: int,
    functions: Sequence[str],
) -> tuple[int, tuple[int, ...], list[dict[str, Any]]]:
    """Run replications ``reps`` of one point; return ``(point, reps, rows)``.

    Runs in a worker process (or in the caller when serial); never raises for a failing run.
    """
    from lambdasim.simulation import run

    rows: list[dict[str, Any]] = []
    for rep in reps:
        base = {"point": point, **params, "rep": rep, "seed": seed}
        if scenario is None:
            rows.extend(
                {**base, "function": f, "status": "error", "error": error or ""} for f in functions
            )
            continue
        try:
            res = run(scenario, seed=seed, rep=rep, progress=False)
            doc = res.to_dict()
        except Exception as exc:  # a failing run is a result row; the sweep goes on
            text = _error_text(exc)
            rows.extend(
                {**base, "function": f, "status": "error", "error": text}
                for f in scenario.functions
            )
            continue
        monthly = doc["cost_usd"]["monthly_projection"]["functions"]
        for fname, block in doc["functions"].items():
            row = {**base, "function": fname, "status": "ok", "error": ""}
            row.update(flatten_metrics(block))
            row["cost_monthly_usd"] = float(monthly.get(fname, math.nan))
            rows.append(row)
    return point, tuple(reps), rows


# --------------------------------------------------------------------------------- planning


def _points(base: Scenario, grid: Mapping[str, Sequence[Any]]) -> list[_Point]:
    keys = list(grid)
    points = []
    for i, values in enumerate(itertools.product(*(list(grid[k]) for k in keys))):
        params = dict(zip(keys, values, strict=True))
        try:
            sc = base.replace(params) if params else base
            points.append(_Point(i, params, sc, None))
        except ConfigError as exc:
            points.append(_Point(i, params, None, _error_text(exc)))
    return points


def _estimated_invocations(sc: Scenario) -> float | None:
    """Arrivals of one run from the workloads' rates (None when a workload has no fixed rate)."""
    total = 0.0
    for w in sc.workloads:
        rate = getattr(w.arrivals, "rate_per_s", None)
        if rate is None:
            return None
        total += float(rate) * sc.horizon_s
    return total


def _auto_chunk(points: Sequence[_Point], n_runs: int, workers: int) -> int:
    """Replications per task: tasks of ≳ 0.25 s, but at least 4 tasks per worker when possible."""
    ests = [_estimated_invocations(p.scenario) for p in points if p.scenario is not None]
    known = [e for e in ests if e is not None]
    if not known or len(known) < len(ests):
        return 1
    per_run = _RUN_OVERHEAD_S + min(known) / _INVOCATIONS_PER_S
    chunk = max(1, math.ceil(_TASK_TARGET_S / per_run))
    return max(1, min(chunk, math.ceil(n_runs / (4 * max(1, workers)))))


def _tasks(
    points: Sequence[_Point], reps: int, done: set[tuple[int, int]], chunk: int
) -> list[tuple[_Point, tuple[int, ...]]]:
    tasks = []
    for p in points:
        todo = [r for r in range(reps) if (p.index, r) not in done]
        # contiguous runs of missing replications, cut into chunks
        for _, grp in itertools.groupby(enumerate(todo), key=lambda t: t[1] - t[0]):
            run_reps = [r for _, r in grp]
            for k in range(0, len(run_reps), chunk):
                tasks.append((p, tuple(run_reps[k : k + chunk])))
    return tasks


def _provenance(
    base: Scenario, grid: Mapping[str, Sequence[Any]], seed: int, reps: int
) -> dict[str, Any]:
    from lambdasim.cost import load_table

    try:
        table_id = load_table(base.pricing.table, base_dir=base.base_dir).id
    except Exception:  # provenance must not stop a sweep; the error shows in each run
        table_id = str(base.pricing.table)
    config = base.to_yaml()
    return {
        # the identity every part carries, checked by read_results (no foreign parts)
        "sweep_id": sweep_id(config, grid, seed),
        "lambdasim_version": __version__,
        "numpy_version": np.__version__,
        "pandas_version": pd.__version__,
        "scenario": base.name,
        "seed": int(seed),
        "reps": int(reps),
        "grid": {k: list(v) for k, v in grid.items()},
        "config": config,
        "pricing_table": table_id,
    }


def _check_resume(manifest: Mapping[str, Any], prov: Mapping[str, Any], out: Path) -> None:
    diffs = [k for k in ("config", "grid", "seed") if manifest.get(k) != prov.get(k)]
    if diffs:
        raise ValueError(
            f"{out}: cannot resume: the existing results have another {', '.join(diffs)} "
            "(same config, grid and seed are needed; use another output directory)"
        )


# --------------------------------------------------------------------------------- execution


def _show_progress(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    if os.environ.get("CI"):
        return False
    return sys.stderr.isatty() or "ipykernel" in sys.modules


def _bar(total: int, show: bool) -> Any:
    if not show:
        return None
    try:  # the notebook widget only when ipywidgets is there (no "IProgress not found")
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm as bar_type
    except ImportError:
        from tqdm.std import tqdm as bar_type  # type: ignore[assignment]
    return bar_type(total=total, unit="run", desc="sweep", file=sys.stderr, smoothing=0.1)


def _dask_client(stack: ExitStack, scheduler: str | None, workers: int) -> Any:
    """A Dask client: the given scheduler, ``local`` (a LocalCluster), the current one, or new."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(
            "backend='dask' needs Dask: pip install 'lambdasim[distributed]'"
        ) from None
    if scheduler is None:
        try:
            return Client.current()  # type: ignore[no-untyped-call]
        except ValueError:
            scheduler = os.environ.get("DASK_SCHEDULER_ADDRESS") or "local"
    if scheduler == "local":
        cluster = stack.enter_context(
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers,
                threads_per_worker=1,  # SimPy is pure Python: one process per core
                processes=True,
                dashboard_address=None,
            )
        )
        return stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
    return stack.enter_context(Client(scheduler))  # type: ignore[no-untyped-call]


def _execute(
    calls: Sequence[tuple[Any, ...]],
    *,
    n_jobs: int,
    backend: str | None,
    scheduler: str | None,
) -> Iterator[tuple[int, tuple[int, ...], list[dict[str, Any]]]]:
    """Yield task results as they finish (any order)."""
    import joblib

    workers = joblib.effective_n_jobs(n_jobs)
    if backend is None and (workers == 1 or len(calls) <= 1):
        for args in calls:
            yield _run_task(*args)
        return
    with ExitStack() as stack:
        if backend == "dask":
            _dask_client(stack, scheduler, workers)
            stack.enter_context(joblib.parallel_config(backend="dask"))
            par = joblib.Parallel(n_jobs=-1, return_as="generator_unordered")
        else:
            par = joblib.Parallel(
                n_jobs=n_jobs, backend=backend or "loky", return_as="generator_unordered"
            )
        yield from par(joblib.delayed(_run_task)(*args) for args in calls)


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    reps: int | None = None,
    seed: int | None = None,
    n_jobs: int = -1,
    backend: str | None = None,
    scheduler: str | None = None,
    chunk: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
) -> SweepResult:
    """Run ``reps`` replications at every point of ``grid`` (the Cartesian product).

    Parameters
    ----------
    scenario : Scenario
        The base scenario; each point is ``scenario.replace(point)`` (re-validated).
    grid : mapping of str to sequence, optional
        ``{"functions.api.memory_mb": [512, 1024], ...}``; default: the scenario's ``sweep.grid``
        or, without one, no grid (replications of the scenario itself).
    reps : int, optional
        Replications per point, numbered 0 … reps − 1; default ``sweep.reps`` or 10.
    seed : int, optional
        Root seed; default the scenario's, else a fresh one (stored in ``attrs["seed"]``).
    n_jobs : int
        Local worker processes (joblib; −1 = all cores, 1 = serial in this process).
    backend : {None, "loky", "dask", ...}
        joblib backend; None = loky when ``n_jobs`` ≠ 1. ``"dask"`` runs the tasks on a Dask
        cluster (``pip install 'lambdasim[distributed]'``).
    scheduler : str, optional
        With Dask: ``"tcp://host:8786"``, or ``"local"`` for a LocalCluster of ``n_jobs``
        single-threaded worker processes; default the current Dask client, else
        ``$DASK_SCHEDULER_ADDRESS``, else a LocalCluster. Giving it implies ``backend="dask"``.
    chunk : int, optional
        Replications per task (default: automatic; results do not depend on it).
    out : str or Path, optional
        Write a Parquet directory dataset there, one part per finished task (crash-safe).
    resume : bool
        With ``out``: keep the parts already there and run only the missing replications
        (config, grid and seed must match; more ``reps`` than before adds replications).
    progress : bool or None
        A bar of finished runs on stderr (a widget in Jupyter if ipywidgets is installed);
        None = when stderr is a terminal or in Jupyter, never with ``$CI`` set.

    Returns
    -------
    SweepResult

    Raises
    ------
    ConfigError
        If no grid point is a valid scenario (e.g. a misspelt path).
    FileExistsError
        If ``out`` already holds results and ``resume`` is false.
    ValueError
        For bad arguments, or when resuming results of another config, grid or seed.
    """
    if scheduler is not None and backend is None:
        backend = "dask"
    spec = scenario.sweep
    if grid is None:
        grid = dict(spec.grid) if spec is not None else {}
    axes: dict[str, list[Any]] = {str(k): list(v) for k, v in grid.items()}
    grid = axes
    if reps is None:
        reps = spec.reps if spec is not None else 10
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    if chunk is not None and chunk < 1:
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    bad = [k for k in grid if k in _RESERVED_KEYS]
    if bad:
        raise ValueError(
            f"grid keys {bad} clash with result columns (vary seeds through reps, not the grid)"
        )
    empty = [k for k, v in grid.items() if not v]
    if empty:
        raise ValueError(f"grid axes without values: {empty}")
    if resume and out is None:
        raise ValueError("resume needs an output directory (out=...)")

    out_dir = Path(out) if out is not None else None
    manifest = read_manifest(out_dir) if out_dir is not None else None
    if seed is None:
        seed = scenario.seed
    if seed is None and resume and manifest is not None:
        seed = int(manifest["seed"])
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]

    points = _points(scenario, grid)
    valid = [p for p in points if p.scenario is not None]
    if not valid:
        # nothing can run: a user mistake (a misspelt path, an out-of-range value)
        raise _first_config_error(scenario, grid)

    prov = _provenance(scenario, grid, seed, reps)
    done: set[tuple[int, int]] = set()
    if out_dir is not None:
        done = finished_reps(out_dir)
        if done and not resume:
            raise FileExistsError(
                f"{out_dir} already holds sweep results; use resume=True (--resume) to "
                "finish them, or another directory"
            )
        if resume and manifest is not None:
            _check_resume(manifest, prov, out_dir)
        for stale in out_dir.glob(".part-*.tmp") if out_dir.is_dir() else []:
            stale.unlink()  # a part that was being written when the last run stopped
        done = {(p, r) for p, r in done if r < reps}
        write_manifest(out_dir, prov)

    import joblib

    workers = 1 if (backend is None and n_jobs == 1) else joblib.effective_n_jobs(n_jobs)
    n_runs = len(points) * reps - len(done)
    size = chunk if chunk is not None else _auto_chunk(points, n_runs, workers)
    tasks = _tasks(points, reps, done, size)
    fnames = list(scenario.functions)
    calls = [
        (p.scenario, p.error, p.index, p.params, task_reps, seed, fnames) for p, task_reps in tasks
    ]

    # In memory, the rows of every task make one frame at the end: tidy gives the same table
    # from one list of rows as from tidied parts, and a frame per task cost more than the run
    # of a short scenario (issue 16).
    task_rows: dict[tuple[int, int], list[dict[str, Any]]] = {}
    bar = _bar(n_runs, _show_progress(progress) and n_runs > 0)
    try:
        for point, task_reps, rows in _execute(
            calls, n_jobs=n_jobs, backend=backend, scheduler=scheduler
        ):
            if out_dir is not None:
                frame = tidy(pd.DataFrame(rows), list(grid))
                set_attrs(frame, {**prov, "point": point})
                write_part(frame, out_dir, point, task_reps[0], task_reps[-1])
            else:
                task_rows[(point, task_reps[0])] = rows
            if bar is not None:
                bar.update(len(task_reps))
    finally:
        if bar is not None:
            bar.close()

    if out_dir is not None:
        table = read_results(out_dir).table
        # a resume with fewer reps than before leaves the extra parts on disk, not in the result
        table = table[table["rep"] < reps].reset_index(drop=True)
        set_attrs(table, prov)
        return SweepResult(table, axes, prov)
    table = tidy(pd.DataFrame([r for k in sorted(task_rows) for r in task_rows[k]]), list(grid))
    set_attrs(table, prov)
    return SweepResult(table, axes, prov)


def _first_config_error(scenario: Scenario, grid: Mapping[str, Sequence[Any]]) -> ConfigError:
    first = dict(zip(grid, (v[0] for v in grid.values()), strict=True))
    try:
        scenario.replace(first)
    except ConfigError as exc:
        return exc
    return ConfigError([])  # unreachable: the first point failed to validate before


def replicate(
    scenario: Scenario,
    reps: int = 20,
    *,
    seed: int | None = None,
    n_jobs: int = -1,
    backend: str | None = None,
    scheduler: str | None = None,
    chunk: int | None = None,
    progress: bool | None = None,
) -> SweepResult:
    """Independent replications of one scenario, with confidence intervals.

    ``replicate(sc, reps=20, seed=1).summary()`` gives, per function and metric, the mean over
    the replications and its Student-t half-width (95 % by default); ``.table`` has one row per
    replication and function. Replication ``r`` is exactly ``run(sc, seed=seed, rep=r)``.

    Parameters
    ----------
    scenario : Scenario
        The scenario to replicate.
    reps : int
        Number of replications (0 … reps − 1).
    seed : int, optional
        Root seed; default the scenario's, else a fresh one (``attrs["seed"]``).
    n_jobs, backend, scheduler, chunk, progress
        As for :func:`sweep`.

    Returns
    -------
    SweepResult
        With an empty grid (one point, number 0).
    """
    return sweep(
        scenario,
        {},
        reps=reps,
        seed=seed,
        n_jobs=n_jobs,
        backend=backend,
        scheduler=scheduler,
        chunk=chunk,
        progress=progress,
    )
