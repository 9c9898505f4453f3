"""Scenario configuration, schema version 1: YAML in, frozen pydantic v2 models out.

Every AWS default cites ``aws-lambda-behaviour.md`` (the project's behavioural reference, in
``shared/reference``) by section. Unknown keys are errors (``extra="forbid"``) with a "did you
mean" hint; integer fields take only integers. Errors carry the YAML file, line and column, the
dotted field path, the bad value and the allowed range (see :class:`ConfigError`).

Modules: :mod:`.base` (shared types), :mod:`.distributions`, :mod:`.runtime` (INIT and
keep-alive), :mod:`.arrivals`, :mod:`.account`, :mod:`.function`, :mod:`.workload`, the event
sources (:mod:`.event_sources`, :mod:`.queues`, :mod:`.streams`, :mod:`.async_invoke`,
:mod:`.provisioned`), :mod:`.scenario` (the whole), :mod:`.crosscheck` (errors spanning several
parts), :mod:`.advice` (``validate``'s warnings), :mod:`.errors`, :mod:`.loading` and
:mod:`.wildcards` (the slot for ``target: "*"`` expansion, filled by :mod:`lambdasim.workload`).
"""

from lambdasim.coldstart import COLD_START_PRESETS
from lambdasim.config.account import Account, Pricing, Scaling
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
from lambdasim.config.function import Function
from lambdasim.config.loading import load, loads, parse_override, read_config_text
from lambdasim.config.provisioned import ProvisionedConcurrency, ScheduledAction, TargetTracking
from lambdasim.config.queues import Queue
from lambdasim.config.scenario import Output, Scenario
from lambdasim.config.streams import Stream, StreamTrigger
from lambdasim.config.workload import ClientRetry, Workload

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
    "read_config_text",
]
