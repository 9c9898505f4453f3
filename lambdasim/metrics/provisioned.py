"""Streaming metrics of one function's provisioned concurrency (aws-lambda-behaviour.md §9, §11).

CloudWatch's ProvisionedConcurrentExecutions, ProvisionedConcurrencyInvocations and
ProvisionedConcurrencySpilloverInvocations, the allocated and target levels, the billed
milliseconds of invokes on PC environments, background re-INITs, and the configuration
intervals that PC is billed for (the rounding is the cost module's:
:mod:`lambdasim.cost.provisioned`).
"""

from __future__ import annotations

from lambdasim.metrics.core import Level
from lambdasim.periods import Periods

__all__ = ["ProvisionedMetrics"]


class ProvisionedMetrics:
    """What provisioned concurrency did in one run.

    Parameters
    ----------
    periods : Periods
        The run's period grid (warm-up gate and series bins).
    memory_mb : int
        The function's memory (MB): allocated PC is billed per GB-second.
    """

    def __init__(self, periods: Periods, memory_mb: int) -> None:
        self.periods = periods
        self.warmup = periods.warmup
        self.memory_mb = memory_mb
        edges = periods.edges
        self.busy = Level(edges)  # ProvisionedConcurrentExecutions
        self.allocated = Level(edges)  # PC environments: allocated, or deallocated and busy
        self.target = Level(edges)
        self.invocations = 0
        self.spillover = 0
        self.pc_billed_ms = 0  # billed ms of invokes that ran on PC environments
        self.init_ms = 0  # billed ms of PC INITs after t = 0 (allocations, recycling)
        self.reinits = 0
        n = periods.n
        self.ts_invocations = [0] * n
        self.ts_spillover = [0] * n
        #: ``(start_s, end_s, environments)`` of every configuration interval (the configured
        #: PC, which AWS bills from the instant it is set, §10.3), clipped to the statistics
        #: window, in the order they ended.
        self.enabled: list[tuple[float, float, float]] = []

    def on_invocation(self, now: float, arrival: float, on_pc: bool) -> None:
        """An invoke started at ``now``: on a PC environment, or spilled over to on-demand.

        The counter rule of :class:`~lambdasim.metrics.function.FunctionMetrics`: counted at
        the start, if the request arrived at or after warm-up, so ``invocations`` +
        ``spillover`` = the function's ``invocations_run``. Every invoke not on a PC
        environment is a spillover, also while the allocated PC is 0 (a schedule or target
        tracking at 0, or PC still allocating): it ran on standard concurrency.
        """
        b = self.periods.bin(now)
        counted = arrival >= self.warmup
        if on_pc:
            self.ts_invocations[b] += 1
            if counted:
                self.invocations += 1
        else:
            self.ts_spillover[b] += 1
            if counted:
                self.spillover += 1

    def on_enabled(self, start: float, end: float, environments: float) -> None:
        """``environments`` PC environments were configured from ``start`` to ``end`` (seconds)."""
        a = max(start, self.warmup)
        b = max(end, self.warmup)
        if b > a:
            self.enabled.append((a, b, environments))

    def close(self, horizon: float) -> None:
        """Close the levels at the horizon."""
        for lv in (self.busy, self.allocated, self.target):
            lv.roll(horizon)
