"""Front door by invocation type. Synchronous (``RequestResponse``) requests, for now.

A sync request that is throttled gets an immediate 429 (aws-lambda-behaviour.md §5): Lambda
does not retry it. The caller may, like the AWS SDKs, with exponential backoff and full jitter
(``client_retry``); the request's latency then includes its backoffs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import Timeout

from lambdasim.config import ClientRetry
from lambdasim.service.invoke import ADMITTED, FunctionService

__all__ = ["SyncFrontDoor"]


class SyncFrontDoor:
    """Synchronous requests to one function.

    Parameters
    ----------
    sim : simpy.Environment
        The simulation clock.
    service : FunctionService
        The target function.
    retry : ClientRetry or None
        Caller-side retry policy for throttles.
    jitter : callable or None
        Uniform(0, 1) draws for the backoff jitter.
    """

    def __init__(
        self,
        sim: simpy.Environment,
        service: FunctionService,
        retry: ClientRetry | None,
        jitter: Callable[[], float] | None,
    ) -> None:
        self.sim = sim
        self.service = service
        self.metrics = service.metrics
        self.retry = retry
        self.jitter = jitter
        self.max_attempts = retry.max_attempts if retry is not None else 1
        self.in_backoff = 0

    def request(self, now: float) -> None:
        """A new request arrives at ``now``."""
        if self.service.invoke(now) != ADMITTED:
            self.throttled(now, 1)

    def throttled(self, arrival: float, attempt: int, duration_s: float | None = None) -> None:
        """Attempt number ``attempt`` of the request that arrived at ``arrival`` got a 429.

        ``duration_s``: the request's recorded handler duration (replayed traces), kept for
        its retries.
        """
        if attempt >= self.max_attempts:
            self.metrics.rejected(arrival)
            return
        retry = self.retry
        assert retry is not None and self.jitter is not None
        delay = self.jitter() * min(retry.cap_s, retry.base_s * 2.0**attempt)
        self.in_backoff += 1

        def again(_ev: Any) -> None:
            self.in_backoff -= 1
            if self.service.invoke(arrival, None, None, duration_s) != ADMITTED:
                self.throttled(arrival, attempt + 1, duration_s)

        Timeout(self.sim, delay).callbacks.append(again)
