"""The scenario: account, pricing, functions, workloads and output options (schema version 1).

The parts live in their own modules (:mod:`.account`, :mod:`.function`, :mod:`.workload`,
:mod:`.queues`, :mod:`.streams`, ...); the checks that span several parts in
:mod:`.crosscheck`. Every AWS default cites ``aws-lambda-behaviour.md`` (the project's
behavioural reference) by section.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    StrictInt,
    ValidationError,
    model_serializer,
)

from lambdasim.config.account import Account, Pricing, Scaling
from lambdasim.config.arrivals import (
    BurstyArrivals,
    ConstantArrivals,
    DiurnalArrivals,
    PiecewiseArrivals,
    PoissonArrivals,
    RateStep,
    RenewalArrivals,
    ScheduleArrivals,
    StartTime,
    SuperposeArrivals,
    TraceArrivals,
)
from lambdasim.config.async_invoke import AsyncConfig, DeadLetter, Destination, ThrottleBackoff
from lambdasim.config.base import NUMBER, NonNegFloat, PosFloat, _Model
from lambdasim.config.crosscheck import cross_check
from lambdasim.config.distributions import (
    ColdStartPreset,
    ConstantDuration,
    EmpiricalDuration,
    ExponentialDuration,
    GammaDuration,
    LognormalDuration,
    UniformDuration,
    WeibullDuration,
)
from lambdasim.config.errors import ConfigError, ConfigIssue, register_models
from lambdasim.config.event_sources import ProvisionedMode, ProvisionedPollers, SqsTrigger, Trigger
from lambdasim.config.function import Function
from lambdasim.config.limits import check_names, check_periods
from lambdasim.config.managed_instances import CapacityProvider
from lambdasim.config.provisioned import ProvisionedConcurrency, ScheduledAction, TargetTracking
from lambdasim.config.queues import Queue
from lambdasim.config.runtime import KeepAlivePreset, MeasuredColdStart
from lambdasim.config.streams import OnFailure, Stream, StreamTrigger
from lambdasim.config.sweep import SweepSpec, replace_leaves
from lambdasim.config.wildcards import expand as expand_wildcards
from lambdasim.config.workload import ClientRetry, Workload
from lambdasim.schedule import DEFAULT_START

__all__ = ["Output", "Scenario"]


class Output(_Model):
    """What the results report."""

    percentiles: Annotated[
        tuple[Annotated[float, Field(gt=0, lt=100), NUMBER], ...], Field(min_length=1)
    ] = (50.0, 90.0, 99.0, 99.9)
    timeseries_step_s: PosFloat = 60.0


class Scenario(_Model):
    """One simulated scenario: account, pricing, functions, workloads and output options.

    Build one with :func:`load` (a YAML file), :func:`loads` or :meth:`from_dict`, which run the
    cross-field checks as well; change it with :meth:`replace`.
    """

    version: Literal[1] = 1
    name: str = "scenario"
    seed: Annotated[StrictInt, Field(ge=0)] | None = None
    horizon_s: PosFloat
    warmup_s: NonNegFloat = 0.0
    #: Wall-clock instant of t = 0, ISO, UTC; ``schedule`` arrivals are relative to it.
    start_time: StartTime = DEFAULT_START
    account: Account = Account()
    pricing: Pricing = Pricing()
    #: Named SQS queues / SNS topics used as dead-letter queues and destinations.
    queues: dict[str, Queue] = Field(default_factory=dict)
    #: Kinesis data streams and DynamoDB streams (§8).
    streams: dict[str, Stream] = Field(default_factory=dict)
    #: Lambda Managed Instances fleets that functions run on (``functions.NAME.managed_instances``).
    capacity_providers: dict[str, CapacityProvider] = Field(default_factory=dict)
    functions: dict[str, Function]
    workloads: Annotated[list[Workload], Field(min_length=1)]
    output: Output = Output()
    #: Grid and replications used by ``lambdasim sweep CONFIG`` when no ``--param`` is given.
    sweep: SweepSpec | None = None

    @model_serializer(mode="wrap")
    def _omit_unused_models(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Without capacity providers the dump is what it was before they existed.
        data: dict[str, Any] = handler(self)
        if data.get("capacity_providers", None) == {}:
            del data["capacity_providers"]
        return data

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: str | None = PrivateAttr(default=None)

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, base_dir: Path | None = None, source: str | None = None
    ) -> Scenario:
        """Validate ``data`` (as read from YAML) into a Scenario.

        Raises
        ------
        ConfigError
            With one :class:`ConfigIssue` per problem.
        """
        # target: "*" -> one workload per trace function; the expander is lambdasim.workload's
        data = expand_wildcards(data, base_dir=base_dir, source=source)
        try:
            sc = cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError.from_validation(exc, source=source) from None
        issues = sc.cross_check()
        if issues:
            raise ConfigError(issues, source=source)
        sc._base_dir = base_dir if base_dir is not None else Path.cwd()
        sc._source = source
        return sc

    def cross_check(self) -> list[ConfigIssue]:
        """Checks that span several fields (AWS rejects these configurations).

        Names (:func:`~lambdasim.config.limits.check_names`), the number of time-series
        periods (:func:`~lambdasim.config.limits.check_periods`) and
        :func:`lambdasim.config.crosscheck.cross_check`.
        """
        issues = check_names(self.name, self.functions, self.queues, self.streams)
        issues += check_periods(self.horizon_s, self.output.timeseries_step_s)
        return issues + cross_check(self)

    def replace(self, changes: Mapping[str, Any]) -> Scenario:
        """Return a re-validated copy with dotted-path changes applied.

        Parameters
        ----------
        changes : mapping
            ``{"functions.api.memory_mb": 1024, ...}``; list items are addressed by index
            (``"workloads.0.arrivals.rate_per_s"``). A path under ``functions``, ``queues`` or
            ``streams`` must name an existing entry (an error with a did-you-mean otherwise).

        Raises
        ------
        ConfigError
            A path that names no existing entry or list index, or an invalid result.
        """
        fast = replace_leaves(self, changes)  # numbers below one entry: that entry only
        if fast is not None:
            return fast  # type: ignore[no-any-return]
        data = self.model_dump(mode="json", exclude_unset=True, by_alias=True)
        try:
            for path, value in changes.items():
                _set_path(data, path, value)
        except ConfigError as exc:
            exc.source = self._source
            exc.args = (exc.format(),)
            raise
        return Scenario.from_dict(data, base_dir=self._base_dir, source=self._source)

    # ---------------------------------------------------------------- helpers

    @property
    def base_dir(self) -> Path:
        """Directory that relative paths (traces) are resolved against."""
        return self._base_dir

    def resolve_path(self, path: str) -> Path:
        """Resolve a path given in the config relative to the config file."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self._base_dir / p

    def to_yaml(self) -> str:
        """The effective configuration as YAML (all defaults filled in)."""
        return yaml.safe_dump(self.model_dump(mode="json", by_alias=True), sort_keys=False)


#: Top-level keys whose entries are named by the user: a path must name an existing entry, so
#: that a misspelt ``functions.apii.memory_mb`` is an error, not a new function (or a sweep of
#: one).
_NAMED = {"functions": "function", "queues": "queue", "streams": "stream"}


def _set_path(data: Any, path: str, value: Any) -> None:
    parts = path.split(".")
    if len(parts) >= 2 and parts[0] in _NAMED and isinstance(data.get(parts[0], {}), dict):
        names = list(data.get(parts[0], {}))  # not in the dump when the file declares none
        if parts[1] not in names:
            close = difflib.get_close_matches(parts[1], names, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            listed = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            raise ConfigError(
                [
                    ConfigIssue(
                        path,
                        f"no {_NAMED[parts[0]]} '{parts[1]}'{hint} "
                        f"({parts[0]}: {listed or 'none'})",
                        value,
                    )
                ]
            )
    node = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            try:
                idx = int(part)
                if last:
                    node[idx] = value
                    return
                node = node[idx]
            except (ValueError, IndexError):
                raise ConfigError(
                    [ConfigIssue(path, f"'{part}' is not an index of a list of {len(node)}", value)]
                ) from None
            continue
        if not isinstance(node, dict):
            raise ConfigError(
                [ConfigIssue(path, f"'{'.'.join(parts[:i])}' is not a mapping", value)]
            )
        if last:
            node[part] = value
        else:
            node = node.setdefault(part, {})


register_models(
    Stream,
    StreamTrigger,
    OnFailure,
    ProvisionedConcurrency,
    ScheduledAction,
    TargetTracking,
    SqsTrigger,
    Trigger,
    ProvisionedMode,
    ProvisionedPollers,
    AsyncConfig,
    Destination,
    DeadLetter,
    ThrottleBackoff,
    Queue,
    Scenario,
    Account,
    Scaling,
    Pricing,
    Function,
    Workload,
    ClientRetry,
    Output,
    SweepSpec,
    PoissonArrivals,
    ConstantArrivals,
    TraceArrivals,
    RenewalArrivals,
    DiurnalArrivals,
    RateStep,
    PiecewiseArrivals,
    BurstyArrivals,
    ScheduleArrivals,
    SuperposeArrivals,
    ColdStartPreset,
    MeasuredColdStart,
    KeepAlivePreset,
    ConstantDuration,
    ExponentialDuration,
    UniformDuration,
    LognormalDuration,
    GammaDuration,
    WeibullDuration,
    EmpiricalDuration,
)
