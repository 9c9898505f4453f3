"""lambdasim: a discrete-event simulator of AWS Lambda scaling, latency and cost.

>>> import lambdasim as ls
>>> sc = ls.load("configs/quickstart.yaml")      # doctest: +SKIP
>>> res = ls.run(sc, seed=7)                       # doctest: +SKIP
>>> res.summary, res.timeseries, res.cost          # doctest: +SKIP
"""

from __future__ import annotations

from lambdasim import coldstart, dists, fit, plotting, theory, workload
from lambdasim._version import __version__
from lambdasim.config import ConfigError, Scenario, load, loads
from lambdasim.errors import LambdasimError
from lambdasim.experiment import replicate, sweep
from lambdasim.power import power_curve
from lambdasim.results.run import RunResult
from lambdasim.results.sweep import SweepResult, read_results
from lambdasim.simulation import run

__all__ = [
    "ConfigError",
    "LambdasimError",
    "RunResult",
    "Scenario",
    "SweepResult",
    "__version__",
    "coldstart",
    "dists",
    "fit",
    "load",
    "loads",
    "plotting",
    "power_curve",
    "read_results",
    "replicate",
    "run",
    "sweep",
    "theory",
    "workload",
]
