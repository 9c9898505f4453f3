"""The command line: outputs, JSON contract, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import lambdasim as ls
from lambdasim.cli import app
from lambdasim.results.schema import FUNCTION_KEYS
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
    assert set(FUNCTION_KEYS) == set(f)  # a sync-only function: exactly the documented keys
    assert set(f["latency_s"]) >= {"mean", "p50", "p90", "p99", "p99.9"}
    assert set(f["duration_s"]) >= {"mean", "p50", "p99"}
    assert set(f["concurrency"]) == {"mean", "max"} == set(f["environments"])
    assert set(f["cost_usd"]) >= {"requests", "duration", "total"}
    assert {"concurrency_max", "throttled"} <= set(d["account"]) and "total" in d["cost_usd"]
    assert f["invocations"] == (
        f["succeeded"] + f["errors"] + f["timeouts"] + f["throttled"] + f["in_flight_end"]
    )


def _table_rows(text: str) -> dict[str, list[str]]:
    """Rows of the rich tables in ``text``: label (stripped) → the other cells (first wins)."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("│"):
            label, *cells = (c.strip() for c in line.strip("│").split("│"))
            rows.setdefault(label, cells)
    return rows


def test_run_table_shows_the_json_numbers() -> None:
    args = ["run", QUICK, "--seed", "7", "--set", "horizon_s=300"]
    r = runner.invoke(app, args)
    j = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0 == j.exit_code, r.output + j.output
    d = json.loads(j.stdout)
    f = d["functions"]["api"]
    assert r.stdout.startswith("quickstart: 300 s simulated (warm-up 0 s), seed 7, rep 0, ")
    rows = _table_rows(r.stdout)
    assert rows["invokes run (all types)"] == [f"{f['invocations_run']:,}"]
    assert rows["cold starts"] == [f"{f['cold_starts']:,} ({f['cold_start_rate']:.3%})"]
    assert rows["sync requests"] == [f"{f['invocations']:,}"]
    assert rows["succeeded"] == [f"{f['succeeded']:,}"]
    assert rows["errors / timeouts"] == [f"{f['errors']:,} / {f['timeouts']:,}"]
    assert f["latency_s"]["p99"] < 1  # shown in ms
    assert rows["latency p99"] == [f"{f['latency_s']['p99'] * 1000:.1f} ms"]
    assert {"latency p50", "latency p90", "latency p99", "latency p99.9"} <= set(rows)
    assert rows["cost USD"] == [f"{f['cost_usd']['total']:.4f}"]
    footer = " ".join(r.stdout[r.stdout.index("account:") :].split())
    assert footer.startswith(
        f"account: max concurrency {d['account']['concurrency_max']}, "
        f"throttled requests {d['account']['throttled']:,}; "
        f"cost of the run ${d['cost_usd']['total']:.4f} ({d['pricing_table']})"
    )
    assert r.stderr == ""


def test_bad_config_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(QUICK).read_text().replace("memory_mb: 512", "memory_mb: 20000"))
    for cmd in ("run", "validate"):
        r = runner.invoke(app, [cmd, str(bad)])
        assert r.exit_code == 2
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and r.stdout == ""
        assert lines[0].startswith(f"{bad}:22:16: functions.api.memory_mb: 20000 ")
        assert "10240" in lines[0] and lines[0].endswith("(got 20000)")
        assert "Traceback" not in r.output


def test_bad_override_exits_2_naming_the_override() -> None:
    r = runner.invoke(app, ["run", QUICK, "--set", "functions.api.memory_mb=64"])
    assert r.exit_code == 2 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"{QUICK} (with --set): functions.api.memory_mb: 64 ")
    assert "128–10240" in line and line.endswith("(got 64)")


def test_missing_trace_file_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "t.yaml"
    cfg.write_text(
        Path(QUICK)
        .read_text()
        .replace("{kind: poisson, rate_per_s: 20}", "{kind: trace, path: missing.csv}")
    )
    for cmd in ("run", "validate"):
        r = runner.invoke(app, [cmd, str(cfg)])
        assert r.exit_code == 2 and r.stdout == "", cmd
        (line,) = r.stderr.splitlines()
        assert line == (
            f"{cfg}: workloads.0.arrivals.path: file not found: {tmp_path / 'missing.csv'} "
            "(got 'missing.csv')"
        )


def test_validate_ok_and_warnings(tmp_path: Path) -> None:
    r = runner.invoke(app, ["validate", QUICK])
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout == (
        f"{QUICK}: ok: scenario 'quickstart', 1 function(s), 1 workload(s), 0 warning(s)\n"
    )
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
    warnings = r.stderr.splitlines()
    assert r.stdout == (
        f"{cfg}: ok: scenario 'quickstart', 1 function(s), 1 workload(s), "
        f"{len(warnings)} warning(s)\n"
    )
    assert len(warnings) == 2
    timeout, keep_alive = warnings
    assert timeout.startswith(f"warning: {cfg}:23:16: functions.api.timeout_s: ")
    assert "p99" in timeout and timeout.endswith("(got 1.0)")
    assert keep_alive.startswith(f"warning: {cfg}:27:19: functions.api.keep_alive_s: ")
    assert keep_alive.endswith("(got 60.0)")


def test_output_directory(tmp_path: Path) -> None:
    import lambdasim as ls

    out = tmp_path / "res"
    r = runner.invoke(app, ["run", QUICK, "--set", "horizon_s=60", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert r.stdout.endswith(f"results written to {out}/\n")
    assert {p.name for p in out.iterdir()} >= {
        "summary.parquet",
        "timeseries.parquet",
        "cost.parquet",
        "scenario.yaml",
    }
    written = ls.load(out / "scenario.yaml")  # the scenario as run, overrides applied
    assert written.name == "quickstart" and written.horizon_s == 60


def _schema() -> dict[str, object]:
    r = runner.invoke(app, ["schema"])
    assert r.exit_code == 0 and r.stderr == ""
    schema: dict[str, object] = json.loads(r.stdout)
    return schema


@pytest.mark.parametrize("name", [p.name for p in sorted((ROOT / "configs").glob("*.yaml"))])
def test_schema_accepts_the_shipped_config(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = yaml.safe_load((ROOT / "configs" / name).read_text(encoding="utf-8"))
    jsonschema.validate(data, _schema())


def test_schema_rejects_bad_values_and_unknown_keys(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(_schema())
    data = yaml.safe_load(Path(QUICK).read_text(encoding="utf-8"))
    assert not list(validator.iter_errors(data))
    data["functions"]["api"]["memory_mb"] = 20000
    data["functions"]["api"]["memroy_mb"] = 512
    errors = {tuple(e.path): e.validator for e in validator.iter_errors(data)}
    assert errors == {
        ("functions", "api", "memory_mb"): "maximum",
        ("functions", "api"): "additionalProperties",
    }
    out = tmp_path / "s.json"
    r = runner.invoke(app, ["schema", "--out", str(out)])
    assert r.exit_code == 0 and r.stdout == "" and r.stderr == f"schema written to {out}\n"
    assert json.loads(out.read_text(encoding="utf-8")) == _schema()


def test_schema_takes_what_the_loader_takes_for_provisioned_concurrency() -> None:
    """A number is shorthand for ``{initial: N}`` (config/provisioned.py): the schema agrees
    with the loader on a number, a block, null and a negative number."""
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(_schema())
    base = yaml.safe_load(Path(QUICK).read_text(encoding="utf-8"))
    for value, ok in ((20, True), ({"initial": 20}, True), (None, True), (-1, False)):
        data = json.loads(json.dumps(base))
        data["functions"]["api"]["provisioned_concurrency"] = value
        schema_ok = not list(validator.iter_errors(data))
        try:
            ls.Scenario.from_dict(data)
            loader_ok = True
        except ls.ConfigError:
            loader_ok = False
        assert schema_ok == loader_ok == ok, value


def test_pricing_show_prints_the_table() -> None:
    from lambdasim import cost

    r = runner.invoke(app, ["pricing", "show", "--region", "us-east-1"])
    assert r.exit_code == 0, r.output
    t = cost.load_table(None)
    prices, _ = t.for_region("us-east-1")
    lines = r.stdout.splitlines()
    assert lines[0] == f"shipped tables: {', '.join(cost.available_tables())}"
    assert lines[1].startswith(f"table {t.id} (effective {t.effective_from}, ")
    assert lines[1].endswith(", region us-east-1")
    for arch, p in prices.architectures.items():
        assert any(
            x.startswith(f"  {arch}: ${p.usd_per_request * 1e6:.2f} per 1M requests; ")
            for x in lines
        ), arch
    assert lines[-1] == (
        f"  free tier: {prices.free_tier.requests:,} requests and "
        f"{prices.free_tier.gb_s:,.0f} GB-s per month"
    )


def test_pricing_show_unknown_table_exits_2() -> None:
    r = runner.invoke(app, ["pricing", "show", "--table", "aws-lambda@1999-01"])
    assert r.exit_code == 2 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith("unknown pricing table 'aws-lambda@1999-01'; available: ")
    assert "aws-lambda@2026-11" in line


@pytest.mark.parametrize("module", ["lambdasim", "lambdasim.cli"])
def test_python_dash_m_has_every_command(module: str) -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stderr
    commands = [m[1] for m in map(re.compile(r"│ (\w\S*)").match, r.stdout.splitlines()) if m]
    assert commands == [
        "validate",
        "run",
        "schema",
        "sweep",
        "report",
        "recommend",
        "validation",
        "compare",
        "pricing",
        "import",
    ]
