"""Closed-form and analytical reference results for serverless (AWS Lambda) behaviour.

These are the formulas that the theory tests compare the simulator against, and that the
notebooks use for teaching. Every function here is deterministic and cheap; none of them runs
the simulator.

Conventions (shared with ``shared/reference/validation.md``, section 1 "Closed-form results"):
λ is the arrival rate in requests per second, S the execution (service) time in seconds,
T the idle timeout (keep-alive) in seconds, c a concurrency limit (environments) and
A = λ·E[S] the offered load in Erlangs.

Contents
--------
* :mod:`lambdasim.theory.queueing`

  * :func:`erlang_b` -- Erlang-B loss probability B(A, c) (validation.md §1 item 2).
  * :func:`mg_inf_pmf`, :func:`mg_inf_mean` -- M/G/∞ concurrency, Poisson(A) (item 1).

* :mod:`lambdasim.theory.coldstart`

  * :func:`low_rate_cold_probability`, :func:`low_rate_environments` -- single-environment
    low-rate approximation (item 4).
  * :func:`steady_state_cold_start` / :class:`SteadyState` -- the Mahmoudi–Khazaei
    birth–death model of a scale-per-request platform with a fixed idle timeout (item 3).
"""

from __future__ import annotations

from lambdasim.theory.coldstart import MAX_STATES as MAX_STATES
from lambdasim.theory.coldstart import TAIL_MASS_TOLERANCE as TAIL_MASS_TOLERANCE
from lambdasim.theory.coldstart import (
    SteadyState,
    low_rate_cold_probability,
    low_rate_environments,
    steady_state_cold_start,
)
from lambdasim.theory.queueing import erlang_b, mg_inf_mean, mg_inf_pmf

# MAX_STATES and TAIL_MASS_TOLERANCE (explicit re-exports above) stay importable from here, as
# before the split, but are not part of ``__all__``: they never were.
__all__ = [
    "SteadyState",
    "erlang_b",
    "low_rate_cold_probability",
    "low_rate_environments",
    "mg_inf_mean",
    "mg_inf_pmf",
    "steady_state_cold_start",
]
