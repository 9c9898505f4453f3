"""Replications and sweeps: seeds, backends, tidy table, intervals, best(), Parquet, resume, CLI."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

import lambdasim as ls
from lambdasim import experiment
from lambdasim.cli import app
from lambdasim.cli.sweep import parse_param
from lambdasim.results.schema import flatten_metrics
from lambdasim.results.store import parse_part_name, tidy
from lambdasim.results.sweep import SweepResult
from tests.conftest import ROOT, scenario

pytestmark = pytest.mark.unit

runner = CliRunner()
QUICK = str(ROOT / "configs" / "quickstart.yaml")


def _small(**top: Any) -> ls.Scenario:
    """One function, Poisson 20/s for 60 s (≈ 1,200 arrivals, a few ms per run)."""
    return scenario(
        functions={
            "api": {
                "memory_mb": 512,
                "duration": {"dist": "exponential", "mean_s": 0.1},
                "cold_start": {"dist": "constant", "value_s": 0.2},
            }
        },
        workloads=[{"target": "api", "arrivals": {"kind": "poisson", "rate_per_s": 20}}],
        horizon_s=60.0,
        **top,
    )


GRID = {"functions.api.memory_mb": [512, 1024], "functions.api.reserved_concurrency": [None, 2]}


# ------------------------------------------------------------------------------- flattening


def test_flatten_metrics_names_and_derived_rates() -> None:
    block = {
        "invocations": 200,
        "succeeded": 150,
        "errors": 5,
        "timeouts": 5,
        "throttled": 40,
        "cold_start_rate": None,
        "latency_s": {"mean": 0.1, "p99": 0.5, "p99.9": 0.9},
        "concurrency": {"mean": 1.5, "max": 4},
        "throttles_by_reason": {"ScalingRateExceeded": 3},
        "cost_usd": {"requests": 1.0, "duration": 2.0, "total": 3.0},
        "async": {"event_age_s": {"p99": 7.0}, "sources": {"s3": 2}},
        "label": "not a metric",
    }
    f = flatten_metrics(block)
    assert f["latency_mean_s"] == 0.1 and f["latency_p99_s"] == 0.5
    assert f["latency_p99.9_s"] == 0.9
    assert f["concurrency_max"] == 4.0 and f["throttles_ScalingRateExceeded"] == 3.0
    assert f["cost_usd"] == 3.0 and f["cost_requests_usd"] == 1.0
    assert f["async_event_age_p99_s"] == 7.0 and f["async_sources_s3"] == 2.0
    assert math.isnan(f["cold_start_rate"]) and "label" not in f
    assert f["throttle_rate"] == 40 / 200 and f["error_rate"] == 10 / 200


# ------------------------------------------------------------------------------- seeds


def test_replication_r_is_run_with_rep_r() -> None:
    sc = _small()
    rep = ls.replicate(sc, reps=3, seed=11, n_jobs=1, progress=False)
    t = rep.table
    assert list(t["rep"]) == [0, 1, 2] and set(t["seed"]) == {11} and set(t["point"]) == {0}
    for r in range(3):
        direct = flatten_metrics(ls.run(sc, seed=11, rep=r, progress=False).functions["api"])
        row = t[t["rep"] == r].iloc[0]
        for k in ("invocations", "throttled", "cold_starts", "latency_p99_s", "cost_usd"):
            assert row[k] == direct[k], k


def test_common_random_numbers_across_points() -> None:
    """Memory does not touch arrivals: replication r sees the same requests at every point."""
    sw = ls.sweep(
        _small(),
        {"functions.api.memory_mb": [512, 1024, 2048]},
        reps=3,
        seed=5,
        n_jobs=1,
        progress=False,
    )
    inv = sw.table.pivot_table(index="rep", columns="point", values="invocations")
    assert inv.eq(inv[0], axis=0).all().all()
    assert len(set(inv[0])) == 3  # but replications differ


def test_serial_loky_dask_and_chunking_give_identical_tables() -> None:
    sc = _small()
    serial = ls.sweep(sc, GRID, reps=3, seed=3, n_jobs=1, progress=False)
    assert len(serial.table) == 4 * 3 and (serial.table["status"] == "ok").all()
    chunked = ls.sweep(sc, GRID, reps=3, seed=3, n_jobs=1, chunk=2, progress=False)
    loky = ls.sweep(sc, GRID, reps=3, seed=3, n_jobs=2, chunk=1, progress=False)
    dask = ls.sweep(
        sc, GRID, reps=3, seed=3, n_jobs=2, backend="dask", scheduler="local", progress=False
    )
    for other in (chunked, loky, dask):
        pd.testing.assert_frame_equal(serial.table, other.table)


def test_grid_columns_and_point_order() -> None:
    sw = ls.sweep(_small(), GRID, reps=2, seed=1, n_jobs=1, progress=False)
    t = sw.table
    assert list(t.columns[:8]) == [
        "point",
        "functions.api.memory_mb",
        "functions.api.reserved_concurrency",
        "rep",
        "seed",
        "function",
        "status",
        "error",
    ]
    pts = sw.points
    assert list(pts["functions.api.memory_mb"]) == [512, 512, 1024, 1024]
    assert pts["functions.api.reserved_concurrency"].isna().tolist() == [True, False, True, False]
    # reserved concurrency 2 at 2 Erlangs throttles; unreserved does not
    s = sw.summary()
    assert (s.loc[s["functions.api.reserved_concurrency"].isna(), "throttle_rate"] == 0).all()
    assert (s.loc[s["functions.api.reserved_concurrency"] == 2, "throttle_rate"] > 0).all()


# ------------------------------------------------------------------------------- statistics


def _synthetic(
    values: dict[int, list[float]],
    other: dict[int, list[float]] | None = None,
    failed: frozenset[tuple[int, int]] = frozenset(),
) -> SweepResult:
    rows = []
    for p, vals in values.items():
        for r, v in enumerate(vals):
            bad = (p, r) in failed
            rows.append(
                {
                    "point": p,
                    "x": p * 10,
                    "rep": r,
                    "seed": 1,
                    "function": "api",
                    "status": "error" if bad else "ok",
                    "error": "RuntimeError: boom" if bad else "",
                    "cost_usd": math.nan if bad else v,
                    "latency_p99_s": math.nan if bad else (other or {}).get(p, vals)[r],
                }
            )
    return SweepResult(tidy(pd.DataFrame(rows), ["x"]), {"x": [p * 10 for p in values]}, {})


def test_summary_student_t_half_width() -> None:
    sw = _synthetic({0: [1.0, 2.0, 3.0], 1: [5.0]})
    s = sw.summary(ci=0.95)
    hw = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)  # sd of 1, 2, 3 is 1
    assert s.loc[0, "cost_usd"] == 2.0 and s.loc[0, "cost_usd_ci"] == pytest.approx(hw, 1e-12)
    assert s.loc[0, "n"] == 3 and s.loc[0, "x"] == 0
    assert s.loc[1, "n"] == 1 and math.isnan(s.loc[1, "cost_usd_ci"])  # one value: no interval
    s90 = sw.summary(ci=0.90)
    assert s90.loc[0, "cost_usd_ci"] == pytest.approx(stats.t.ppf(0.95, 2) / math.sqrt(3), 1e-12)


def test_best_respects_constraints_and_failures() -> None:
    # cost falls with the point number, latency rises; point 0 also has a failed replication
    sw = _synthetic(
        {0: [1.0, 1.0, 1.0], 1: [3.0, 3.1, 2.9], 2: [2.0, 2.1, 1.9], 3: [0.5, 0.6, 0.4]},
        other={0: [0.1] * 3, 1: [0.2, 0.21, 0.19], 2: [0.4, 0.41, 0.39], 3: [0.9, 0.95, 0.85]},
        failed=frozenset({(0, 2)}),
    )
    assert sw.best("cost_usd").loc["point"] == 3  # unconstrained: cheapest
    b = sw.best("cost_usd", {"latency_p99_s": 0.5})
    assert b.loc["point"] == 2 and b.loc["x"] == 20 and b.loc["latency_p99_s"] <= 0.5
    assert sw.best("cost_usd", {"latency_p99_s": 0.25}).loc["point"] == 1  # 0 has a failure
    assert sw.best("cost_usd", {"latency_p99_s": (0.3, None)}).loc["point"] == 3
    assert sw.best("cost_usd", {"latency_p99_s": 0.5}, minimize=False).loc["point"] == 1
    # conservative: the whole interval must be inside; point 2's upper bound exceeds 0.41
    assert sw.best("cost_usd", {"latency_p99_s": 0.41}).loc["point"] == 2
    assert sw.best("cost_usd", {"latency_p99_s": 0.41}, conservative=True).loc["point"] == 1
    with pytest.raises(ValueError, match="no grid point"):
        sw.best("cost_usd", {"latency_p99_s": 0.05})


def test_best_on_a_real_sweep() -> None:
    """Reserved concurrency trades throttles for cost: the cheapest point meeting the limit."""
    sw = ls.sweep(
        _small(),
        {"functions.api.reserved_concurrency": [1, 2, 3, 6]},
        reps=4,
        seed=2,
        n_jobs=1,
        progress=False,
    )
    s = sw.summary()
    limit = 0.05
    b = sw.best("cost_usd", {"throttle_rate": limit})
    feasible = s[s["throttle_rate"] <= limit]
    assert b.loc["throttle_rate"] <= limit
    assert b.loc["cost_usd"] == feasible["cost_usd"].min()
    assert (s[s["throttle_rate"] > limit]["cost_usd"] < b.loc["cost_usd"]).any()  # it binds


# ------------------------------------------------------------------------------- failures


def test_failing_point_becomes_rows_and_others_finish(tmp_path: Path, trace_csv: Any) -> None:
    good = trace_csv([0.5 * i for i in range(1, 100)])
    sc = scenario(
        functions={"api": {"duration": {"dist": "constant", "value_s": 0.1}}},
        workloads=[{"target": "api", "arrivals": {"kind": "trace", "path": good}}],
        horizon_s=60.0,
    )
    grid = {
        "workloads.0.arrivals.path": [good, str(tmp_path / "missing.csv")],
        "functions.api.reserved_concurrency": [1, 5000],  # 5000 > account budget: invalid
    }
    sw = ls.sweep(sc, grid, reps=2, seed=1, n_jobs=1, progress=False)
    t = sw.table
    ok = t[t["status"] == "ok"]
    assert set(ok["point"]) == {0} and (ok["invocations"] == 99).all()
    bad = sw.failures
    assert set(bad["point"]) == {1, 2, 3} and len(bad) == 6
    assert bad[bad["point"] == 2]["error"].str.contains("missing.csv").all()
    assert bad[bad["point"] == 1]["error"].str.startswith("ConfigError").all()
    assert t.loc[t["status"] == "error", "cost_usd"].isna().all()
    s = sw.summary()
    assert list(s["n"]) == [2, 0, 0, 0] and list(s["n_failed"]) == [0, 2, 2, 2]


def test_a_grid_of_only_invalid_points_is_a_config_error() -> None:
    with pytest.raises(ls.ConfigError, match="memory_mb"):
        ls.sweep(_small(), {"functions.api.memory_mb": [1, 2]}, reps=1, n_jobs=1, progress=False)
    with pytest.raises(ValueError, match="seed"):
        ls.sweep(_small(), {"seed": [1, 2]}, reps=1, n_jobs=1, progress=False)


# ------------------------------------------------------------------------------- Parquet, resume


def test_parquet_roundtrip_and_provenance(tmp_path: Path) -> None:
    sw = ls.sweep(_small(), GRID, reps=2, seed=4, n_jobs=1, progress=False)
    sw.to_parquet(tmp_path / "a")
    back = ls.read_results(tmp_path / "a")
    pd.testing.assert_frame_equal(sw.table, back.table)
    assert back.grid == GRID
    part = sorted((tmp_path / "a").glob("part-*.parquet"))[0]
    attrs = pd.read_parquet(part).attrs
    assert attrs["seed"] == 4 and attrs["lambdasim_version"] == ls.__version__
    assert attrs["numpy_version"] == np.__version__ and attrs["pricing_table"].startswith("aws")
    assert ls.loads(attrs["config"]).model_dump() == _small().model_dump()
    # a directory dataset: pandas reads it whole (the manifest is skipped)
    assert len(pd.read_parquet(tmp_path / "a")) == len(sw.table)
    with pytest.raises(FileExistsError):
        sw.to_parquet(tmp_path / "a")


def test_resume_redoes_only_missing_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sc = _small()
    out = tmp_path / "sweep"
    full = ls.sweep(sc, GRID, reps=3, seed=9, n_jobs=1, chunk=1, out=out, progress=False)
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) == 4 * 3
    # an interrupted sweep: two parts never written, one half-written temporary file
    lost = [parts[1], parts[7]]
    for p in lost:
        p.unlink()
    (out / ".part-p000000-r000001-000001.parquet.123.tmp").write_bytes(b"PAR1 half")
    kept = {p.name: p.stat().st_mtime_ns for p in parts if p not in lost}

    ran: list[tuple[int, tuple[int, ...]]] = []
    real = experiment._run_task

    def counting(*args: Any) -> Any:
        res = real(*args)
        ran.append((res[0], res[1]))
        return res

    monkeypatch.setattr(experiment, "_run_task", counting)
    with pytest.raises(FileExistsError):
        ls.sweep(sc, GRID, reps=3, seed=9, n_jobs=1, out=out, progress=False)
    with pytest.raises(ValueError, match="seed"):
        ls.sweep(sc, GRID, reps=3, seed=10, n_jobs=1, out=out, resume=True, progress=False)
    assert ran == []
    again = ls.sweep(sc, GRID, reps=3, seed=9, n_jobs=1, out=out, resume=True, progress=False)
    want = sorted(parse_part_name(p.name)[:2] for p in lost)  # type: ignore[index]
    assert sorted((p, r[0]) for p, r in ran) == want
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("part-*") if p.name in kept} == kept
    assert not list(out.glob(".*.tmp"))
    pd.testing.assert_frame_equal(full.table, again.table)
    # more replications later: only the new ones run
    ran.clear()
    more = ls.sweep(sc, GRID, reps=4, seed=9, n_jobs=1, out=out, resume=True, progress=False)
    assert sorted({r for _, reps in ran for r in reps}) == [3] and len(more.table) == 16


# ------------------------------------------------------------------------------- progress


def test_progress_bar_in_the_parent_and_silence(capsys: pytest.CaptureFixture[str]) -> None:
    shown = ls.replicate(_small(), reps=3, seed=7, n_jobs=1, progress=True)
    err = capsys.readouterr()
    assert "3/3" in err.err and err.out == ""  # one step per replication, on stderr
    quiet = ls.replicate(_small(), reps=3, seed=7, n_jobs=1, progress=False)
    assert capsys.readouterr() == ("", "")
    # the bar only reports: the replications are the same runs
    pd.testing.assert_frame_equal(shown.table, quiet.table)


# ------------------------------------------------------------------------------- CLI


def test_parse_param() -> None:
    assert parse_param("functions.api.memory_mb=512,1024") == (
        "functions.api.memory_mb",
        [512, 1024],
    )
    assert parse_param("a.b=null, 3 ,true") == ("a.b", [None, 3, True])
    assert parse_param("a.b=[1, 2]") == ("a.b", [1, 2])
    for bad in ("a.b", "=1", "a.b=1,,2", "a.b="):
        with pytest.raises(ValueError):
            parse_param(bad)


def test_cli_sweep_report_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "res"
    args = [
        "sweep",
        QUICK,
        "--set",
        "horizon_s=120",
        "--param",
        "functions.api.memory_mb=512,1024",
        "--reps",
        "2",
        "--jobs",
        "1",
        "--seed",
        "3",
        "-o",
        str(out),
        "--no-progress",
    ]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert f"results written to {out}" in r.stdout
    r2 = runner.invoke(app, ["report", str(out), "--plot", str(tmp_path / "t.png")])
    assert r2.exit_code == 0, r2.output
    assert (tmp_path / "t.png").stat().st_size > 1000

    def rows(stdout: str) -> list[list[str]]:
        lines = [line for line in stdout.splitlines() if "│" in line]
        return [[c.strip() for c in line.strip("│").split("│")] for line in lines]

    # the report of the stored results is the table the sweep printed, one row per point,
    # and its numbers are the stored summary's (mean ± Student-t half-width over 2 reps)
    table = rows(r2.stdout)
    assert table == rows(r.stdout)
    s = ls.read_results(out).summary(ci=0.95, metrics=["cost_usd"])
    assert s["n"].tolist() == [2, 2]
    ref = ls.sweep(
        ls.load(QUICK).replace({"horizon_s": 120}),
        {"functions.api.memory_mb": [512, 1024]},
        reps=2,
        seed=3,
        n_jobs=1,
        progress=False,
    ).summary(ci=0.95, metrics=["cost_usd"])
    pd.testing.assert_frame_equal(s, ref)
    assert [row[:3] for row in table] == [["512", "api", "2"], ["1024", "api", "2"]]
    for row, (_, point) in zip(table, s.iterrows(), strict=True):
        assert row[-1] == f"{point['cost_usd']:.4g} ± {point['cost_usd_ci']:.2g}"
    r3 = runner.invoke(app, [*args, "--resume"])  # nothing missing: nothing to run
    assert r3.exit_code == 0, r3.output
    r4 = runner.invoke(app, args)
    assert r4.exit_code == 2 and "--resume" in r4.stderr


def test_cli_sweep_on_a_dask_scheduler_address(tmp_path: Path) -> None:
    """--scheduler tcp://... runs on that cluster; the table equals the serial API's."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        addr = cluster.scheduler_address
        assert addr.startswith("tcp://")
        r = runner.invoke(
            app,
            [
                "sweep",
                QUICK,
                "--set",
                "horizon_s=60",
                "--param",
                "functions.api.memory_mb=512,1024",
                "--reps",
                "3",
                "--seed",
                "8",
                "--scheduler",
                addr,
                "-o",
                str(tmp_path / "d"),
                "--no-progress",
            ],
        )
    assert r.exit_code == 0, r.output
    sc = ls.load(QUICK).replace({"horizon_s": 60})
    serial = ls.sweep(
        sc, {"functions.api.memory_mb": [512, 1024]}, reps=3, seed=8, n_jobs=1, progress=False
    )
    pd.testing.assert_frame_equal(ls.read_results(tmp_path / "d").table, serial.table)


def test_cli_sweep_uses_the_config_block(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        [
            "sweep",
            QUICK,
            "--set",
            "horizon_s=60",
            "--reps",
            "2",
            "--jobs",
            "1",
            "--no-progress",
            "-o",
            str(tmp_path / "q"),
        ],
    )
    assert r.exit_code == 0, r.output
    back = ls.read_results(tmp_path / "q")
    assert back.grid == ls.load(QUICK).sweep.grid  # type: ignore[union-attr]
    assert len(back.table) == len(back.grid["functions.api.memory_mb"]) * 2


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--param", "functions.api.memory_mb"], "PATH=V1,V2"),
        (["--param", "functions.api.memory_mb=1,2"], "memory_mb"),
        (["--set", "sweep=null"], "no --param"),
        (["--resume", "--param", "functions.api.memory_mb=512"], "--out"),
    ],
)
def test_cli_sweep_usage_errors_exit_2(extra: list[str], needle: str) -> None:
    r = runner.invoke(app, ["sweep", QUICK, "--jobs", "1", "--no-progress", *extra])
    assert r.exit_code == 2, r.output
    assert needle in r.stderr and "Traceback" not in r.output


def test_cli_failed_runs_exit_1_and_are_listed(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("timestamp\n1.0\n2.0\n", encoding="utf-8")
    cfg = tmp_path / "trace.yaml"
    cfg.write_text(
        "horizon_s: 10\nfunctions:\n  api: {duration: {dist: constant, value_s: 0.1}}\n"
        "workloads:\n  - {target: api, arrivals: {kind: trace, path: t.csv}}\n",
        encoding="utf-8",
    )
    r = runner.invoke(
        app,
        [
            "sweep",
            str(cfg),
            "--param",
            "workloads.0.arrivals.path=t.csv,none.csv",
            "--param",
            "functions.api.memory_mb=512,1024",
            "--reps",
            "2",
            "--jobs",
            "1",
            "--no-progress",
        ],
    )
    assert r.exit_code == 1, r.output
    lines = [x for x in r.stderr.splitlines() if x.startswith("failed:")]
    assert len(lines) == 2 and all("none.csv" in x and "2 reps" in x for x in lines)
    assert "2 (2 failed)" not in r.stdout and "0 (2 failed)" in r.stdout


def test_cli_report_missing_directory(tmp_path: Path) -> None:
    r = runner.invoke(app, ["report", str(tmp_path / "nothing")])
    assert r.exit_code == 2 and "no sweep results" in r.stderr


def _sweep_args(tmp_path: Path, jobs: int, horizon_s: int) -> list[str]:
    """A small CLI sweep of the quickstart (12 runs, one per part)."""
    import sys

    cfg = tmp_path / "s.yaml"
    cfg.write_text((ROOT / "configs" / "quickstart.yaml").read_text("utf-8"), encoding="utf-8")
    return [
        sys.executable, "-m", "lambdasim", "sweep", str(cfg), "-p",
        "functions.api.memory_mb=256,512,1024,2048", "--reps", "3", "--jobs", str(jobs),
        "--chunk", "1", "--seed", "5", "--set", f"horizon_s={horizon_s}", "--no-progress",
    ]  # fmt: skip


def _resume_matches_uninterrupted(args: list[str], killed: Path, tmp_path: Path) -> None:
    """No half-written part; --resume completes ``killed`` to exactly a fresh sweep's table."""
    import subprocess

    assert not list(killed.glob("part-*.parquet.*"))  # no partial part under a final name
    r = subprocess.run([*args, "-o", str(killed), "--resume"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    full = tmp_path / "full"
    r = subprocess.run([*args, "-o", str(full)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    a, b = ls.read_results(killed).table, ls.read_results(full).table
    wall = [c for c in a.columns if "wall" in c]
    pd.testing.assert_frame_equal(a.drop(columns=wall), b.drop(columns=wall))


@pytest.mark.slow
def test_resume_after_sigkill_of_the_parent_reproduces_the_table(tmp_path: Path) -> None:
    """Kill a sweep with SIGKILL mid-run; --resume keeps the finished parts (each written to a
    temporary name and renamed, so a part is whole or absent) and runs the rest: the table is
    exactly the uninterrupted sweep's."""
    import signal
    import subprocess
    import time

    args = _sweep_args(tmp_path, jobs=1, horizon_s=400)
    killed = tmp_path / "killed"
    p = subprocess.Popen([*args, "-o", str(killed)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(killed.glob("part-*.parquet"))) < 3:
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    done = sorted(q.name for q in killed.glob("part-*.parquet"))
    assert 3 <= len(done) < 12, done  # killed in the middle
    _resume_matches_uninterrupted(args, killed, tmp_path)


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc; Linux)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # the process ended meanwhile
        return b""


@pytest.mark.slow
def test_resume_after_sigkill_of_a_worker_reproduces_the_table(tmp_path: Path) -> None:
    """SIGKILL one loky worker mid-sweep: the sweep fails (or finishes), no part is left
    half-written, and --resume completes it to exactly the uninterrupted table."""
    import os
    import signal
    import subprocess
    import time

    if not Path("/proc").is_dir():
        pytest.skip("needs /proc to find the worker processes")
    args = _sweep_args(tmp_path, jobs=2, horizon_s=1200)
    killed = tmp_path / "killed"
    p = subprocess.Popen([*args, "-o", str(killed)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    victim = None
    while time.monotonic() < deadline and p.poll() is None:
        if list(killed.glob("part-*.parquet")):
            # loky's workers: the parent's python children and their children
            kids = [c for k in _children(p.pid) for c in [k, *_children(k)]]
            workers = [k for k in kids if b"loky" in _cmdline(k)]
            if workers:
                victim = workers[0]
                break
        time.sleep(0.05)
    assert victim is not None, "no worker found while the sweep ran"
    os.kill(victim, signal.SIGKILL)
    p.wait(timeout=120)
    _resume_matches_uninterrupted(args, killed, tmp_path)
