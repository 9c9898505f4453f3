"""Lazy start-up (issue 16 target 3): every public name of ``lambdasim`` still works.

``import lambdasim`` imports no configuration model (nor pydantic, PyYAML or NumPy); the public
names of ``lambdasim`` and of ``lambdasim.config`` are imported on first access (module
``__getattr__``). These tests check what a user can observe: each name of
``__all__`` resolves to the very object of its home module, ``from lambdasim import X`` works,
the two slots filled by stand-ins (the ``target: "*"`` expander and ``res.plot``) behave as
when their owners are imported, and ``--help`` lists the validation cases. Which modules are
*not* imported is checked in tests/unit/test_layers.py; timings are a benchmark
(benchmarks/startup.py), never a test.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

import lambdasim as ls
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

#: Each public name and where it lives (None: the name is a module of its own).
HOMES = {
    "ConfigError": ("lambdasim.config", "ConfigError"),
    "LambdasimError": ("lambdasim.errors", "LambdasimError"),
    "RunResult": ("lambdasim.results.run", "RunResult"),
    "Scenario": ("lambdasim.config", "Scenario"),
    "SweepResult": ("lambdasim.results.sweep", "SweepResult"),
    "__version__": ("lambdasim._version", "__version__"),
    "coldstart": ("lambdasim.coldstart", None),
    "dists": ("lambdasim.dists", None),
    "fit": ("lambdasim.fit", None),
    "load": ("lambdasim.config", "load"),
    "loads": ("lambdasim.config", "loads"),
    "plotting": ("lambdasim.plotting", None),
    "power_curve": ("lambdasim.power", "power_curve"),
    "read_results": ("lambdasim.results.sweep", "read_results"),
    "replicate": ("lambdasim.experiment", "replicate"),
    "run": ("lambdasim.simulation", "run"),
    "sweep": ("lambdasim.experiment", "sweep"),
    "theory": ("lambdasim.theory", None),
    "workload": ("lambdasim.workload", None),
    "compare": ("lambdasim.observed", "compare"),
    "import_sam": ("lambdasim.config.sam", "import_template"),
    "recommend": ("lambdasim.recommendation", "recommend"),
    "Recommendation": ("lambdasim.recommendation", "Recommendation"),
}


def test_every_public_name_is_its_home_object() -> None:
    assert set(ls.__all__) == set(HOMES)
    for name, (module, attr) in HOMES.items():
        home = importlib.import_module(module)
        assert getattr(ls, name) is (home if attr is None else getattr(home, attr)), name
    assert set(ls.__all__) <= set(dir(ls))


def test_from_import_and_unknown_names() -> None:
    from lambdasim import RunResult, run, sweep, theory

    assert run is ls.run and sweep is ls.sweep and RunResult is ls.RunResult
    assert theory.erlang_b(1.0, 1) == pytest.approx(0.5)  # B(A=1, c=1) = A / (1 + A)
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        _ = ls.nosuch
    with pytest.raises(ImportError):
        from lambdasim import nosuch  # noqa: F401


def _child(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return out.stdout.split()


def test_wildcard_target_loads_before_lambdasim_workload_is_imported() -> None:
    # A fresh interpreter: the stand-in expander imports lambdasim.workload for "*" only.
    code = (
        "import sys, lambdasim as ls\n"
        "sc = ls.load('configs/quickstart.yaml')\n"
        "print('workload' if 'lambdasim.workload' in sys.modules else 'no-workload')\n"
        "sc = ls.load('configs/azure-sample.yaml')\n"
        "print('workload' if 'lambdasim.workload' in sys.modules else 'no-workload')\n"
        "print(len(sc.functions), len(sc.workloads))\n"
    )
    before, after, n_functions, n_workloads = _child(code)
    assert (before, after) == ("no-workload", "workload")
    # the same expansion as with the workload package imported first (this process)
    ref = ls.load(ROOT / "configs" / "azure-sample.yaml")
    assert (int(n_functions), int(n_workloads)) == (len(ref.functions), len(ref.workloads))
    assert len(ref.functions) > 1  # a trace of several functions, one workload each


def test_plot_accessors_work_before_lambdasim_plotting_is_imported() -> None:
    code = (
        "import sys, lambdasim as ls\n"
        "from tests.conftest import scenario\n"
        "sc = scenario(functions={'f': {'duration': {'dist': 'constant', 'value_s': 0.1}}},\n"
        "              workloads=[{'target': 'f', 'arrivals': {'kind': 'constant',\n"
        "                                                       'rate_per_s': 1.0}}],\n"
        "              horizon_s=10.0)\n"
        "print('lambdasim.plotting' in sys.modules)\n"
        "print(type(ls.run(sc).plot).__name__)\n"
        "print(type(ls.replicate(sc, reps=2, n_jobs=1, progress=False).plot).__name__)\n"
    )
    assert _child(code) == ["False", "RunPlots", "SweepPlots"]


def test_help_lists_the_validation_cases() -> None:
    from lambdasim.cli.validation import CASE_NAMES
    from lambdasim.validation import CASES

    assert CASE_NAMES == tuple(CASES)


#: Modules of lambdasim.config that define no pydantic model: ``import lambdasim`` needs the slot
#: (wildcards) and ``lambdasim --help`` the error type (errors); every other module of the
#: package defines models or imports modules that do.
_NO_MODELS = {"lambdasim.config", "lambdasim.config.wildcards", "lambdasim.config.errors"}

#: In a child: the lambdasim.config modules loaded, and every pydantic model class of lambdasim
#: that exists (pydantic's own subclass registry; none if pydantic was never imported).
_REPORT = (
    "import json\n"
    "def models():\n"
    "    if 'pydantic' not in sys.modules:\n"
    "        return []\n"
    "    todo, seen = [sys.modules['pydantic'].BaseModel], []\n"
    "    while todo:\n"
    "        for c in todo.pop().__subclasses__():\n"
    "            todo.append(c)\n"
    "            if c.__module__.startswith('lambdasim'):\n"
    "                seen.append(c.__qualname__)\n"
    "    return seen\n"
    "print(json.dumps(sorted(m for m in sys.modules if m.startswith('lambdasim.config'))))\n"
    "print(json.dumps(models()))\n"
    "print(json.dumps('pydantic' in sys.modules))\n"
)


def test_import_lambdasim_builds_no_config_model() -> None:
    config_modules, models, pydantic = map(
        json.loads,
        subprocess.run(
            [sys.executable, "-c", "import sys, lambdasim\n" + _REPORT],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.splitlines(),
    )
    assert set(config_modules) <= _NO_MODELS - {"lambdasim.config.errors"}
    assert models == [] and pydantic is False  # not even pydantic itself


def test_cli_help_builds_no_config_model() -> None:
    code = (
        "import sys\n"
        "from lambdasim.cli import main\n"
        "sys.argv = ['lambdasim', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "sys.stdout = sys.__stderr__\n"  # the report after the help text, on a stream of its own
    )
    out = subprocess.run(
        [sys.executable, "-c", code + _REPORT], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "Usage" in out.stdout
    config_modules, models, _ = map(json.loads, out.stderr.splitlines()[-3:])
    assert set(config_modules) <= _NO_MODELS
    assert models == []


def test_config_names_are_lazy_and_the_same_objects() -> None:
    # A fresh interpreter: each public name of lambdasim.config, read from the package, is the
    # object its module defines, and reading one imports that module (and what it needs) only.
    code = (
        "import sys, importlib, lambdasim.config as c\n"
        "assert 'lambdasim.config.queues' not in sys.modules\n"
        "q = c.Queue\n"
        "assert 'lambdasim.config.queues' in sys.modules\n"
        "assert 'lambdasim.config.scenario' not in sys.modules\n"  # Queue needs no Scenario
        "from lambdasim.config import Scenario, load\n"
        "for name in c.__all__:\n"
        "    obj = getattr(c, name)\n"
        "    if isinstance(obj, type) and obj.__module__.startswith('lambdasim.config.'):\n"
        "        assert obj is getattr(importlib.import_module(obj.__module__), name), name\n"
        "assert set(c.__all__) <= set(dir(c))\n"
        "print(q.__module__, Scenario.__module__, load.__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == [
        "lambdasim.config.queues",
        "lambdasim.config.scenario",
        "lambdasim.config.loading",
    ]
    from lambdasim import config

    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        _ = config.nosuch  # type: ignore[attr-defined]  # mypy sees no __getattr__
    with pytest.raises(ImportError):
        from lambdasim.config import nosuch  # type: ignore[attr-defined]  # noqa: F401
    from lambdasim.config import scenario  # a submodule, not a lazy name

    assert config.Scenario is scenario.Scenario


def test_wildcard_without_an_expander_is_a_config_error() -> None:
    # The slot emptied: a "*" target is a ConfigError naming the field; other data is unchanged.
    from lambdasim.config import ConfigError, wildcards

    data = {"workloads": [{"target": "api"}, {"target": "*"}]}
    saved = wildcards._expander
    wildcards.register_expander(None)
    try:
        assert wildcards.expand({"workloads": [{"target": "api"}]}, base_dir=None, source=None)
        with pytest.raises(ConfigError, match=r"x\.yaml: workloads\.1\.target: '\*'"):
            wildcards.expand(data, base_dir=None, source="x.yaml")
    finally:
        wildcards.register_expander(saved)
