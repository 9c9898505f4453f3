"""lambdasim: a discrete-event simulator of AWS Lambda scaling, latency and cost.

>>> import lambdasim as ls
>>> sc = ls.load("configs/quickstart.yaml")      # doctest: +SKIP
>>> res = ls.run(sc, seed=7)                       # doctest: +SKIP
>>> res.summary, res.timeseries, res.cost          # doctest: +SKIP

Start-up (issue 16): ``import lambdasim`` imports a few small modules of its own
(:mod:`._version`, :mod:`.errors`, :mod:`.results.plots`, the :mod:`lambdasim.config` package
and its slot :mod:`lambdasim.config.wildcards`, which this package must fill) and nothing outside
the standard library: no pydantic model, no PyYAML, NumPy or SimPy. :mod:`lambdasim.config`
imports its models when one of its names is first used. The public names — ``ls.run``,
``ls.sweep``, ``ls.replicate``, ``ls.RunResult``, ``ls.Scenario``, ``ls.workload``,
``ls.theory``, ``ls.plotting``, ... — are imported on first use by the module ``__getattr__``
below (PEP 562), so that the CLI, every joblib worker and a notebook's first cell do not pay
for pydantic, pandas, pyarrow, SimPy's wiring or matplotlib's helpers until they use them.
``from lambdasim import run`` works as before.

Two slots that lower layers leave for higher ones are filled here with stand-ins that import
their owner when first needed (the owner then registers its own): the ``target: "*"``
expander of :mod:`lambdasim.config.wildcards` (:mod:`lambdasim.workload`, which imports
pandas) and the ``res.plot`` / ``sweep.plot`` accessors of :mod:`lambdasim.results.plots`
(:mod:`lambdasim.plotting`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdasim._version import __version__
from lambdasim.config import wildcards as _wildcards
from lambdasim.errors import LambdasimError
from lambdasim.results import plots as _plots

if TYPE_CHECKING:
    from lambdasim import coldstart, dists, fit, plotting, theory, workload
    from lambdasim.config import ConfigError, Scenario, load, loads
    from lambdasim.config.sam import import_template as import_sam
    from lambdasim.experiment import replicate, sweep
    from lambdasim.observed.compare import compare
    from lambdasim.power import power_curve
    from lambdasim.recommendation import Recommendation, recommend
    from lambdasim.results.run import RunResult
    from lambdasim.results.sweep import SweepResult, read_results
    from lambdasim.simulation import run

__all__ = [
    "ConfigError",
    "LambdasimError",
    "Recommendation",
    "RunResult",
    "Scenario",
    "SweepResult",
    "__version__",
    "coldstart",
    "compare",
    "dists",
    "fit",
    "import_sam",
    "load",
    "loads",
    "plotting",
    "power_curve",
    "read_results",
    "recommend",
    "replicate",
    "run",
    "sweep",
    "theory",
    "workload",
]

#: Public name -> (module, attribute or None for the module itself), imported on first use.
_LAZY: dict[str, tuple[str, str | None]] = {
    # lambdasim.config is imported (lazily: no model yet) by the wildcards slot below
    "ConfigError": ("lambdasim.config", "ConfigError"),
    "Scenario": ("lambdasim.config", "Scenario"),
    "load": ("lambdasim.config", "load"),
    "loads": ("lambdasim.config", "loads"),
    "coldstart": ("lambdasim.coldstart", None),
    "dists": ("lambdasim.dists", None),
    "fit": ("lambdasim.fit", None),
    "plotting": ("lambdasim.plotting", None),
    "theory": ("lambdasim.theory", None),
    "workload": ("lambdasim.workload", None),
    "replicate": ("lambdasim.experiment", "replicate"),
    "compare": ("lambdasim.observed", "compare"),
    "import_sam": ("lambdasim.config.sam", "import_template"),
    "recommend": ("lambdasim.recommendation", "recommend"),
    "Recommendation": ("lambdasim.recommendation", "Recommendation"),
    "sweep": ("lambdasim.experiment", "sweep"),
    "power_curve": ("lambdasim.power", "power_curve"),
    "RunResult": ("lambdasim.results.run", "RunResult"),
    "SweepResult": ("lambdasim.results.sweep", "SweepResult"),
    "read_results": ("lambdasim.results.sweep", "read_results"),
    "run": ("lambdasim.simulation", "run"),
}


def __getattr__(name: str) -> Any:
    """Import a public name of :data:`_LAZY` on first access and keep it in the module."""
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'lambdasim' has no attribute {name!r}") from None
    value: Any = importlib.import_module(module)
    if attr is not None:
        value = getattr(value, attr)
    globals()[name] = value  # later accesses are plain attribute lookups
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _expand_wildcards(
    data: Mapping[str, Any], *, base_dir: Path | None, source: str | None
) -> Mapping[str, Any]:
    """Scenario.from_dict's wildcard step until :mod:`lambdasim.workload` is imported.

    Data without a ``target: "*"`` workload is returned as it is, the same test as
    :func:`lambdasim.workload.expand.expand_wildcards` makes first; a wildcard imports the
    workload package (which installs its expander for next time) and expands it.
    """
    workloads = data.get("workloads")
    if not isinstance(workloads, list) or not any(
        isinstance(w, Mapping) and w.get("target") == "*" for w in workloads
    ):
        return data
    from lambdasim.workload.expand import expand_wildcards

    return expand_wildcards(data, base_dir=base_dir, source=source)


# Every submodule is imported after this package, so lambdasim.workload's own expander (and
# plotting's accessors, below) always replace these stand-ins, never the reverse.
_wildcards.register_expander(_expand_wildcards)


# ``res.plot`` / ``sweep.plot``: lambdasim.plotting registers its accessors in this slot when it
# is imported; until then these stand-ins import it on the first ``.plot`` (results sit below
# plotting and may not import it themselves).
def _run_plots(result: Any) -> Any:
    from lambdasim.plotting import RunPlots

    return RunPlots(result)


def _sweep_plots(result: Any) -> Any:
    from lambdasim.plotting import SweepPlots

    return SweepPlots(result)


_plots.register("run", _run_plots)
_plots.register("sweep", _sweep_plots)
