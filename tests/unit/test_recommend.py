"""``lambdasim recommend``: knob and SLO grammar, bad input (exit 2), infeasible, determinism.

The closed-form checks (Erlang-B reserved concurrency, the power curve's cost-minimising memory)
are in ``tests/theory/test_recommend_theory.py``. The scenarios here are short (a 35-s horizon
of 500 requests/s, ~17,000 requests per run, a few hundredths of a second each).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import lambdasim as ls
from lambdasim.cli import app
from lambdasim.recommendation import RecommendError, recommend
from lambdasim.recommendation.evaluate import BLOCKS, block_seed
from lambdasim.recommendation.knobs import check_knobs, knob, parse_knob
from lambdasim.recommendation.slos import Slo, check_metrics, objective, parse_slo, slos
from lambdasim.theory import erlang_b
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

QUICK = str(ROOT / "configs" / "quickstart.yaml")
runner = CliRunner()

#: Offered load of the loss scenario: λ = 500/s × E[S] = 10 ms.
RATE, MEAN_S = 500.0, 0.01


def loss(reserved: int | None = None, horizon_s: float = 35.0) -> dict[str, Any]:
    """One function, Poisson arrivals, exponential 10-ms handler, no INIT, no scaling limit."""
    return {
        "name": "loss",
        "seed": 1,
        "horizon_s": horizon_s,
        "warmup_s": 5,
        "account": {"concurrency": 10_000, "scaling": {"mode": "none"}},
        "output": {"timeseries_step_s": 5},
        "functions": {
            "f": {
                "duration": {"dist": "exponential", "mean_s": MEAN_S},
                "cold_start": {"dist": "constant", "value_s": 0.0},
                "keep_alive_s": 600,
                "max_lifetime_s": None,
                "init_limit_s": None,
                "reserved_concurrency": reserved,
                "timeout_s": 900,
            }
        },
        "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": RATE}}],
    }


@pytest.fixture(scope="module")
def loss_sc() -> ls.Scenario:
    return ls.Scenario.from_dict(loss())


# --------------------------------------------------------------------------------- grammar


def test_integer_range_has_every_value_and_its_end() -> None:
    k = parse_knob("functions.api.memory_mb=128..3008")
    assert len(k) == 3008 - 128 + 1 and k.values[0] == 128 and k.values[-1] == 3008
    k = parse_knob("functions.api.memory_mb=128..3008:64")
    assert k.values == tuple(range(128, 3009, 64))  # 2880 = 45 × 64: the end is on the grid
    k = parse_knob("functions.api.memory_mb=128..1000:256")
    assert k.values == (128, 384, 640, 896, 1000)  # the end is added when off the grid


def test_float_range_list_and_null_order() -> None:
    assert parse_knob("x.y=0.5..1.0:0.25").values == (0.5, 0.75, 1.0)
    assert len(parse_knob("x.y=0.0..1.0").values) == 21  # 20 steps without :step
    assert parse_knob("x.y=0.1..0.3:0.1").values == (0.1, 0.2, 0.3)  # no 0.30000000000000004
    rc = parse_knob("functions.api.reserved_concurrency=null,10..12")
    assert rc.values == (10, 11, 12, None)  # null = no limit: last
    pc = parse_knob("functions.api.provisioned_concurrency=5,null,0..1")
    assert pc.values == (None, 0, 1, 5)  # null = none: first
    assert knob("functions.api.architecture", ["x86_64", "arm64"]).values == ("x86_64", "arm64")
    assert knob("functions.api.memory_mb", [1024, "128..256:128"]).values == (128, 256, 1024)
    assert knob("functions.api.memory_mb", range(128, 130)).values == (128, 129)


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ("functions.api.memory_mb", "expected PATH=SPEC"),
        ("functions.api.memory_mb=128..abc", "'abc' is not a number"),
        ("functions.api.memory_mb=3008..128", "ends below its start"),
        ("functions.api.memory_mb=128..3008:0", "step of 128..3008:0 must be > 0"),
        ("functions.api.memory_mb=0..1e9:1", "at most 100,000"),
        ("functions.api.memory_mb=128,,256", "empty value"),
        ("functions..memory_mb=128", "not a dotted config path"),
    ],
)
def test_bad_knob_grammar(item: str, fragment: str) -> None:
    with pytest.raises(RecommendError, match=None) as exc:
        parse_knob(item)
    assert fragment in str(exc.value)


def test_knob_values_checked_against_the_scenario() -> None:
    sc = ls.load(QUICK)
    lines = check_knobs(sc, [parse_knob("functions.api.memory_mb=99..3008")])
    assert len(lines) == 1 and "99 is outside the Lambda memory limit (128–10240 MB" in lines[0]
    lines = check_knobs(sc, [parse_knob("functions.api.memory_mb=128..129:0.5")])
    assert "128.5" in lines[0] and "valid integer" in lines[0]  # AWS: whole MB
    lines = check_knobs(sc, [parse_knob("functions.api.memory_mb=abc")])
    assert "valid integer (got 'abc')" in lines[0]
    lines = check_knobs(sc, [parse_knob("functions.apii.memory_mb=512")])
    assert "no function 'apii'; did you mean 'api'?" in lines[0]
    lines = check_knobs(sc, [parse_knob("functions.api.memroy_mb=512")])
    assert "unknown key; did you mean 'memory_mb'?" in lines[0]
    # quickstart: account 1000, min_unreserved 100 -> reserved concurrency 0..900 (AWS rule)
    lines = check_knobs(sc, [parse_knob("functions.api.reserved_concurrency=10..950:10")])
    assert "allowed 0..900 (got 910)" in lines[0]
    # provisioned 20 > reserved 10 is invalid, but other reserved values fix it: not an error
    ok = [
        parse_knob("functions.api.provisioned_concurrency=0..20"),
        parse_knob("functions.api.reserved_concurrency=10,null"),
    ]
    assert check_knobs(sc, ok) == []
    dup = [parse_knob("functions.api.memory_mb=128"), parse_knob("functions.api.memory_mb=256")]
    assert check_knobs(sc, dup)[0] == "--knob functions.api.memory_mb: given twice"


def test_slo_grammar_and_merging() -> None:
    assert parse_slo("latency_p99_s<=0.3") == Slo("latency_p99_s", None, None, 0.3)
    assert parse_slo("functions.api.throttle_rate < 1e-3") == Slo(
        "throttle_rate", "api", None, 1e-3
    )
    assert parse_slo("cold_start_rate>=0.5", "api") == Slo("cold_start_rate", "api", 0.5, None)
    merged = slos(["latency_p99_s<=0.5", "latency_p99_s<=0.3", "latency_p99_s>=0.1"])
    assert merged == [Slo("latency_p99_s", None, 0.1, 0.3)]
    assert slos({"latency_p99_s": 0.3, "throttle_rate": (None, 0.01)}) == [
        Slo("latency_p99_s", None, None, 0.3),
        Slo("throttle_rate", None, None, 0.01),
    ]
    assert objective("functions.api.cost_usd").function == "api"
    with pytest.raises(RecommendError, match="bound 'fast' is not a number"):
        parse_slo("latency_p99_s<=fast")
    with pytest.raises(RecommendError, match="expected METRIC<=BOUND"):
        parse_slo("latency_p99_s=0.3")


def test_unknown_metric_and_impossible_bounds() -> None:
    known = {"api": {"latency_p99_s", "latency_p50_s", "throttle_rate", "cost_usd"}}
    obj = objective("cost_usd")
    lines = check_metrics(slos(["latency_p99_ss<=0.3"]), obj, known)
    assert (
        "unknown metric 'latency_p99_ss'" in lines[0] and "did you mean latency_p99_s" in lines[0]
    )
    lines = check_metrics(slos(["latency_p95_s<=0.3"]), obj, known)
    assert "add 95 to output.percentiles" in lines[0]
    for bad, why in [
        ("throttle_rate<=-0.1", "never negative"),
        ("latency_p99_s<=0", "always > 0"),
        ("throttle_rate>=2", "fraction in [0, 1]"),
    ]:
        lines = check_metrics(slos([bad]), obj, known)
        assert len(lines) == 1 and "impossible bound" in lines[0] and why in lines[0], lines
    lines = check_metrics(slos(["latency_p99_s<=0.1", "latency_p99_s>=0.2"]), obj, known)
    assert "lower bound 0.2 above upper bound 0.1" in lines[0]
    lines = check_metrics([], objective("functions.nope.cost_usd"), known)
    assert "no function 'nope'" in lines[0]


def test_block_seeds() -> None:
    assert block_seed(42, 0) == 42  # screening runs are ls.run(point, seed=42, rep=r)
    seeds = {block_seed(42, b) for b in range(len(BLOCKS))}
    assert len(seeds) == len(BLOCKS) and all(0 <= s < 2**63 for s in seeds)


# --------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--knob", "functions.apii.memory_mb=128..256"], "no function 'apii'"),
        (["--knob", "functions.api.memory_mb=64..3008"], "64 is outside the Lambda memory limit"),
        (["--knob", "functions.api.memory_mb=128..2e4:128"], "outside the Lambda memory limit"),
        (["--knob", "functions.api.memory_mb=128..big"], "'big' is not a number"),
        (["--knob", "functions.api.memory_mb=lots"], "valid integer (got 'lots')"),
        (["--knob", "functions.api.memory_mb=128", "--slo", "latency_p99_x<=1"], "unknown metric"),
        (["--knob", "functions.api.memory_mb=128", "--slo", "throttle_rate<=-1"], "impossible"),
        (["--knob", "functions.api.memory_mb=128", "--objective", "cost"], "unknown metric 'cost'"),
        (["--knob", "functions.api.memory_mb=128", "--budget-runs", "1"], "--budget-runs"),
        (["--knob", "functions.api.memory_mb=128", "--function", "web"], "no function 'web'"),
        ([], "no --knob given"),
    ],
)
def test_cli_bad_input_exits_2_with_one_clear_line(args: list[str], fragment: str) -> None:
    r = runner.invoke(app, ["recommend", QUICK, "--set", "horizon_s=30", *args])
    assert r.exit_code == 2, r.output
    assert fragment in r.stderr
    assert "Traceback" not in r.output and r.stdout == ""


# --------------------------------------------------------------------------------- searches


def test_infeasible_says_so_with_the_closest_point(loss_sc: ls.Scenario) -> None:
    # A = 5 Erlangs: B(5, 3) = 0.53 — no reserved concurrency up to 3 meets 1 % throttles
    assert erlang_b(RATE * MEAN_S, 3) > 0.5
    rec = recommend(
        loss_sc,
        {"functions.f.reserved_concurrency": "1..3"},
        {"throttle_rate": 0.01},
        n_jobs=1,
        progress=False,
    )
    assert rec.status == "infeasible" and not rec.ok and rec.config is None and not rec.patch
    assert rec.closest is not None
    assert rec.closest["point"] == {"functions.f.reserved_concurrency": 3}
    violated = rec.closest["violated"]
    assert [v["slo"] for v in violated] == ["throttle_rate <= 0.01"]
    assert violated[0]["verdict"] == "missed" and violated[0]["mean"] > 0.4
    assert (
        "No point meets the SLOs" in rec.why and "Closest point: reserved_concurrency=3" in rec.why
    )


def test_cli_infeasible_exits_1(tmp_path: Path) -> None:
    cfg = tmp_path / "loss.yaml"
    cfg.write_text(yaml.safe_dump(loss()), encoding="utf-8")
    r = runner.invoke(
        app,
        [
            "recommend",
            str(cfg),
            "--knob",
            "functions.f.reserved_concurrency=1..3",
            "--slo",
            "throttle_rate<=0.01",
            "-j",
            "1",
            "--json",
        ],
    )
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    assert doc["status"] == "infeasible" and doc["closest"]["violated"][0]["slo"] == (
        "throttle_rate <= 0.01"
    )


@pytest.fixture(scope="module")
def small(loss_sc: ls.Scenario, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("rec") / "rec"
    args = (loss_sc, {"functions.f.reserved_concurrency": "null,8..14"}, {"throttle_rate": 0.012})
    rec = recommend(*args, n_jobs=1, out=out, progress=False)
    return args, out, rec


def test_patch_config_and_outputs(small: Any) -> None:
    (sc, _, _), out, rec = small
    assert rec.ok and rec.patch == {"functions.f.reserved_concurrency": 11}
    assert yaml.safe_load(str(rec.patch)) == {"functions": {"f": {"reserved_concurrency": 11}}}
    assert rec.config is not None and rec.config.functions["f"].reserved_concurrency == 11
    assert rec.config.to_yaml() == sc.replace(dict(rec.patch)).to_yaml()
    t = rec.table
    assert int(t["chosen"].sum()) == 1 and set(t["status"]) <= {"feasible", "infeasible", "unsure"}
    assert {
        "functions.f.reserved_concurrency",
        "n",
        "cost_usd",
        "cost_usd_ci",
        "throttle_rate",
        "throttle_rate_ci",
        "throttle_rate_verdict",
    } <= set(t.columns)
    assert rec.runs == int(t["n"].sum()) <= rec.budget_runs  # every run is in the table
    assert "Binding SLO: throttle_rate <= 0.012" in rec.why
    assert not rec.frontier.empty and len(rec.frontier) <= len(t)
    doc = json.loads((out / "recommendation.json").read_text(encoding="utf-8"))
    assert doc["patch"] == {"functions.f.reserved_concurrency": 11} and doc["runs"] == rec.runs
    assert yaml.safe_load((out / "patch.yaml").read_text(encoding="utf-8")) == yaml.safe_load(
        str(rec.patch)
    )


def test_resume_reads_every_run_back_and_agrees(small: Any) -> None:
    args, out, rec = small
    parts = sorted(p.name for p in out.glob("runs/*/part-*.parquet"))
    again = recommend(*args, n_jobs=1, out=out, progress=False)
    assert sorted(p.name for p in out.glob("runs/*/part-*.parquet")) == parts  # nothing new ran
    assert again.table.equals(rec.table) and again.patch == rec.patch and again.why == rec.why
    with pytest.raises(RecommendError, match="another request"):
        recommend(args[0], args[1], {"throttle_rate": 0.02}, n_jobs=1, out=out, progress=False)


def test_same_answer_whatever_n_jobs(small: Any) -> None:
    args, _, rec = small
    par = recommend(*args, n_jobs=2, progress=False)
    assert par.table.equals(rec.table) and par.why == rec.why


def test_a_small_budget_is_said(loss_sc: ls.Scenario) -> None:
    rec = recommend(
        loss_sc,
        {"functions.f.reserved_concurrency": "null,1..30"},
        {"throttle_rate": 0.012},
        budget_runs=6,
        theory=False,
        n_jobs=1,
        progress=False,
    )
    assert rec.runs <= 6 and rec.status in ("budget", "unproven")
    assert "run budget spent" in rec.why


def test_plot_marks_the_choice(small: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = small[2].plot()
    assert ax.get_xlabel() == "throttle_rate <= 0.012" and ax.get_ylabel() == "cost_usd"
    assert "chosen" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(ax.figure)


def test_cli_prints_the_patch_evidence_and_why(tmp_path: Path) -> None:
    cfg = tmp_path / "loss.yaml"
    cfg.write_text(yaml.safe_dump(loss()), encoding="utf-8")
    out = tmp_path / "rec"
    r = runner.invoke(
        app,
        [
            "recommend",
            str(cfg),
            "--knob",
            "functions.f.reserved_concurrency=null,8..14",
            "--slo",
            "throttle_rate<=0.012",
            "-j",
            "1",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "functions:\n  f:\n    reserved_concurrency: 11\n" in r.stdout
    assert "◀ chosen" in r.stdout and "Binding SLO: throttle_rate <= 0.012" in r.stdout
    assert (out / "recommendation.json").is_file() and (out / "points.csv").is_file()
