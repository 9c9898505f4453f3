"""Trace replay: exact counts, exact instants, recorded durations, bad rows, importers, fits."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import lambdasim as ls
from lambdasim import fit
from lambdasim import workload as wl
from lambdasim.cli import app
from lambdasim.config import ConfigError
from lambdasim.workload.traces import TraceError, TraceWarning
from tests.conftest import ROOT, scenario

pytestmark = pytest.mark.unit

DATA = ROOT / "tests" / "data"
AZ19 = DATA / "azure2019-sample100"
AZ21 = DATA / "azure2021-head" / "Azure2021_200.csv"
PACS = DATA / "pacs2020" / "res-01-2020-05-28_01-57-40.csv"
FN = {"duration": {"dist": "constant", "value_s": 0.01}, "timeout_s": 900}


def test_csv_functions_durations_and_memory_scaling(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text(
        "timestamp,function,duration_s,payload_kb\n"
        "1.0,a,0.5,1\n2.0,b,0.25,1\n3.0,a,1.5,2\n4.0,a,0.125,1\n",
        encoding="utf-8",
    )
    arr = {
        "kind": "trace",
        "path": str(p),
        "function_column": "function",
        "duration_column": "duration_s",
        "payload_column": "payload_kb",
        "memory_mb": 1769,
    }
    sc = scenario(
        functions={
            "a": {
                **FN,
                "memory_mb": 3538,  # twice the recorded memory; half CPU-bound, on 2 threads
                "duration": {"dist": "constant", "value_s": 9.0, "cpu_bound": 0.5, "threads": 2},
            },
            "b": FN,
        },
        workloads=[
            {"target": "a", "arrivals": {**arr, "function": "a"}},
            {"target": "b", "arrivals": {**arr, "function": "b"}},
        ],
    )
    log = ls.run(sc, trace=True).invocations.sort_values("arrival_s")
    assert log["function"].tolist() == ["a", "b", "a", "a"]
    assert log["arrival_s"].tolist() == [1.0, 2.0, 3.0, 4.0]
    # a: 2 usable vCPUs instead of 1, factor 0.5·(1/2) + 0.5 = 0.75 of each recorded duration
    # (single-threaded it would be 1: one vCPU at 1,769 MB already); b: recorded memory 1769
    # vs 128 MB but cpu_bound 0, so unscaled
    assert log["duration_s"].tolist() == pytest.approx([0.375, 0.25, 1.125, 0.09375])


def test_csv_iso_window_time_scale_and_speedup(tmp_path: Path) -> None:
    p = tmp_path / "iso.csv"
    p.write_text(
        "ts\n2026-05-01T00:00:00Z\n2026-05-01T00:00:10Z\n2026-05-01T00:01:00Z\n"
        "2026-05-01T00:02:00Z\n",
        encoding="utf-8",
    )
    t = wl.times(wl.trace(p, time_column="ts", start_s=5, end_s=100, speedup=5), 1e6)
    assert t.tolist() == [1.0, 11.0]  # (10 − 5)/5, (60 − 5)/5; 0 before and 120 after
    q = tmp_path / "ms.csv"
    q.write_text("t_ms\n0\n500\n2500\n", encoding="utf-8")
    assert wl.times(wl.trace(q, time_column="t_ms", time_scale=0.001), 1e6).tolist() == [
        0.0,
        0.5,
        2.5,
    ]


def test_parquet(tmp_path: Path) -> None:
    p = tmp_path / "t.parquet"
    pd.DataFrame({"timestamp": [0.5, 1.5, 9.0], "duration_s": [0.1, 0.2, 0.3]}).to_parquet(p)
    sc = scenario(
        functions={"f": FN},
        workloads=[
            {
                "target": "f",
                "arrivals": {
                    "kind": "trace",
                    "format": "parquet",
                    "path": str(p),
                    "duration_column": "duration_s",
                },
            }
        ],
    )
    log = ls.run(sc, trace=True).invocations
    assert log["arrival_s"].tolist() == [0.5, 1.5, 9.0]
    assert log["duration_s"].tolist() == pytest.approx([0.1, 0.2, 0.3])


def test_bad_rows_name_file_line_column_and_value(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("timestamp,duration_s\n1,0.1\n2,oops\n3,0.2\n2.5,0.1\n", encoding="utf-8")
    spec = wl.trace(p, duration_column="duration_s")
    from lambdasim.workload.traces import trace_events

    with pytest.raises(TraceError) as e:
        list(trace_events(spec, p, np.random.default_rng()))
    assert str(e.value) == (
        f"{p}:3: column 'duration_s': must be a non-negative duration in seconds (got 'oops')"
    )
    skip = wl.trace(p, duration_column="duration_s", on_bad_row="skip")
    with pytest.warns(TraceWarning, match=r"skipped 2 bad row\(s\)"):
        blocks = list(trace_events(skip, p, np.random.default_rng()))
    assert np.concatenate([b.times for b in blocks]).tolist() == [1.0, 3.0]  # 2.5 decreases
    p.write_text("timestamp\n1\n-4\n", encoding="utf-8")
    with pytest.raises(TraceError, match=r"bad\.csv:3: column 'timestamp': .* \(got -4\)"):
        wl.times(wl.trace(p), 10)


def test_azure2019_per_minute_counts_exact() -> None:
    inv = pd.read_csv(AZ19 / "invocations.csv")
    minutes = [c for c in inv.columns if c.isdigit()]
    row = inv.iloc[7]
    counts = row[minutes].to_numpy(dtype=np.int64)
    for spread in ("uniform", "equidistant"):
        spec = wl.trace(AZ19, format="azure2019", function=row["HashFunction"][:12], spread=spread)
        t = wl.times(spec, 1e9, seed=3)
        got, _ = np.histogram(t, np.arange(len(minutes) + 1) * 60.0)
        assert np.array_equal(got, counts)
    # equidistant: c arrivals at 60 j + 60 k / c
    j = int(np.argmax(counts > 1))
    c = counts[j]
    sel = t[(t >= 60 * j) & (t < 60 * (j + 1))]
    assert sel.tolist() == pytest.approx([60 * j + 60 * k / c for k in range(c)])
    # poisson keeps the counts in expectation only
    tp = wl.times(
        wl.trace(AZ19, format="azure2019", function=row["HashFunction"], spread="poisson"),
        1e9,
        seed=3,
    )
    assert abs(tp.size - counts.sum()) < 5 * np.sqrt(counts.sum())


def test_azure2019_every_function_replays_the_trace_total() -> None:
    sc = ls.load(ROOT / "configs" / "azure-sample.yaml")
    assert len(sc.functions) == 100 and len(sc.workloads) == 100
    inv = pd.read_csv(AZ19 / "invocations.csv")
    per_fn = inv.set_index("HashFunction")[[c for c in inv.columns if c.isdigit()]].sum(axis=1)
    assert per_fn.sum() == 339_657
    for w in sc.workloads[:20]:  # 20 functions, each exactly its row total
        n = wl.times(w.arrivals, 28_800.0, base_dir=sc.base_dir).size
        assert n == per_fn[w.arrivals.function]
    f = sc.functions["fn-" + inv["HashFunction"].iloc[1][:8]]
    assert f.memory_mb >= 128 and f.duration.dist == "lognormal"


def test_azure2019_target_star_defaults_and_overrides() -> None:
    inv = pd.read_csv(AZ19 / "invocations.csv")
    totals = inv.set_index("HashFunction")[[c for c in inv.columns if c.isdigit()]].sum(axis=1)
    top3 = list(totals.sort_values(ascending=False, kind="stable").index[:3])
    hot = top3[0]  # mapped to the name of a `functions:` entry
    sc = scenario(
        functions={"hot": {"memory_mb": 2048, "duration": {"dist": "constant", "value_s": 1}}},
        workloads=[
            {
                "target": "*",
                "arrivals": {
                    "kind": "trace",
                    "format": "azure2019",
                    "path": str(AZ19),
                    "top": 3,
                    "function_map": {hot: "hot"},
                    "function_defaults": {"keep_alive_s": 300},
                },
            }
        ],
    )
    # top: 3 keeps the three busiest functions, one workload each, named fn-<hash prefix>
    # unless function_map names them
    assert set(sc.functions) == {"hot", *("fn-" + h[:8] for h in top3[1:])}
    assert sorted(w.arrivals.function for w in sc.workloads) == sorted(top3)  # type: ignore[union-attr]
    assert {w.target for w in sc.workloads} == set(sc.functions)
    # precedence, key by key: the functions: entry over function_defaults over the trace
    h = sc.functions["hot"]
    assert h.memory_mb == 2048 and h.duration.dist == "constant"
    others = [f for n, f in sc.functions.items() if n != "hot"]
    assert all(f.duration.dist == "lognormal" for f in others)  # fitted to the percentiles
    assert all(f.keep_alive_s.value_s == 300 for f in sc.functions.values())  # type: ignore[union-attr]


def test_azure2019_errors() -> None:
    with pytest.raises(TraceError, match="no function 'zzz'"):
        wl.times(wl.trace(AZ19, format="azure2019", function="zzz"), 10)
    with pytest.raises(ConfigError, match="needs kind: trace"):
        scenario(
            functions={},
            workloads=[{"target": "*", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
        )


def test_azure2019_bad_count_cell(tmp_path: Path) -> None:
    d = tmp_path / "az"
    d.mkdir()
    (d / "invocations.csv").write_text(
        "HashOwner,HashApp,HashFunction,Trigger,1,2,3\no,a,f1,http,1,2,3\no,a,f2,http,4,x,6\n",
        encoding="utf-8",
    )
    with pytest.raises(TraceError, match=r"invocations\.csv:3: column '2': .*\(got 'x'\)"):
        wl.times(wl.trace(d, format="azure2019", function="f2"), 1e6)
    with pytest.warns(TraceWarning, match="skipped 1"):
        t = wl.times(wl.trace(d, format="azure2019", function="f2", on_bad_row="skip"), 1e6)
    assert t.size == 10


def test_azure2021_starts_and_recorded_durations() -> None:
    raw = pd.read_csv(AZ21)
    start = (raw["end_timestamp"] - raw["duration"]).to_numpy()
    t = wl.times(wl.trace(AZ21, format="azure2021"), 1e9)
    assert np.array_equal(t, start)  # every row, in order, start = end − duration
    app_, fn_ = raw.iloc[1]["app"], raw.iloc[1]["func"]
    mine = raw[(raw["app"] == app_) & (raw["func"] == fn_)]
    sc = scenario(
        functions={"g": FN},
        workloads=[
            {
                "target": "g",
                "arrivals": {
                    "kind": "trace",
                    "format": "azure2021",
                    "path": str(AZ21),
                    "function": f"{app_[:10]}:{fn_[:10]}",
                },
            }
        ],
        horizon_s=2000,
    )
    log = ls.run(sc, trace=True).invocations.sort_values("arrival_s")
    assert log["arrival_s"].to_numpy() == pytest.approx(
        (mine["end_timestamp"] - mine["duration"]).to_numpy(), abs=0
    )
    assert log["duration_s"].to_numpy() == pytest.approx(mine["duration"].to_numpy())


def test_azure2021_target_star_one_function_per_pair() -> None:
    raw = pd.read_csv(AZ21)
    sc = scenario(
        functions={},
        workloads=[
            {"target": "*", "arrivals": {"kind": "trace", "format": "azure2021", "path": str(AZ21)}}
        ],
        horizon_s=1300,
    )
    assert len(sc.functions) == raw.groupby(["app", "func"]).ngroups == 31
    res = ls.run(sc).to_dict()["functions"]
    assert sum(f["invocations"] for f in res.values()) == 199


def test_pacs_replays_logged_start_times_exactly() -> None:
    raw = pd.read_csv(PACS)
    exp = np.sort(raw["client_start_time"].to_numpy()) - raw["client_start_time"].min()
    t = wl.times(wl.trace(PACS, format="pacs"), 1e9)
    assert t.size == 186 and np.array_equal(t, exp)
    sc = scenario(
        functions={"p": FN},
        workloads=[
            {"target": "p", "arrivals": {"kind": "trace", "format": "pacs", "path": str(PACS)}}
        ],
        horizon_s=float(exp[-1] + 10),
    )
    log = ls.run(sc, trace=True).invocations.sort_values("arrival_s")
    order = np.argsort(raw["client_start_time"].to_numpy(), kind="stable")
    assert log["duration_s"].to_numpy() == pytest.approx(
        raw["aws_duration"].to_numpy()[order] / 1000.0
    )


def test_pacs_reorders_within_the_window(tmp_path: Path) -> None:
    p = tmp_path / "res.csv"
    p.write_text(
        ",client_start_time,aws_duration\n0,100.0,10\n1,99.5,10\n2,101,10\n3,30,5\n",
        encoding="utf-8",
    )
    with pytest.raises(TraceError, match=r"res\.csv:5: column 'client_start_time'"):
        wl.times(wl.trace(p, format="pacs"), 1e9)
    assert wl.times(wl.trace(p, format="pacs", reorder_s=100), 1e9).tolist() == [
        0.0,
        69.5,
        70.0,
        71.0,
    ]


def _cw_pages(tmp_path: Path) -> Path:
    pages = [
        {
            "MetricDataResults": [
                {
                    "Id": "inv",
                    "Label": "Invocations",
                    "StatusCode": "Complete",
                    "Timestamps": ["2026-03-01T10:05:00Z", "2026-03-01T10:04:00Z"],
                    "Values": [7, 5],
                },
                {
                    "Id": "d",
                    "Label": "Duration",
                    "StatusCode": "Complete",
                    "Timestamps": ["2026-03-01T10:05:00Z"],
                    "Values": [200.0],
                },
                {
                    "Id": "d99",
                    "Label": "Duration p99",
                    "StatusCode": "Complete",
                    "Timestamps": ["2026-03-01T10:05:00Z"],
                    "Values": [1000.0],
                },
            ]
        },
        {
            "MetricDataResults": [
                {
                    "Id": "inv",
                    "Label": "Invocations",
                    "StatusCode": "PartialData",
                    "Timestamps": [
                        "2026-03-01T10:04:00Z",
                        "2026-03-01T10:01:00Z",
                        "2026-03-01T10:00:00Z",
                    ],
                    "Values": [5, 3, 2],
                }
            ]
        },
    ]
    p = tmp_path / "cw.json"
    p.write_text("\n".join(json.dumps(x) for x in pages), encoding="utf-8")
    return p


def test_cloudwatch_pages_sorted_deduplicated_gaps_and_counts(tmp_path: Path) -> None:
    p = _cw_pages(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = wl.times(wl.trace(p, format="cloudwatch", spread="uniform"), 1e9, seed=2)
    msgs = " ".join(str(w.message) for w in caught)
    assert "PartialData" in msgs and "2 missing period(s)" in msgs
    got, _ = np.histogram(t, np.arange(7) * 60.0)
    assert got.tolist() == [2, 3, 0, 0, 5, 7]  # 10:00 … 10:05; gaps replay as 0
    from lambdasim.workload.traces import read_cloudwatch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = read_cloudwatch(p).duration_fit()
    assert f is not None and f.dist.mean == pytest.approx(0.2)
    assert f.to_config()["p99_s"] == pytest.approx(1.0)


def test_cloudwatch_csv_and_bad_value(tmp_path: Path) -> None:
    p = tmp_path / "cw.csv"
    p.write_text(
        "timestamp,value\n2026-03-01T10:00:00Z,4\n2026-03-01T10:05:00Z,6\n", encoding="utf-8"
    )
    t = wl.times(wl.trace(p, format="cloudwatch", spread="equidistant"), 1e9)
    assert t.tolist() == [0, 75, 150, 225, 300, 350, 400, 450, 500, 550]
    p.write_text("timestamp,value\n2026-03-01T10:00:00Z,-4\n", encoding="utf-8")
    with pytest.raises(TraceError, match=r"cw\.csv:2: column 'value'.*\(got '-4'\)"):
        wl.times(wl.trace(p, format="cloudwatch"), 1e9)


def test_import_commands_write_runnable_configs(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cfg" / "cw.yaml"
    r = runner.invoke(
        app, ["import", "cloudwatch", str(_cw_pages(tmp_path)), "--function", "api", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    sc = ls.load(out)
    assert sc.horizon_s == 360 and sc.functions["api"].duration.dist == "lognormal"
    out2 = tmp_path / "az.yaml"
    r = runner.invoke(app, ["import", "azure2019", str(AZ19), "--top", "10", "-o", str(out2)])
    assert r.exit_code == 0, r.output
    sc2 = ls.load(out2)
    assert len(sc2.functions) == 10 and sc2.horizon_s == 28_800
    r = runner.invoke(app, ["run", str(out2), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout[r.stdout.index("{") :])
    tops = pd.read_csv(AZ19 / "invocations.csv")
    totals = tops[[c for c in tops.columns if c.isdigit()]].sum(axis=1).sort_values()
    assert sum(f["invocations"] for f in d["functions"].values()) == totals.iloc[-10:].sum()


def test_fit_duration_chooses_by_aic() -> None:
    rng = np.random.default_rng(0)
    f = fit.duration(rng.lognormal(np.log(0.1), 0.8, 4000))
    assert f.family == "lognormal" and set(f.aic) == {"lognormal", "gamma", "weibull"}
    assert f.params["sigma"] == pytest.approx(0.8, rel=0.05)  # sd of σ̂ ≈ σ/√(2n) = 1.1 %
    g = fit.duration(rng.gamma(4.0, 0.05, 4000))
    assert g.family == "gamma" and g.params["cv"] == pytest.approx(0.5, rel=0.05)
    w = fit.duration(rng.weibull(1.5, 4000) * 2.0)
    assert w.family == "weibull" and w.to_config()["dist"] == "weibull"
    assert "AIC" in str(w)


def test_fit_from_percentiles_is_exact_for_a_lognormal() -> None:
    d = ls.dists.LogNormal.from_percentiles(0.045, 0.25)
    f = fit.from_percentiles({"p50": 0.045, "p99": 0.25})
    assert f.params["mu"] == pytest.approx(d.mu) and f.params["sigma"] == pytest.approx(d.sigma)
    from scipy.stats import norm

    q = {f"p{p}": float(np.exp(d.mu + d.sigma * norm.ppf(p / 100))) for p in (25, 50, 75, 99)}
    g = fit.from_percentiles(q)
    assert g.residual == pytest.approx(0, abs=1e-9) and g.params["sigma"] == pytest.approx(d.sigma)
    h = fit.from_percentiles({"mean": d.mean, "p99": 0.25})
    assert h.params["sigma"] == pytest.approx(d.sigma)
    assert fit.from_percentiles({"p50": 0.2, "p99": 0.2}).family == "constant"


def test_every_trace_format_has_a_reader() -> None:
    from typing import get_args

    from lambdasim.config.arrivals import TraceArrivals
    from lambdasim.workload.traces import FORMATS, trace_events

    fmts = get_args(TraceArrivals.model_fields["format"].annotation)
    assert set(FORMATS) == set(fmts)
    spec = TraceArrivals.model_construct(kind="trace", path="x", format="nope")
    with pytest.raises(TraceError, match="unknown trace format 'nope'"):
        trace_events(spec, Path("x"), np.random.default_rng(0))
