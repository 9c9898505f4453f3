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

Start-up (issue 16): this package imports none of those modules itself. Each public name below
is imported from its module on first access (the module ``__getattr__``, PEP 562), so that
``import lambdasim`` (which needs only :mod:`.wildcards`) and ``lambdasim --help`` build no
pydantic model; ``from lambdasim.config import Scenario`` works as before and imports
:mod:`.scenario` (and the models it is made of) at that moment.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what mypy and editors see; at run time __getattr__ imports these on first use
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

#: Public name -> the module it is imported from on first access.
_LAZY: dict[str, str] = {
    "COLD_START_PRESETS": "lambdasim.coldstart",
    "Account": "lambdasim.config.account",
    "Pricing": "lambdasim.config.account",
    "Scaling": "lambdasim.config.account",
    "ArrivalSpec": "lambdasim.config.arrivals",
    "BurstyArrivals": "lambdasim.config.arrivals",
    "ConstantArrivals": "lambdasim.config.arrivals",
    "DiurnalArrivals": "lambdasim.config.arrivals",
    "PiecewiseArrivals": "lambdasim.config.arrivals",
    "PoissonArrivals": "lambdasim.config.arrivals",
    "RateStep": "lambdasim.config.arrivals",
    "RenewalArrivals": "lambdasim.config.arrivals",
    "ScheduleArrivals": "lambdasim.config.arrivals",
    "SuperposeArrivals": "lambdasim.config.arrivals",
    "TraceArrivals": "lambdasim.config.arrivals",
    "AsyncConfig": "lambdasim.config.async_invoke",
    "DeadLetter": "lambdasim.config.async_invoke",
    "Destination": "lambdasim.config.async_invoke",
    "ThrottleBackoff": "lambdasim.config.async_invoke",
    "ARM64_INIT_FACTOR": "lambdasim.config.distributions",
    "ColdStartPreset": "lambdasim.config.distributions",
    "ConstantDist": "lambdasim.config.distributions",
    "DistSpec": "lambdasim.config.distributions",
    "DurationSpec": "lambdasim.config.distributions",
    "EmpiricalDist": "lambdasim.config.distributions",
    "ExponentialDist": "lambdasim.config.distributions",
    "GammaDist": "lambdasim.config.distributions",
    "LognormalDist": "lambdasim.config.distributions",
    "UniformDist": "lambdasim.config.distributions",
    "ConfigError": "lambdasim.config.errors",
    "ConfigIssue": "lambdasim.config.errors",
    "locate": "lambdasim.config.errors",
    "ProvisionedPollers": "lambdasim.config.event_sources",
    "SqsTrigger": "lambdasim.config.event_sources",
    "Trigger": "lambdasim.config.event_sources",
    "Function": "lambdasim.config.function",
    "load": "lambdasim.config.loading",
    "loads": "lambdasim.config.loading",
    "parse_override": "lambdasim.config.loading",
    "read_config_text": "lambdasim.config.loading",
    "ProvisionedConcurrency": "lambdasim.config.provisioned",
    "ScheduledAction": "lambdasim.config.provisioned",
    "TargetTracking": "lambdasim.config.provisioned",
    "Queue": "lambdasim.config.queues",
    "Output": "lambdasim.config.scenario",
    "Scenario": "lambdasim.config.scenario",
    "Stream": "lambdasim.config.streams",
    "StreamTrigger": "lambdasim.config.streams",
    "ClientRetry": "lambdasim.config.workload",
    "Workload": "lambdasim.config.workload",
}

if not TYPE_CHECKING:  # hidden from mypy, so that a misspelt name is still a type error

    def __getattr__(name: str) -> Any:
        """Import a public name of :data:`_LAZY` on first access and keep it in the package."""
        try:
            module = _LAZY[name]
        except KeyError:
            raise AttributeError(f"module 'lambdasim.config' has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later accesses are plain attribute lookups
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
