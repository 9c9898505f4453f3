"""The architecture's rules hold in the code (docs/architecture.md, "Rules").

* imports point one way: the import-linter contracts in pyproject.toml (layers, service never
  imports metrics/results, results never import service, cost only units, no cycles — imports
  inside functions and under TYPE_CHECKING included);
* only :mod:`lambdasim.clock` touches SimPy's private attributes;
* no module over 500 lines;
* ``import lambdasim`` loads neither scipy nor matplotlib (nor pandas, nor pyarrow: issue 16),
  and neither does ``lambdasim --help``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

PACKAGE = ROOT / "lambdasim"
SIMPY_PRIVATE = {"_queue", "_eid", "_now"}


def test_import_contracts_hold() -> None:
    from importlinter.cli import lint_imports

    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    assert code == 0, "an import contract is broken: run `lint-imports` for the details"


def _private_simpy_uses(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(open(path, encoding="utf-8").read())
    return [
        (node.lineno, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in SIMPY_PRIVATE
    ]


def test_only_the_clock_touches_simpy_internals() -> None:
    offenders = {
        str(p.relative_to(ROOT)): uses
        for p in PACKAGE.rglob("*.py")
        if p.name != "clock.py" and (uses := _private_simpy_uses(p))
    }
    assert offenders == {}
    # and the clock really is where they are read (the scan would catch a move)
    clock = {attr for _, attr in _private_simpy_uses(PACKAGE / "clock.py")}
    assert {"_queue", "_eid"} <= clock


def test_no_module_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}


#: Loaded where first needed, never by ``import lambdasim`` or ``lambdasim --help`` (issue 16).
HEAVY = ("scipy", "matplotlib", "pandas", "pyarrow")
_LOADED = "print(','.join(m for m in {heavy!r} if m in sys.modules))"


def test_import_lambdasim_loads_neither_scipy_nor_matplotlib() -> None:
    code = "import sys, lambdasim; " + _LOADED.format(heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == ""


def _cli_loads(argv: list[str], heavy: tuple[str, ...]) -> tuple[str, str]:
    """(stdout, the modules of ``heavy`` loaded) of the console script's entry point run with
    ``argv`` in a fresh interpreter (the list is printed last, on stderr)."""
    code = (
        "import sys\n"
        "from lambdasim._entry import main\n"
        f"sys.argv = ['lambdasim', *{argv!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"print('loaded:', ','.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return out.stdout, out.stderr.strip().splitlines()[-1].removeprefix("loaded:").strip()


def test_cli_help_loads_no_heavy_module() -> None:
    stdout, loaded = _cli_loads(["--help"], HEAVY)
    assert "Usage" in stdout and "sweep" in stdout  # the help was printed
    assert loaded == ""


def test_run_without_provisioned_concurrency_loads_no_scipy() -> None:
    # scipy (~0.5 s to import) is needed by the PC advice only; the shipped quickstart has no
    # PC, so `lambdasim run` of it must not pay for it (the run itself needs pandas)
    argv = ["run", "configs/quickstart.yaml", "--set", "horizon_s=60"]
    stdout, loaded = _cli_loads(argv, ("scipy", "matplotlib"))
    assert "quickstart" in stdout  # the run happened and printed its summary
    assert loaded == ""
