"""What one invoke does inside an environment: INIT, handler, timeout, errors.

aws-lambda-behaviour.md §1.1–1.3 and §10:

* A new environment runs INIT first (held as busy concurrency). INIT is not part of CloudWatch
  ``Duration``; under the pricing rules from 2025-08-01 it is billed.
* An on-demand INIT longer than ``init_limit_s`` (10 s) times out; Lambda retries it inside the
  first invoke, where it shares the function timeout with the handler (§1.2).
* The handler runs for a sampled duration, scaled for memory. Past ``timeout_s`` the invoke is
  a timeout error billed at the timeout, and the environment is reset: its next invoke re-runs
  INIT first ("suppressed init"), and that time is part of that invoke's Duration (§1.3).
* A function error happens with probability ``error_rate`` per attempt.
"""

from __future__ import annotations

from lambdasim.config import Function
from lambdasim.records import Outcome
from lambdasim.rng import Streams, sampler

__all__ = ["Execution"]


class Execution:
    """Samplers and rules for the invokes of one function.

    Parameters
    ----------
    name : str
        Function name (the random streams' owner).
    fn : Function
        Its configuration.
    streams : Streams
        The run's random streams.
    """

    def __init__(self, name: str, fn: Function, streams: Streams) -> None:
        dur = fn.duration.build()
        factor = fn.duration_factor()
        g = streams.generator("durations", name)
        if factor == 1.0:
            self.handler = sampler(lambda n: dur.sample(g, n))
        else:
            self.handler = sampler(lambda n: dur.sample(g, n) * factor)
        init = fn.cold_start_dist()
        gi = streams.generator("cold_start", name)
        self.init = sampler(lambda n: init.sample(gi, n))
        gf = streams.generator("failures", name)
        self.uniform = sampler(lambda n: gf.random(n))
        self.error_rate = fn.error_rate
        self.memory_mb = fn.memory_mb
        self.timeout = fn.timeout_s
        self.init_limit = fn.init_limit_s

    def plan(
        self,
        cold: bool,
        reset: bool,
        error: bool | None = None,
        duration_s: float | None = None,
    ) -> tuple[float, float, int, bool]:
        """Decide one invoke.

        ``error`` forces a function error (True) or none (False) instead of drawing one at
        ``error_rate``: event sources that decide per message (SQS batch items) use it.
        ``duration_s`` is a recorded handler duration (a replayed trace, already scaled for
        memory) used instead of a draw from the function's distribution.

        Returns
        -------
        init_s : float
            INIT before the invoke (0 when warm), seconds; counted as cold-start time.
        invoke_s : float
            The invoke phase (CloudWatch Duration): handler plus any suppressed or retried
            INIT, capped at the timeout; seconds.
        outcome : int
            :class:`~lambdasim.records.Outcome` value.
        suppressed : bool
            The invoke re-ran INIT because the environment had been reset.
        """
        init_s = 0.0
        extra = 0.0
        if cold:
            init_s = self.init()
            lim = self.init_limit
            if lim is not None and init_s > lim:
                # INIT timed out at the limit; the retried INIT runs inside the invoke.
                extra = init_s
                init_s = lim
        elif reset:
            extra = self.init()
        invoke_s = extra + (self.handler() if duration_s is None else duration_s)
        if invoke_s > self.timeout:
            return init_s, self.timeout, Outcome.TIMEOUT, reset and not cold
        if error is None:
            error = self.error_rate > 0.0 and self.uniform() < self.error_rate
        if error:
            return init_s, invoke_s, Outcome.ERROR, reset and not cold
        return init_s, invoke_s, Outcome.SUCCEEDED, reset and not cold
