"""Bad output / IO input: every mistake is one clear line on stderr and exit 2, no traceback.

Table-driven: each case writes its bad input under ``tmp_path`` and gives the command line and
the words the message must contain (the file or id, and what is wrong). The classes cover
pricing tables, ``pricing show``, traces, output paths, result directories and ``--param``
(issue 15); a subprocess test checks Ctrl-C (SIGINT: one line, exit 130).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.abc import MetaPathFinder
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import lambdasim as ls
from lambdasim.cli import app
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

runner = CliRunner()
SHIPPED = ROOT / "lambdasim" / "cost" / "pricing" / "aws-lambda-2026-11.yaml"
IDS = "aws-lambda@2026-11"  # every pricing message lists the valid ids

SCENARIO = {
    "version": 1,
    "name": "badio",
    "seed": 1,
    "horizon_s": 20,
    "functions": {
        "f": {"memory_mb": 512, "timeout_s": 10, "duration": {"dist": "constant", "value_s": 0.1}}
    },
    "workloads": [
        {"target": "f", "invocation": "sync", "arrivals": {"kind": "poisson", "rate_per_s": 2}}
    ],
}


def _scenario(tmp: Path, *, pricing: str | None = None, trace: str | None = None) -> str:
    doc = yaml.safe_load(yaml.safe_dump(SCENARIO))
    if pricing is not None:
        doc["pricing"] = {"table": pricing}
    if trace is not None:
        doc["workloads"][0]["arrivals"] = {"kind": "trace", "path": trace}
    path = tmp / "sc.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return str(path)


def _table(tmp: Path, name: str, edit: Callable[[str], str]) -> str:
    path = tmp / name
    path.write_text(edit(SHIPPED.read_text(encoding="utf-8")), encoding="utf-8")
    return str(path)


def _negative(text: str) -> str:
    return text.replace("usd_per_request: 0.0000002", "usd_per_request: -0.0000002", 1)


def _wrong_type(text: str) -> str:
    return text.replace("usd_per_request: 0.0000002", "usd_per_request: cheap", 1)


def _sweep_dir(tmp: Path, seed: int = 1) -> Path:
    out = tmp / f"res{seed}"
    sc = ls.loads(yaml.safe_dump(SCENARIO))
    ls.sweep(sc, {"functions.f.memory_mb": [128, 256]}, reps=1, seed=seed, n_jobs=1, out=out)
    return out


def _parts(d: Path) -> list[Path]:
    return sorted(d.glob("part-*.parquet"))


# Each case: (files under tmp) -> (argv, words the message must contain).
Case = Callable[[Path], tuple[list[str], list[str]]]


def c_pricing_unknown_id(tmp: Path) -> tuple[list[str], list[str]]:
    return ["pricing", "show", "aws-lambda@1999-01"], ["'aws-lambda@1999-01'", "unknown", IDS]


def c_pricing_option_unknown_id(tmp: Path) -> tuple[list[str], list[str]]:
    return ["pricing", "show", "--table", "nope"], ["'nope'", "unknown", IDS]


def c_pricing_missing_file(tmp: Path) -> tuple[list[str], list[str]]:
    return ["pricing", "show", str(tmp / "gone.yaml")], ["gone.yaml", "file not found", IDS]


def c_pricing_invalid_yaml(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "bad.yaml").write_text("id: x\n  oops: [\n", encoding="utf-8")
    return ["pricing", "show", str(tmp / "bad.yaml")], ["bad.yaml", "invalid YAML", "line 2"]


def c_pricing_not_mapping(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "list.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    return ["pricing", "show", str(tmp / "list.yaml")], ["list.yaml", "YAML mapping", IDS]


def c_pricing_wrong_schema(tmp: Path) -> tuple[list[str], list[str]]:
    t = _table(tmp, "typed.yaml", _wrong_type)
    return ["pricing", "show", t], ["typed.yaml", "x86_64.usd_per_request", "'cheap'"]


def c_pricing_unknown_key(tmp: Path) -> tuple[list[str], list[str]]:
    t = _table(tmp, "extra.yaml", lambda s: s + "\ndiscount: 0.1\n")
    return ["pricing", "show", t], ["extra.yaml", "discount", "not permitted"]


def c_pricing_duplicate_key(tmp: Path) -> tuple[list[str], list[str]]:
    # "last one wins" would silently change a price: the second `id:` is refused
    t = _table(tmp, "dup.yaml", lambda s: s + "\nid: other@2026-11\n")
    return ["pricing", "show", t], ["dup.yaml", "duplicate key 'id'", "first at line"]


def c_pricing_alias_bomb(tmp: Path) -> tuple[list[str], list[str]]:
    rows = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        rows.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]")
    (tmp / "bomb.yaml").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return ["pricing", "show", str(tmp / "bomb.yaml")], ["bomb.yaml", "aliases"]


def c_pricing_negative(tmp: Path) -> tuple[list[str], list[str]]:
    t = _table(tmp, "neg.yaml", _negative)
    return ["pricing", "show", t], ["neg.yaml", "usd_per_request", "greater than or equal to 0"]


def c_pricing_directory(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "tables.yaml").mkdir()
    return ["pricing", "show", str(tmp / "tables.yaml")], ["tables.yaml", "is a directory"]


def c_pricing_binary(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "bin.yaml").write_bytes(b"\xff\xfe\x00\x01binary")
    return ["pricing", "show", str(tmp / "bin.yaml")], ["bin.yaml", "not UTF-8"]


def c_scenario_table_relative_missing(tmp: Path) -> tuple[list[str], list[str]]:
    # relative to the config file's directory, not the working directory
    sc = _scenario(tmp, pricing="mine.yaml")
    return ["validate", sc], ["pricing.table", str(tmp / "mine.yaml"), "file not found", IDS]


def c_scenario_table_negative(tmp: Path) -> tuple[list[str], list[str]]:
    _table(tmp, "neg.yaml", _negative)
    return ["validate", _scenario(tmp, pricing="neg.yaml")], ["sc.yaml", "pricing.table", "neg"]


def c_run_bad_table_before_simulating(tmp: Path) -> tuple[list[str], list[str]]:
    return ["run", _scenario(tmp, pricing="aws-lambda@1999")], ["pricing.table", "unknown", IDS]


def c_trace_missing_column(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "t.csv").write_text("time\n1\n2\n", encoding="utf-8")
    return ["validate", _scenario(tmp, trace="t.csv")], ["t.csv", "timestamp", "arrivals.path"]


def c_trace_bad_first_row(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "t.csv").write_text("timestamp\n1\n-4\n", encoding="utf-8")
    return ["run", _scenario(tmp, trace="t.csv")], ["t.csv:3", "column 'timestamp'", "-4"]


def c_trace_binary(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "t.csv").write_bytes(bytes(range(256)) * 8)
    return ["validate", _scenario(tmp, trace="t.csv")], ["t.csv", "not a CSV trace"]


def c_trace_not_a_trace(tmp: Path) -> tuple[list[str], list[str]]:
    # a text file that is not a trace: the message quotes at most a short snippet
    secret = "s3cr3t-" + "x" * 200
    (tmp / "passwd").write_text(f"timestamp\nroot:x:0:0:{secret}\n", encoding="utf-8")
    return ["validate", _scenario(tmp, trace="passwd")], ["passwd:2", "column 'timestamp'"]


def c_run_out_is_file(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "out").write_text("", encoding="utf-8")
    return ["run", _scenario(tmp), "-o", str(tmp / "out")], ["out", "not a directory"]


def c_run_out_under_file(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "f").write_text("", encoding="utf-8")
    return ["run", _scenario(tmp), "-o", str(tmp / "f" / "sub")], ["f/sub", "is a file"]


def c_run_out_unwritable(tmp: Path) -> tuple[list[str], list[str]]:
    return ["run", _scenario(tmp), "-o", "/proc/lambdasim-out"], ["/proc", "cannot write"]


def c_sweep_out_is_file(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "out").write_text("", encoding="utf-8")
    argv = ["sweep", _scenario(tmp), "-p", "functions.f.memory_mb=128", "-o", str(tmp / "out")]
    return argv, ["-o", "out", "not a directory"]


def c_schema_out_is_dir(tmp: Path) -> tuple[list[str], list[str]]:
    return ["schema", "-o", str(tmp)], [str(tmp), "is a directory"]


def c_schema_out_unwritable(tmp: Path) -> tuple[list[str], list[str]]:
    return ["schema", "-o", "/proc/lambdasim-schema.json"], ["/proc", "cannot write"]


def c_import_out_is_dir(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "cw.csv").write_text("timestamp,value\n", encoding="utf-8")
    argv = ["import", "cloudwatch", str(tmp / "cw.csv"), "--function", "f", "-o", str(tmp)]
    return argv, [str(tmp), "is a directory"]


def c_validation_out_under_file(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "f").write_text("", encoding="utf-8")
    return ["validation", "-o", str(tmp / "f" / "r.md")], ["f/r.md", "is a file"]


def c_report_corrupt_part(tmp: Path) -> tuple[list[str], list[str]]:
    d = _sweep_dir(tmp)
    part = _parts(d)[0]
    part.write_bytes(part.read_bytes()[:100])
    return ["report", str(d)], [part.name, "corrupt", "--resume"]


def c_report_foreign_part(tmp: Path) -> tuple[list[str], list[str]]:
    d, other = _sweep_dir(tmp, 1), _sweep_dir(tmp, 2)
    shutil.copy(_parts(other)[0], d / "part-p000009-r000000-000000.parquet")
    return ["report", str(d)], ["part-p000009-r000000-000000.parquet", "another sweep"]


def c_report_corrupt_manifest(tmp: Path) -> tuple[list[str], list[str]]:
    d = _sweep_dir(tmp)
    (d / "_sweep.json").write_text('{"seed": 1, "gri', encoding="utf-8")
    return ["report", str(d)], ["_sweep.json", "manifest"]


def c_report_on_file(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "res").write_text("", encoding="utf-8")
    return ["report", str(tmp / "res")], ["res", "not a directory"]


def c_report_plot_is_dir(tmp: Path) -> tuple[list[str], list[str]]:
    return ["report", str(_sweep_dir(tmp)), "--plot", str(tmp)], ["--plot", "is a directory"]


def c_param_out_of_range(tmp: Path) -> tuple[list[str], list[str]]:
    argv = ["sweep", _scenario(tmp), "-p", "functions.f.memory_mb=256,99", "-j", "1"]
    return argv, ["--param functions.f.memory_mb=99", "128"]


def c_param_wrong_type(tmp: Path) -> tuple[list[str], list[str]]:
    argv = ["sweep", _scenario(tmp), "-p", "functions.f.memory_mb=abc", "-j", "1"]
    return argv, ["--param functions.f.memory_mb=abc", "integer"]


def c_param_bad_pricing_table(tmp: Path) -> tuple[list[str], list[str]]:
    argv = ["sweep", _scenario(tmp), "-p", f"pricing.table={IDS},gone.yaml", "-j", "1"]
    return argv, ["--param pricing.table=gone.yaml", "file not found"]


CASES: list[Case] = [v for k, v in dict(globals()).items() if k.startswith("c_")]


def test_there_are_enough_classes() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[2:])
def test_bad_input_is_one_clear_line(case: Case, tmp_path: Path) -> None:
    argv, words = case(tmp_path)
    r = runner.invoke(app, argv)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    err = r.stderr.strip()
    assert err, r.output
    for w in words:
        assert w in err, (w, err)
    assert "s3cr3t-xxxxxxxxxxxxxxxxxx" not in err  # never more than a short snippet
    for line in err.splitlines():
        assert len(line) < 500, line


def test_nothing_is_written_when_the_output_path_is_bad(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("", encoding="utf-8")
    r = runner.invoke(app, ["run", _scenario(tmp_path), "-o", str(tmp_path / "f" / "x")])
    assert r.exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "sc.yaml"]


def test_run_out_writes_whole_files_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = runner.invoke(app, ["run", _scenario(tmp_path), "-o", str(out)])
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["cost.parquet", "scenario.yaml", "summary.parquet", "timeseries.parquet"]


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _long_scenario(tmp: Path) -> Path:
    """A run of many seconds: still running when the test sends its Ctrl-C."""
    doc = yaml.safe_load(yaml.safe_dump(SCENARIO))
    doc["horizon_s"] = 1e6
    doc["workloads"][0]["arrivals"]["rate_per_s"] = 500
    sc = tmp / "long.yaml"
    sc.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return sc


def _ctrl_c(scenario: Path, after_s: float) -> tuple[int, str]:
    """(exit status, stderr) of ``lambdasim run scenario`` sent SIGINT ``after_s`` after start."""
    p = subprocess.Popen(
        [sys.executable, "-m", "lambdasim", "run", str(scenario), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        text=True,
        # A test run started in the background of a non-interactive shell (``cmd &``) has
        # SIGINT ignored, which a child inherits and Python then leaves alone: give the child
        # the terminal's default, as a user pressing Ctrl-C has it.
        preexec_fn=_default_sigint if os.name == "posix" else None,
    )
    try:
        time.sleep(after_s)
        assert p.poll() is None, p.communicate()  # still running: the signal interrupts it
        p.send_signal(signal.SIGINT)
        _out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    return p.returncode, err


def test_sigint_is_one_line_and_exit_130(tmp_path: Path) -> None:
    code, err = _ctrl_c(_long_scenario(tmp_path), 6.0)  # past the imports, into the simulation
    assert code == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == ["lambdasim: interrupted (Ctrl-C)"]


class _CtrlCOnImport(MetaPathFinder):
    """Raise KeyboardInterrupt when ``lambdasim.cli`` is imported (Ctrl-C during the imports)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "lambdasim.cli":
            raise KeyboardInterrupt


def test_ctrl_c_while_the_cli_imports_is_one_line_and_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lambdasim import _entry

    for name in [m for m in sys.modules if m == "lambdasim.cli" or m.startswith("lambdasim.cli.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_CtrlCOnImport(), *sys.meta_path])
    with pytest.raises(SystemExit) as exc:
        _entry.main()
    assert exc.value.code == 130
    assert capsys.readouterr().err.splitlines() == ["lambdasim: interrupted (Ctrl-C)"]


def test_sigint_early_in_start_up_is_one_line_and_exit_130(tmp_path: Path) -> None:
    # 0.3 s after the start the command is importing its modules (~1 s here; on a faster
    # machine it may have begun the run): either way one line and 130, never a traceback
    code, err = _ctrl_c(_long_scenario(tmp_path), 0.3)
    assert code == 130, err
    assert err.strip().splitlines() == ["lambdasim: interrupted (Ctrl-C)"]
