"""A run's fixed cost (issue 16 target 4): lazy frames, cost once, quick grid points.

What is checked is behaviour, never time (timings are benchmarks/overhead.py):

* ``ls.run`` builds no pandas frame, nor does ``to_dict`` (what every sweep row reads: the cost
  arithmetic gives lists); ``summary``, ``timeseries``, ``invocations`` and the cost are built
  on first access, once, and equal what the eager code built (the golden tests pin their
  numbers for every shipped config);
* an in-memory sweep tidies all its rows once: the same table as tidying each task's rows and
  then their concatenation (what the parts on disk go through);
* :meth:`Scenario.replace` re-validates only the entries a numeric change falls under, with a
  result equal to the full re-validation, and the same error when a value is invalid.
"""

from __future__ import annotations

import glob
from typing import Any

import pandas as pd
import pytest

import lambdasim as ls
import lambdasim.config.scenario as scenario_module
import lambdasim.results.run as run_module
from lambdasim import cost as costmod
from lambdasim.config import ConfigError
from lambdasim.config.sweep import replace_leaves
from lambdasim.experiment import _run_task
from lambdasim.results import series
from lambdasim.results.store import tidy
from tests.conftest import ROOT, scenario

pytestmark = pytest.mark.unit


def _sc() -> ls.Scenario:
    return scenario(
        functions={
            "api": {
                "memory_mb": 512,
                "duration": {"dist": "exponential", "mean_s": 0.1},
                "cold_start": {"dist": "constant", "value_s": 0.2},
                "provisioned_concurrency": 1,
            },
            "worker": {"duration": {"dist": "constant", "value_s": 0.05}},
        },
        workloads=[
            {"target": "api", "arrivals": {"kind": "poisson", "rate_per_s": 5}},
            {"target": "worker", "arrivals": {"kind": "constant", "rate_per_s": 2}},
        ],
        horizon_s=120.0,
    )


def _counting(monkeypatch: pytest.MonkeyPatch, obj: Any, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(obj, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, name, wrapper)
    return calls


def test_frames_and_cost_are_built_on_first_access_and_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cost_calls = _counting(monkeypatch, run_module, "run_cost_rows")
    series_calls = _counting(monkeypatch, series, "function_series")
    frames = _counting(monkeypatch, pd.DataFrame, "__init__")
    res = ls.run(_sc(), seed=3)
    assert (cost_calls, series_calls, frames) == ([], [], [])  # nothing built by the run
    doc = res.to_dict()
    assert len(cost_calls) == 1 and series_calls == []
    assert frames == []  # the document (and so a sweep row) needs no frame
    cost = res.cost
    summary, timeseries = res.summary, res.timeseries
    assert res.summary is summary and res.timeseries is timeseries
    assert len(cost_calls) == 1 and len(series_calls) == 2  # one per function, once
    assert res.invocations is None
    traced = ls.run(_sc(), seed=3, trace=True).invocations
    assert traced is not None and len(traced) == doc["functions"]["api"]["invocations_run"] + (
        doc["functions"]["worker"]["invocations_run"]
    ) - sum(d["in_flight_end"] for d in doc["functions"].values())
    # the numbers the document carries are the cost frame's
    for fname, row in cost.iterrows():
        assert doc["functions"][str(fname)]["cost_usd"]["total"] == row["total_usd"]
        assert summary.loc[str(fname), "cost_usd"] == row["total_usd"]
    # a copy each time, equal to a fresh computation under the same table and region
    pd.testing.assert_frame_equal(cost, res.cost_with(), check_exact=True)
    pd.testing.assert_frame_equal(
        cost, costmod.run_cost(res.totals, costmod.load_table(None)), check_exact=True
    )  # no execution model here: the Lambda frame itself
    cost.loc["api", "total_usd"] = -1.0
    assert res.cost.loc["api", "total_usd"] != -1.0


def test_sweep_in_memory_tidies_rows_once_like_the_parts() -> None:
    sc = _sc()
    grid: dict[str, list[Any]] = {
        "functions.api.memory_mb": [256, 100],  # 100 MB is invalid: error rows
        "functions.api.reserved_concurrency": [None, 3],
    }
    sw = ls.sweep(sc, grid, reps=2, seed=5, n_jobs=1, chunk=1, progress=False)
    # the path of parts: each task's rows tidied, concatenated in (point, rep) order, tidied
    parts = []
    for i, values in enumerate([(256, None), (256, 3), (100, None), (100, 3)]):
        params = dict(zip(grid, values, strict=True))
        try:
            point, err = sc.replace(params), None
        except ConfigError as exc:
            point, err = None, "ConfigError: " + "; ".join(exc.format().splitlines())
        for rep in range(2):
            _, _, rows = _run_task(point, err, i, params, [rep], 5, list(sc.functions))
            parts.append(tidy(pd.DataFrame(rows), list(grid)))
    want = tidy(pd.concat(parts, ignore_index=True), list(grid))
    got = sw.table
    wall = [c for c in got.columns if "wall" in c]
    pd.testing.assert_frame_equal(got.drop(columns=wall), want.drop(columns=wall), check_exact=True)
    assert (got["status"] == "error").sum() == 2 * 2 * len(sc.functions)


def _full(sc: ls.Scenario, changes: dict[str, Any]) -> ls.Scenario:
    """``sc.replace(changes)`` through the full re-validation of the whole scenario."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scenario_module, "replace_leaves", lambda s, c: None)
        return sc.replace(changes)


def _outcome(fn: Any) -> tuple[ls.Scenario | None, str | None]:
    try:
        return fn(), None
    except ConfigError as exc:
        return None, exc.format()


def _changes(sc: ls.Scenario) -> list[dict[str, Any]]:
    name = next(iter(sc.functions))
    f = f"functions.{name}"
    out: list[dict[str, Any]] = [
        {f"{f}.memory_mb": 1024},
        {f"{f}.memory_mb": 100},  # below 128 MB
        {f"{f}.memory_mb": 1024.5},  # not an integer
        {f"{f}.timeout_s": 30, f"{f}.memory_mb": 2048},
        {f"{f}.reserved_concurrency": None},
        {f"{f}.reserved_concurrency": -1},
        {f"{f}.provisioned_concurrency": 2},  # the number shorthand
        {f"{f}.async.maximum_retry_attempts": 1},  # a block not in the file
        {f"{f}.keep_alive_s": 100},
        {f"{f}.error_rate": 2.0},
        {f"{f}.nosuch": 1},
        {f"{f}x.memory_mb": 1024},  # no such function: did-you-mean
        {"workloads.0.arrivals.rate_per_s": 3.5},
        {"workloads.0.arrivals.rate_per_s": -1.0},
        {"workloads.0.target": 3},
        {"workloads.9.arrivals.rate_per_s": 1.0},
        {"account.concurrency": 50},  # below min_unreserved + reserved: a cross-check
        {"account.concurrency": 900, f"{f}.memory_mb": 256},
        {"account.scaling.envs_per_10s": 10},
        {"output.timeseries_step_s": 30},
        {"output.percentiles.0": 10},
        {"pricing.free_tier": True},
        {"horizon_s": 7200},
        {"sweep.reps": 2},
    ]
    out += [{f"queues.{q}.max_receive_count": 0} for q in sc.queues]
    return out


SHIPPED = [
    "quickstart",
    "sqs-buffer",
    "image-pipeline",
    "pc-schedule",
    "dynamodb-stream",
    "diurnal",
    "azure-sample",
]


@pytest.mark.parametrize("name", SHIPPED)
def test_replace_equals_the_full_revalidation(name: str) -> None:
    sc = ls.load(ROOT / "configs" / f"{name}.yaml")
    quick = 0
    for changes in _changes(sc):
        got, got_err = _outcome(lambda c=changes: sc.replace(c))
        want, want_err = _outcome(lambda c=changes: _full(sc, c))
        assert got_err == want_err, changes  # the same message, file and field path
        if want is None:
            continue
        assert got == want and got.model_dump() == want.model_dump(), changes
        unset = {"mode": "json", "exclude_unset": True, "by_alias": True}
        assert got.model_dump(**unset) == want.model_dump(**unset), changes  # type: ignore[arg-type]
        assert (got.to_yaml(), got.base_dir) == (want.to_yaml(), want.base_dir)
        quick += replace_leaves(sc, changes) is not None
    assert quick >= 5  # the numeric function, workload and account changes took the quick path


def test_replace_takes_the_full_path_for_strings_and_top_level_fields() -> None:
    sc = ls.load(ROOT / "configs" / "quickstart.yaml")
    assert replace_leaves(sc, {"functions.api.memory_mb": 1024}) is not None
    assert replace_leaves(sc, {"functions.api.architecture": "arm64"}) is None
    assert replace_leaves(sc, {"horizon_s": 60.0}) is None
    assert replace_leaves(sc, {"functions.api": {"memory_mb": 1024}}) is None
    assert sc.replace({"functions.api.architecture": "arm64"}).functions["api"].architecture == (
        "arm64"
    )


def test_shipped_configs_are_all_covered() -> None:
    # a new shipped config should join SHIPPED (or be left out on purpose)
    shipped = {p.split("/")[-1].removesuffix(".yaml") for p in glob.glob(f"{ROOT}/configs/*.yaml")}
    assert set(SHIPPED) <= shipped
