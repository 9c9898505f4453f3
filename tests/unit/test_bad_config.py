"""Every class of bad configuration input is one clear line, exit 2, no traceback.

Table-driven: each case writes a scenario file (usually the quickstart with one mistake), runs
``lambdasim validate`` and ``lambdasim run`` on it, and asserts exit code 2, no "Traceback",
and a message naming the file, the line where one exists, the dotted field path and the bad
value (or the allowed range); ``ls.load`` (and ``Scenario.replace`` for ``--set`` cases) must
raise :class:`lambdasim.ConfigError` with the same message. Nothing here simulates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

import lambdasim as ls
from lambdasim.cli import app
from lambdasim.config import parse_override
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

QUICK = (ROOT / "configs" / "quickstart.yaml").read_text(encoding="utf-8")
runner = CliRunner()


def sub(old: str, new: str) -> str:
    """The quickstart with one substitution (which must apply)."""
    assert old in QUICK, old
    return QUICK.replace(old, new, 1)


def bomb() -> str:
    """A ~600-byte "billion laughs": 9 levels of nine-fold aliases (about 4e8 nodes)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(9):
        prev, cur = chr(97 + i), chr(98 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@dataclass
class Case:
    """One class of bad input."""

    id: str
    content: str | bytes | None  # None: no file at all (a missing path)
    needles: list[str]  # each must be in the message (field path, value, bound, problem)
    at: str | int | None = None  # a line (or text on it) the message must name; None: no line
    sets: list[str] = field(default_factory=list)  # --set overrides
    api: bool = True  # ls.load (and .replace) raises the same message
    directory: bool = False  # the path is a directory


CASES = [
    # ------------------------------------------------------------------ schema: keys and types
    Case(
        "unknown-key",
        sub("error_rate:", "eror_rate:"),
        ["functions.api.eror_rate", "did you mean 'error_rate'"],
        "eror_rate:",
    ),
    Case(
        "unknown-top-key",
        sub("seed: 42", "seed: 42\nhorizon: 60"),
        ["horizon", "unknown key", "did you mean 'horizon_s'"],
    ),
    Case(
        "missing-required", sub("horizon_s: 3600", ""), ["horizon_s", "required field is missing"]
    ),
    Case(
        "missing-workloads",
        QUICK.split("workloads:")[0],
        ["workloads", "required field is missing"],
    ),
    Case(
        "wrong-type-mapping",
        sub("account:\n  region", "account: 5\nx:\n  region"),
        ["account", "5"],
        "account: 5",
    ),
    Case("version", sub("version: 1", "version: 2"), ["version", "2"], "version: 2"),
    Case(
        "int-out-of-range",
        sub("memory_mb: 512", "memory_mb: 20000"),
        ["functions.api.memory_mb", "20000", "10240"],
        "memory_mb: 20000",
    ),
    Case(
        "int-given-float",
        sub("memory_mb: 512", "memory_mb: 512.5"),
        ["functions.api.memory_mb", "512.5"],
        "memory_mb: 512.5",
    ),
    Case(
        "float-out-of-range",
        sub("timeout_s: 10", "timeout_s: 901"),
        ["functions.api.timeout_s", "901", "900"],
        "timeout_s: 901",
    ),
    Case(
        "float-given-bool",
        sub("rate_per_s: 20", "rate_per_s: true"),
        ["workloads.0.arrivals.rate_per_s", "not a boolean", "true"],
        "rate_per_s: true",
    ),
    Case(
        "float-given-string",
        sub("timeout_s: 10", 'timeout_s: "60"'),
        ["functions.api.timeout_s", "not a string", "'60'"],
        "timeout_s:",
    ),
    Case(
        "float-infinite",
        sub("rate_per_s: 20", "rate_per_s: .inf"),
        ["workloads.0.arrivals.rate_per_s", "finite"],
        "rate_per_s: .inf",
    ),
    Case(
        "fraction-above-1",
        sub("error_rate: 0.001", "error_rate: 1.5"),
        ["functions.api.error_rate", "1.5", "1"],
        "error_rate: 1.5",
    ),
    Case(
        "horizon-zero",
        sub("horizon_s: 3600", "horizon_s: 0"),
        ["horizon_s", "greater than 0", "0"],
        "horizon_s: 0",
    ),
    Case(
        "percentile-100",
        sub("[50, 90, 99, 99.9]", "[50, 100]"),
        ["output.percentiles.1", "100"],
        "percentiles:",
    ),
    Case(
        "retry-attempts-0",
        sub("max_attempts: 3", "max_attempts: 0"),
        ["workloads.0.client_retry.max_attempts", "0", "1"],
        "max_attempts: 0",
    ),
    Case(
        "bad-distribution",
        sub("dist: lognormal, p50_s: 0.045", "dist: lognorm, p50_s: 0.045"),
        ["functions.api.duration", "lognorm"],
        "duration:",
    ),
    Case(
        "bad-arrival-kind",
        sub("kind: poisson", "kind: poison"),
        ["workloads.0.arrivals", "poison"],
        "arrivals:",
    ),
    Case(
        "bad-cron",
        sub(
            "{kind: poisson, rate_per_s: 20}", '{kind: schedule, expression: "cron(99 * * * ? *)"}'
        ),
        ["workloads.0.arrivals.expression", "cron(99 * * * ? *)"],
        "arrivals:",
    ),
    # ------------------------------------------------------------------ cross-field checks
    Case(
        "unknown-target",
        sub("target: api", "target: apu"),
        ["workloads.0.target", "did you mean 'api'"],
        "target: apu",
    ),
    Case(
        "reserved-above-floor",
        sub("reserved_concurrency: null", "reserved_concurrency: 950"),
        ["functions.api.reserved_concurrency", "0..900", "950"],
        "reserved_concurrency: 950",
    ),
    Case(
        "too-many-periods",
        sub("timeseries_step_s: 60", "timeseries_step_s: 0.001"),
        ["output.timeseries_step_s", "3,600,000", "1,000,000", "at least 0.0036"],
        "timeseries_step_s: 0.001",
    ),
    Case(
        "trace-not-found",
        sub("{kind: poisson, rate_per_s: 20}", "{kind: trace, path: nope.csv}"),
        ["workloads.0.arrivals.path", "file not found", "nope.csv"],
        None,
        api=False,
    ),
    # ------------------------------------------------------------------ names
    Case(
        "function-named-account",
        sub("  api:\n", "  account:\n").replace("target: api", "target: account"),
        ["functions.account", "reserved"],
        "  account:",
    ),
    Case(
        "function-name-markup",
        sub("  api:\n", "  '[bold]api':\n").replace("target: api", "target: '[bold]api'"),
        ["functions.[bold]api", "letters, digits", "'[bold]api'"],
        "[bold]api':",
    ),
    Case(
        "function-name-ansi",
        sub("  api:\n", '  "\\e[31mapi":\n').replace("target: api", 'target: "\\e[31mapi"'),
        ["functions.\\x1b[31mapi", "letters, digits", "'\\x1b[31mapi'"],
        20,
    ),
    Case(
        "function-name-too-long",
        sub("  api:\n", f"  {'f' * 65}:\n").replace("target: api", f"target: {'f' * 65}"),
        [f"functions.{'f' * 65}", "1–64"],
        f"  {'f' * 65}:",
    ),
    Case(
        "scenario-name",
        sub("name: quickstart", "name: '[red]x y'"),
        ["name", "letters, digits", "'[red]x y'"],
        "name: '[red]",
    ),
    Case(
        "queue-name",
        sub("functions:", "queues:\n  'my queue': {}\nfunctions:"),
        ["queues.my queue", "'.fifo'", "1–80"],
        "my queue",
    ),
    # ------------------------------------------------------------------ YAML
    Case(
        "yaml-syntax",
        sub(
            "arrivals: {kind: poisson, rate_per_s: 20}", "arrivals: {kind: poisson, rate_per_s: 20"
        ),
        ["not valid YAML"],
        35,
    ),
    Case("not-a-mapping", "- a\n- b\n", ["a scenario must be a YAML mapping"], 1),
    Case("empty-file", "", ["a scenario must be a YAML mapping"], 1),
    Case(
        "duplicate-key",
        sub("    memory_mb: 512\n", "    memory_mb: 512\n    memory_mb: 1024\n"),
        ["functions.api.memory_mb", "duplicate key (first at line 22)"],
        23,
    ),
    Case(
        "duplicate-function",
        QUICK.replace("workloads:", "  api:\n    memory_mb: 128\n\nworkloads:"),
        ["functions.api", "duplicate key (first at line 20)"],
        "  api:\n    memory_mb: 128",
    ),
    Case(
        "duplicate-list-item-key",
        sub("rate_per_s: 20}", "rate_per_s: 20, rate_per_s: 40}"),
        ["workloads.0.arrivals.rate_per_s", "duplicate key (first at line 34)"],
        34,
    ),
    Case("alias-bomb", bomb(), ["YAML aliases expand to more than 1,000,000 nodes"], "g: &g"),
    Case(
        "recursive-alias",
        "name: &x [1, *x]\n",
        ["a YAML alias refers to a node that contains it"],
        1,
    ),
    Case(
        "deep-nesting",
        "a: " + "[" * 5000 + "]" * 5000 + "\n",
        ["nested deeper than 100 levels", "the limit"],
        1,
    ),
    Case(
        "python-tag",
        sub("seed: 42", "seed: !!python/object/apply:os.system ['echo hi']"),
        ["seed", "'!!python/object/apply:os.system' is not allowed", "safe loader"],
        "seed:",
    ),
    Case(
        "unknown-tag",
        sub("seed: 42", "seed: !env SEED"),
        ["seed", "unknown YAML tag '!env'"],
        "seed:",
    ),
    # ------------------------------------------------------------------ files and encodings
    Case("utf16-bom", QUICK.encode("utf-16"), ["UTF-16", "save it as UTF-8"]),
    Case("utf16-no-bom", QUICK.encode("utf-16-le"), ["binary data", "NUL byte", "UTF-8"], 1),
    Case(
        "latin1",
        sub("name: quickstart", "name: café").encode("latin-1"),
        ["not UTF-8", "0xE9", "Latin-1"],
        4,
    ),
    Case("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["binary data", "NUL byte"], 3),
    Case("too-large", b"# " + b"x" * (16 * 2**20) + b"\n", ["MB limit", "16 MB"]),
    Case("missing-file", None, ["cannot read file", "No such file"]),
    Case("directory", None, ["cannot read file"], directory=True),
    # ------------------------------------------------------------------ --set overrides
    Case(
        "set-unknown-function",
        QUICK,
        ["functions.apii.memory_mb", "no function 'apii'", "did you mean 'api'", "1024"],
        sets=["functions.apii.memory_mb=1024"],
    ),
    Case(
        "set-unknown-queue",
        QUICK,
        ["queues.orders.kind", "no queue 'orders'", "queues: none"],
        sets=["queues.orders.kind=fifo"],
    ),
    Case(
        "set-bad-index",
        QUICK,
        ["workloads.3.target", "not an index of a list of 1"],
        sets=["workloads.3.target=api"],
    ),
    Case(
        "set-out-of-range",
        QUICK,
        ["functions.api.memory_mb", "99999", "10240"],
        sets=["functions.api.memory_mb=99999"],
    ),
    Case(
        "set-float-given-string",
        QUICK,
        ["horizon_s", "not a string", "'abc'"],
        sets=["horizon_s=abc"],
    ),
    Case("set-no-equals", QUICK, ["expected PATH=VALUE", "horizon_s"], sets=["horizon_s"]),
]


def _write(tmp_path: Path, case: Case) -> Path:
    p = tmp_path / "cfg.yaml"
    if case.directory:
        p.mkdir()
    elif isinstance(case.content, bytes):
        p.write_bytes(case.content)
    elif case.content is not None:
        p.write_text(case.content, encoding="utf-8")
    return p


def _line(case: Case) -> int | None:
    if isinstance(case.at, int) or case.at is None:
        return case.at
    assert isinstance(case.content, str)
    return case.content.count("\n", 0, case.content.index(case.at)) + 1


def _api_message(p: Path, case: Case) -> str:
    with pytest.raises(ls.ConfigError) as exc:
        sc = ls.load(p)
        if case.sets:
            sc.replace(dict(parse_override(s) for s in case.sets))
    return str(exc.value)


def test_there_are_at_least_30_classes() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path: Path, case: Case) -> None:
    p = _write(tmp_path, case)
    sets = [a for s in case.sets for a in ("--set", s)]
    line = _line(case)
    outputs = []
    for command in ("validate", "run"):
        t0 = time.perf_counter()
        r = runner.invoke(app, [command, str(p), *sets])
        assert time.perf_counter() - t0 < 2.0, f"{command} took too long"
        assert r.exit_code == 2, (command, r.output)
        assert "Traceback" not in r.output, r.output
        assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
        assert r.stdout == "", r.stdout
        outputs.append(r.stderr)
    assert outputs[0] == outputs[1]
    lines = outputs[0].splitlines()
    assert lines, "no message"
    for msg in lines:
        assert msg.startswith(str(p)), msg  # names the file, first
    text = outputs[0]
    for needle in case.needles:
        assert needle in text, (needle, text)
    if line is not None:
        assert any(m.startswith(f"{p}:{line}:") for m in lines), (line, text)
    if case.sets:
        assert all(m.startswith(f"{p} (with --set): ") for m in lines), text
    if case.api:
        if case.id.endswith("no-equals"):
            with pytest.raises(ls.ConfigError) as exc:
                parse_override(case.sets[0])
            assert exc.value.format() == text.rstrip("\n").replace(f"{p} (with --set)", "--set")
        else:
            assert _api_message(p, case) == text.rstrip("\n").replace(" (with --set)", "")


def test_alias_bomb_fails_fast(tmp_path: Path) -> None:
    text = bomb()
    assert len(text) < 700
    t0 = time.perf_counter()
    with pytest.raises(ls.ConfigError, match="aliases expand"):
        ls.loads(text, source="bomb.yaml")
    assert time.perf_counter() - t0 < 0.5


def test_utf8_bom_and_yaml12_exponents_load() -> None:
    sc = ls.loads(
        "\ufeff" + sub("rate_per_s: 20", "rate_per_s: 2e1").replace("p50_s: 0.3", "p50_s: 3.0e-1")
    )
    assert sc.workloads[0].arrivals.rate_per_s == 20.0  # type: ignore[union-attr]
    assert parse_override("horizon_s=1e3") == ("horizon_s", 1000.0)


def test_ints_still_accepted_by_float_fields() -> None:
    sc = ls.loads(sub("timeout_s: 10", "timeout_s: 60"))
    assert sc.functions["api"].timeout_s == 60.0


def test_merge_keys_are_not_duplicates() -> None:
    text = sub(
        "functions:\n  api:\n", "base: &b {memory_mb: 256}\nfunctions:\n  api:\n    <<: *b\n"
    )
    with pytest.raises(ls.ConfigError, match="base: unknown key"):
        ls.loads(text)  # only the unknown top-level anchor key: the merge itself is fine
    ok = sub("functions:\n  api:\n", "functions:\n  api:\n    <<: {memory_mb: 256}\n")
    ok = ok.replace("    memory_mb: 512\n", "")
    assert ls.loads(ok).functions["api"].memory_mb == 256


def test_replace_refuses_a_new_function_as_sweeps_do() -> None:
    sc = ls.load(ROOT / "configs" / "quickstart.yaml")
    with pytest.raises(ls.ConfigError, match="no function 'apii'; did you mean 'api'"):
        sc.replace({"functions.apii.memory_mb": 1024})
    assert sc.replace({"functions.api.memory_mb": 1024}).functions["api"].memory_mb == 1024


def test_every_shipped_config_still_loads() -> None:
    for p in sorted((ROOT / "configs").glob("*.yaml")):
        ls.load(p)


def test_every_float_field_of_the_schema_refuses_bool_and_str() -> None:
    # Walk pydantic's core schema of the whole scenario: every float schema must sit directly
    # under the NUMBER before-validator, so that no new float field can forget it.
    from lambdasim.config.base import _number

    bare: list[str] = []

    def walk(node: object, guarded: bool, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "float" and not guarded:
                bare.append(where)
            fn = node.get("function")
            ours = (
                node.get("type") == "function-before"
                and getattr(fn, "get", dict().get)("function") is _number
            )
            for k, v in node.items():
                walk(v, ours and k == "schema", f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, False, f"{where}[{i}]")

    walk(ls.Scenario.__pydantic_core_schema__, False, "Scenario")
    assert not bare, bare
