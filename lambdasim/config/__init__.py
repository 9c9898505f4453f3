"""Scenario configuration, schema version 1: YAML in, frozen pydantic v2 models out.

Every AWS default cites ``aws-lambda-behaviour.md`` (the project's behavioural reference, in
``shared/reference``) by section. Unknown keys are errors (``extra="forbid"``) with a "did you
mean" hint; integer fields take only integers. Errors carry the YAML file, line and column, the
dotted field path, the bad value and the allowed range (see :class:`ConfigError`).

Modules: :mod:`.base` (shared types), :mod:`.distributions`, :mod:`.scenario` (account,
functions, workloads), :mod:`.errors`, :mod:`.loading`.
"""

from lambdasim.config.arrivals import (
    ArrivalSpec,
    BurstyArrivals,
    ConstantArrivals,
    DiurnalArrivals,
    PiecewiseArrivals,
    PoissonArrivals,
    RateStep,
    RenewalArrivals,
    ScheduleArrivals,
    SuperposeArrivals,
    TraceArrivals,
)
from lambdasim.config.async_invoke import AsyncConfig, DeadLetter, Destination, ThrottleBackoff
from lambdasim.config.distributions import (
    ARM64_INIT_FACTOR,
    COLD_START_PRESETS,
    ColdStartPreset,
    ConstantDist,
    DistSpec,
    DurationSpec,
    EmpiricalDist,
    ExponentialDist,
    GammaDist,
    LognormalDist,
    UniformDist,
)
from lambdasim.config.errors import ConfigError, ConfigIssue, locate
from lambdasim.config.event_sources import ProvisionedPollers, SqsTrigger, Trigger
from lambdasim.config.loading import load, loads, parse_override
from lambdasim.config.provisioned import ProvisionedConcurrency, ScheduledAction, TargetTracking
from lambdasim.config.queues import Queue
from lambdasim.config.scenario import (
    Account,
    ClientRetry,
    Function,
    Output,
    Pricing,
    Scaling,
    Scenario,
    Workload,
)
from lambdasim.config.streams import Stream, StreamTrigger

__all__ = [
    "ARM64_INIT_FACTOR",
    "COLD_START_PRESETS",
    "Account",
    "ArrivalSpec",
    "AsyncConfig",
    "BurstyArrivals",
    "ClientRetry",
    "ColdStartPreset",
    "ConfigError",
    "ConfigIssue",
    "ConstantArrivals",
    "ConstantDist",
    "DeadLetter",
    "Destination",
    "DistSpec",
    "DiurnalArrivals",
    "DurationSpec",
    "EmpiricalDist",
    "ExponentialDist",
    "Function",
    "GammaDist",
    "LognormalDist",
    "Output",
    "PiecewiseArrivals",
    "PoissonArrivals",
    "Pricing",
    "ProvisionedConcurrency",
    "ProvisionedPollers",
    "Queue",
    "RateStep",
    "RenewalArrivals",
    "Scaling",
    "Scenario",
    "ScheduleArrivals",
    "ScheduledAction",
    "SqsTrigger",
    "Stream",
    "StreamTrigger",
    "SuperposeArrivals",
    "TargetTracking",
    "ThrottleBackoff",
    "TraceArrivals",
    "Trigger",
    "UniformDist",
    "Workload",
    "load",
    "loads",
    "locate",
    "parse_override",
]
