"""Collectors of Lambda Managed Instances: a function on a capacity provider, and the fleet.

:class:`ManagedInstancesMetrics` is a :class:`~lambdasim.metrics.function.FunctionMetrics`
(the same counters, histograms and series, so an LMI function's row compares with an on-demand
one column by column) with the ready environments as a level, and no GB-s: "no duration
charge" on LMI (Lambda pricing page), so its billed milliseconds stay 0. :class:`FleetMetrics`
keeps the fleet's instances over time; its instance-seconds are what the EC2 part is billed on.
"""

from __future__ import annotations

from lambdasim.metrics.core import Level, window_stats
from lambdasim.metrics.function import FunctionMetrics
from lambdasim.periods import Periods

__all__ = ["FleetMetrics", "ManagedInstancesMetrics"]


class FleetMetrics:
    """What one capacity provider's fleet did.

    Parameters
    ----------
    name : str
        Capacity provider name.
    instance_type : str
        EC2 instance type.
    vcpus : int
        vCPUs per instance.
    periods : Periods
        The run's period grid.
    """

    def __init__(self, name: str, instance_type: str, vcpus: int, periods: Periods) -> None:
        self.name = name
        self.instance_type = instance_type
        self.vcpus = vcpus
        self.periods = periods
        self.warmup = periods.warmup
        self.instances = Level(periods.edges)
        self.launches = 0  # counted after warm-up
        self.terminations = 0
        self.functions: list[ManagedInstancesMetrics] = []

    def launched(self, now: float) -> None:
        """An instance was launched at ``now`` (billed from its launch)."""
        self.instances.up(now)
        if now >= self.warmup:
            self.launches += 1

    def terminated(self, now: float) -> None:
        """An instance was terminated at ``now``."""
        self.instances.down(now)
        if now >= self.warmup:
            self.terminations += 1

    def instance_seconds(self) -> float:
        """Instance-seconds over the statistics window (exact integral of the level)."""
        mean, _ = window_stats(self.instances, self.periods)
        return mean * self.periods.window_s

    def close(self, horizon: float) -> None:
        """Close the level at the horizon (idempotent: every function of the fleet calls it)."""
        self.instances.roll(horizon)


class ManagedInstancesMetrics(FunctionMetrics):
    """An LMI function's collector.

    Parameters
    ----------
    name : str
        Function name.
    periods : Periods
        The run's period grid.
    fleet : FleetMetrics
        Its capacity provider's collector.
    vcpus : int
        vCPUs of one execution environment.
    slots : int
        Requests one environment runs at once.
    cpu_per_request : float
        Share of a vCPU a running request uses.
    """

    def __init__(
        self,
        name: str,
        periods: Periods,
        fleet: FleetMetrics,
        vcpus: int,
        slots: int,
        cpu_per_request: float,
    ) -> None:
        super().__init__(name, periods)
        self.fleet = fleet
        self.vcpus = vcpus
        self.slots = slots
        self.cpu_per_request = cpu_per_request
        #: Ready environments (``environments`` also counts those still starting).
        self.ready = Level(periods.edges)
        fleet.functions.append(self)

    def flush(self) -> None:
        """Fold rows as FunctionMetrics does; LMI bills no GB-s, so no billed milliseconds."""
        super().flush()
        self.billed_ms = 0
        self.init_billed_delta_ms = 0

    def close(self, horizon_s: float) -> None:
        """Close every level (and the fleet's) at the horizon."""
        super().close(horizon_s)
        self.ready.roll(horizon_s)
        self.fleet.close(horizon_s)
