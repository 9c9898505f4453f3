"""The command line: outputs, JSON contract, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lambdasim.cli import app
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

QUICK = str(ROOT / "configs" / "quickstart.yaml")
runner = CliRunner()


def test_run_json_has_the_documented_keys() -> None:
    r = runner.invoke(
        app,
        [
            "run",
            QUICK,
            "--seed",
            "7",
            "--set",
            "functions.api.memory_mb=1024",
            "--set",
            "horizon_s=300",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    top = {"scenario", "seed", "horizon_s", "version", "functions", "account", "cost_usd"}
    assert top <= set(d)
    assert d["seed"] == 7 and d["horizon_s"] == 300
    f = d["functions"]["api"]
    for k in (
        "invocations",
        "succeeded",
        "errors",
        "timeouts",
        "throttled",
        "in_flight_end",
        "cold_starts",
        "cold_start_rate",
        "latency_s",
        "duration_s",
        "concurrency",
        "environments",
        "billed_gb_s",
        "cost_usd",
    ):
        assert k in f
    assert set(f["latency_s"]) >= {"mean", "p50", "p90", "p99", "p99.9"}
    assert set(f["duration_s"]) >= {"mean", "p50", "p99"}
    assert set(f["concurrency"]) == {"mean", "max"} == set(f["environments"])
    assert set(f["cost_usd"]) >= {"requests", "duration", "total"}
    assert {"concurrency_max", "throttled"} <= set(d["account"]) and "total" in d["cost_usd"]
    assert f["invocations"] == (
        f["succeeded"] + f["errors"] + f["timeouts"] + f["throttled"] + f["in_flight_end"]
    )


def test_run_prints_a_table() -> None:
    r = runner.invoke(app, ["run", QUICK, "--set", "horizon_s=120"])
    assert r.exit_code == 0, r.output
    assert "latency p99" in r.stdout and "cost USD" in r.stdout


def test_bad_config_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(QUICK).read_text().replace("memory_mb: 512", "memory_mb: 20000"))
    for cmd in ("run", "validate"):
        r = runner.invoke(app, [cmd, str(bad)])
        assert r.exit_code == 2
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert len(lines) == 1
        assert "functions.api.memory_mb" in lines[0] and "20000" in lines[0]
        assert "10240" in lines[0] and "Traceback" not in r.output


def test_bad_override_exits_2() -> None:
    r = runner.invoke(app, ["run", QUICK, "--set", "functions.api.memory_mb=64"])
    assert r.exit_code == 2 and "functions.api.memory_mb" in r.stderr


def test_missing_trace_file_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "t.yaml"
    cfg.write_text(
        Path(QUICK)
        .read_text()
        .replace("{kind: poisson, rate_per_s: 20}", "{kind: trace, path: missing.csv}")
    )
    r = runner.invoke(app, ["run", str(cfg)])
    assert r.exit_code == 2 and "missing.csv" in r.stderr and "Traceback" not in r.output


def test_validate_ok_and_warnings(tmp_path: Path) -> None:
    r = runner.invoke(app, ["validate", QUICK])
    assert r.exit_code == 0 and "ok" in r.stdout
    cfg = tmp_path / "w.yaml"
    cfg.write_text(
        Path(QUICK)
        .read_text()
        .replace("timeout_s: 10", "timeout_s: 1")
        .replace(
            "{dist: lognormal, p50_s: 0.045, p99_s: 0.25,",
            "{dist: lognormal, p50_s: 0.8, p99_s: 2.5,",
        )
        .replace("{dist: uniform, low_s: 300, high_s: 360}", "60")
    )
    r = runner.invoke(app, ["validate", str(cfg)])
    assert r.exit_code == 0
    assert "functions.api.timeout_s" in r.stderr and "p99" in r.stderr
    assert "functions.api.keep_alive_s" in r.stderr


def test_output_directory(tmp_path: Path) -> None:
    out = tmp_path / "res"
    r = runner.invoke(app, ["run", QUICK, "--set", "horizon_s=60", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} >= {
        "summary.parquet",
        "timeseries.parquet",
        "cost.parquet",
        "scenario.yaml",
    }


def test_schema_and_pricing() -> None:
    r = runner.invoke(app, ["schema"])
    assert r.exit_code == 0 and "functions" in json.loads(r.stdout)["properties"]
    r = runner.invoke(app, ["pricing", "show"])
    assert r.exit_code == 0 and "aws-lambda@2026-11" in r.stdout
    r = runner.invoke(app, ["pricing", "show", "--table", "aws-lambda@1999-01"])
    assert r.exit_code == 2


@pytest.mark.parametrize("module", ["lambdasim", "lambdasim.cli"])
def test_python_dash_m_has_every_command(module: str) -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, check=False
    )
    assert r.returncode == 0
    for cmd in ("validate", "run", "sweep", "report", "schema", "pricing", "import"):
        assert cmd in r.stdout, cmd
