"""``lambdasim recommend``: the cheapest configuration that meets the service levels, proven.

:func:`recommend` takes a scenario, the knobs it may turn (dotted config paths with ranges or
lists of values), SLOs (bounds on per-function metrics of the sweep table) and an objective to
minimise (``cost_usd`` by default). It prunes the knobs' domains with closed forms first
(:mod:`~lambdasim.recommendation.prune`: Erlang-B, M/G/∞, the power curve), then searches by
simulation (:mod:`~lambdasim.recommendation.search`): a screening lattice, a pattern search that
refines down to each knob's resolution, and replications with common random numbers wherever
an interval straddles a bound or a rival could still be cheaper, until the choice meets every
SLO by its confidence interval or the run budget is spent. Runs go through
:func:`lambdasim.sweep` (``n_jobs``, Dask) and are resumable from ``out``
(:mod:`~lambdasim.recommendation.evaluate`). The :class:`Recommendation` holds the settings
(``.patch``, ``.config``), the evidence (``.table``, ``.frontier``), an explanation (``.why``)
and ``.plot()``.

Layering: above :mod:`lambdasim.experiment` (it runs sweeps), below :mod:`lambdasim.cli`.
"""

from __future__ import annotations

from lambdasim.recommendation.api import recommend
from lambdasim.recommendation.knobs import Knob, RecommendError
from lambdasim.recommendation.result import Patch, Recommendation

__all__ = ["Knob", "Patch", "RecommendError", "Recommendation", "recommend"]
