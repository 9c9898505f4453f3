"""The scenario: account, pricing, functions, workloads, output (schema version 1).

Every AWS default cites ``aws-lambda-behaviour.md`` (the project's behavioural reference) by
section.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from lambdasim import dists
from lambdasim.config.arrivals import (  # re-exported: arrival models live in .arrivals
    ArrivalSpec,
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
from lambdasim.config.base import Fraction, NonNegFloat, PosFloat, _Model
from lambdasim.config.distributions import (
    ColdStartPreset,
    ConstantDist,
    ConstantDuration,
    DurationSpec,
    EmpiricalDuration,
    ExponentialDuration,
    GammaDuration,
    LognormalDuration,
    UniformDuration,
    WeibullDuration,
    _number_is_constant,
)
from lambdasim.config.errors import MISSING, ConfigError, ConfigIssue, register_models
from lambdasim.config.event_sources import ProvisionedMode, ProvisionedPollers, SqsTrigger, Trigger
from lambdasim.config.provisioned import (
    ProvisionedConcurrency,
    ScheduledAction,
    TargetTracking,
    provisioned_from_number,
)
from lambdasim.config.queues import Queue
from lambdasim.config.runtime import (
    FunctionColdStartSpec,
    KeepAlivePreset,
    KeepAliveSpec,
    MeasuredColdStart,
    PackageMb,
    check_limit,
    check_package_mb,
    check_runtime,
)
from lambdasim.config.streams import OnFailure, Stream, StreamTrigger
from lambdasim.config.sweep import SweepSpec
from lambdasim.schedule import DEFAULT_START
from lambdasim.units import cpu_duration_factor


class Scaling(_Model):
    """Per-function scaling rate (aws-lambda-behaviour.md §4.2).

    Since Nov 2023 each function may add up to 1,000 execution environments every 10 s, refilled
    continuously and without accrual: a token bucket of capacity ``envs_per_10s`` refilled at
    ``envs_per_10s / 10`` per second. ``mode: none`` switches the limit off.
    """

    mode: Literal["per_function", "none", "legacy_burst"] = "per_function"
    envs_per_10s: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1000
    #: ``legacy_burst`` (before Nov 2023, §4.3): an account-level burst shared by all functions,
    #: 3,000 in us-east-1/us-west-2/eu-west-1, 1,000 in ap-northeast-1/eu-central-1/us-east-2,
    #: 500 elsewhere (null = by region) ...
    initial_burst: Annotated[StrictInt, Field(ge=1)] | None = None
    #: ... then this many more environments per minute.
    per_minute: Annotated[StrictInt, Field(ge=1)] = 500

    def burst_for(self, region: str) -> int:
        """The legacy initial burst in ``region`` (aws-lambda-behaviour.md §4.3)."""
        if self.initial_burst is not None:
            return self.initial_burst
        if region in ("us-east-1", "us-west-2", "eu-west-1"):
            return 3000
        if region in ("ap-northeast-1", "eu-central-1", "us-east-2"):
            return 1000
        return 500


class Account(_Model):
    """Regional account limits (aws-lambda-behaviour.md §4.1, §13)."""

    region: str = "us-east-1"
    #: Regional ConcurrentExecutions quota; AWS default 1,000 (§4.1).
    concurrency: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1000
    #: Units Lambda keeps unreserved: 100, or the quota itself on small new accounts (§4.1, §13).
    min_unreserved: Annotated[StrictInt, Field(ge=0)] | None = None
    scaling: Scaling = Scaling()

    @property
    def unreserved_floor(self) -> int:
        """The effective minimum unreserved concurrency."""
        if self.min_unreserved is not None:
            return self.min_unreserved
        return min(100, self.concurrency)


class Pricing(_Model):
    """Which dated pricing table prices the run (``lambdasim pricing show`` lists them)."""

    table: str | None = None
    free_tier: StrictBool = False


# --------------------------------------------------------------------------- functions


class Function(_Model):
    """One Lambda function (SAM ``AWS::Serverless::Function``)."""

    architecture: Literal["x86_64", "arm64"] = "x86_64"  #: Architectures[0]
    #: MemorySize, 128–10,240 MB, default 128 (§3).
    memory_mb: Annotated[StrictInt, Field(ge=128, le=10240)] = 128
    #: Timeout, 1–900 s, default 3 (§3).
    timeout_s: Annotated[float, Field(ge=1, le=900, allow_inf_nan=False)] = 3.0
    #: EphemeralStorage, 512–10,240 MB; above 512 MB is billed (§3, §10.1).
    ephemeral_storage_mb: Annotated[StrictInt, Field(ge=512, le=10240)] = 512
    #: ReservedConcurrentExecutions: cap and guarantee (§4.4); null = uses the unreserved pool.
    reserved_concurrency: Annotated[StrictInt, Field(ge=0)] | None = None
    #: Handler duration (CloudWatch Duration), optionally scaled by memory.
    duration: DurationSpec
    #: Runtime identifier (python3.12, nodejs22.x, java21, java21-snapstart, dotnet8,
    #: provided.al2023, rust, ...); used by ``cold_start: {model: measured}`` (§2.2).
    runtime: str | None = None
    #: Zipped deployment package, MB; ≤ 250 (the unzipped limit bounds the zip too), above 50 needs
    #: an S3 upload (§3). Raises INIT under ``cold_start: {model: measured}``. null = hello world.
    package_mb: PackageMb | None = None
    #: Attached to a VPC: adds INIT only with ``cold_start: {model: measured, era: aws-2018}``
    #: (pre-Hyperplane, §2.3).
    vpc: StrictBool = False
    #: INIT duration of a new execution environment (§2): a distribution, ``{preset: RUNTIME}`` or
    #: ``{model: measured}``.
    cold_start: FunctionColdStartSpec = ColdStartPreset(preset="python")
    #: Idle time before an environment is reclaimed, drawn per idle period: a distribution or
    #: ``{preset: aws-2019 | aws-2020 | aws-2025}`` (§1.4). Default 600 s (§13).
    keep_alive_s: KeepAliveSpec = ConstantDist(dist="constant", value_s=600.0)
    #: Environments are retired when idle after this age; AWS: "every few hours", observed
    #: ≈ 2 h (§1.4, §13). null = never.
    max_lifetime_s: PosFloat | None = 7200.0
    #: On-demand INIT limit: an INIT longer than this times out and is retried inside the first
    #: invoke, bounded by the function timeout (§1.2). null = no limit.
    init_limit_s: PosFloat | None = 10.0
    #: Probability that one attempt fails with a function error.
    error_rate: Fraction = 0.0
    #: EventInvokeConfig and DeadLetterConfig for asynchronous invocations (key ``async``);
    #: None = AWS's defaults (2 retries, 6 h maximum age, no destination).
    async_: AsyncConfig | None = Field(default=None, alias="async")
    #: Event source mappings that poll for this function (SQS).
    trigger: Trigger | None = None
    #: ProvisionedConcurrencyConfig: a number (ready at t = 0) or initial / schedule / target
    #: tracking (§9). null or 0 = none.
    provisioned_concurrency: ProvisionedConcurrency | None = None

    @field_validator("provisioned_concurrency", mode="before")
    @classmethod
    def _pc_shorthand(cls, v: Any) -> Any:
        return provisioned_from_number(v)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def async_config(self) -> AsyncConfig:
        """The async settings in force (AWS defaults when the block is absent)."""
        return self.async_ if self.async_ is not None else AsyncConfig()

    @field_validator("keep_alive_s", mode="before")
    @classmethod
    def _keep_alive_shorthand(cls, v: Any) -> Any:
        return _number_is_constant(v)

    @field_validator("memory_mb", "timeout_s", "ephemeral_storage_mb", mode="before")
    @classmethod
    def _aws_limits(cls, v: Any, info: ValidationInfo) -> Any:
        return check_limit(info.field_name, v)  # the message names the limit (§3)

    @field_validator("runtime")
    @classmethod
    def _runtime_known(cls, v: str | None) -> str | None:
        return check_runtime(v)

    @field_validator("package_mb")
    @classmethod
    def _package_limit(cls, v: float | None) -> float | None:
        return check_package_mb(v)

    @model_validator(mode="after")
    def _measured_needs_runtime(self) -> Function:
        if isinstance(self.cold_start, MeasuredColdStart) and self.runtime is None:
            raise ValueError(
                "cold_start: {model: measured} needs the function's runtime "
                "(e.g. runtime: python3.12)"
            )
        return self

    def cold_start_dist(self) -> dists.Distribution:
        """The INIT-duration distribution for this function's architecture."""
        cs = self.cold_start
        if isinstance(cs, ColdStartPreset):
            return cs.build_for(self.architecture)
        if isinstance(cs, MeasuredColdStart):
            assert self.runtime is not None  # checked by _measured_needs_runtime
            return cs.build_for(
                self.runtime, self.architecture, self.memory_mb, self.package_mb, self.vpc
            )
        return cs.build()

    def duration_factor(self) -> float:
        """Multiplier applied to sampled durations for ``memory_mb`` (1.0 without scaling).

        The CPU-bound fraction scales with the vCPU share ``min(memory/1769, 6)`` relative to
        ``memory_ref_mb`` (aws-lambda-behaviour.md §3: 1,769 MB = 1 vCPU, 6 vCPUs at 10,240 MB).
        """
        d = self.duration
        if d.memory_ref_mb is None or d.cpu_bound == 0.0:
            return 1.0
        return cpu_duration_factor(d.cpu_bound, d.memory_ref_mb, self.memory_mb)


# --------------------------------------------------------------------------- workloads


class ClientRetry(_Model):
    """Caller-side retry of throttled (429) sync requests, like the AWS SDKs.

    Exponential backoff with full jitter: before retry ``k`` (k = 1, 2, ...) the caller waits
    ``uniform(0, min(cap_s, base_s × 2^k))``.
    """

    max_attempts: Annotated[StrictInt, Field(ge=1, le=100)] = 3
    base_s: PosFloat = 0.05
    cap_s: PosFloat = 20.0


class Workload(_Model):
    """A stream of requests to one function, or of messages to a queue (``queue:NAME``)."""

    #: A function name, or ``queue:NAME`` to send SQS messages that the queue's event source
    #: mapping delivers to its function.
    target: str
    #: ``sync`` (RequestResponse: API Gateway, ALB, SDK) or ``async`` (Event: S3, SNS,
    #: EventBridge), aws-lambda-behaviour.md §5–6.
    invocation: Literal["sync", "async"] = "sync"
    #: Label of the event source, carried into results.
    source: Literal["api", "s3", "sns", "eventbridge", "sdk"] | None = None
    #: Event payload, KB: sync up to 6 MB, async up to 1 MB (§3); async events above 256 KB
    #: are billed one extra request per 64 KB (§6).
    payload_kb: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    arrivals: ArrivalSpec
    client_retry: ClientRetry | None = None
    name: str | None = None
    #: SQS message size, KB (max 1 MiB, §7.6); every 64 KB is one request (§10.5).
    message_kb: Annotated[float, Field(gt=0, le=1024, allow_inf_nan=False)] = 1.0
    #: FIFO queues: messages are spread evenly over this many message groups (§7.4).
    message_groups: Annotated[StrictInt, Field(ge=1)] = 1
    #: Streams (``stream:NAME`` targets): records get one of this many partition keys, spread
    #: over the shards by hash (§8).
    partition_keys: Annotated[StrictInt, Field(ge=1)] = 1000
    #: Streams: the share of records that fail every time they are processed (poison records).
    poison_probability: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.0

    @property
    def stream(self) -> str | None:
        """The stream name for a ``stream:NAME`` target, else None."""
        return self.target[7:] if self.target.startswith("stream:") else None

    @property
    def queue(self) -> str | None:
        """The queue name for a ``queue:NAME`` target, else None."""
        return self.target[6:] if self.target.startswith("queue:") else None

    def label(self, index: int) -> str:
        """A stable name for this workload (its random stream key)."""
        return self.name or f"{index}:{self.target}"


# --------------------------------------------------------------------------- scenario


class Output(_Model):
    """What the results report."""

    percentiles: Annotated[
        tuple[Annotated[float, Field(gt=0, lt=100)], ...], Field(min_length=1)
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
    functions: dict[str, Function]
    workloads: Annotated[list[Workload], Field(min_length=1)]
    output: Output = Output()
    #: Grid and replications used by ``lambdasim sweep CONFIG`` when no ``--param`` is given.
    sweep: SweepSpec | None = None

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
        from lambdasim.workload.expand import expand_wildcards  # workload imports config

        data = expand_wildcards(data, base_dir=base_dir, source=source)  # target: "*"
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
        """Checks that span several fields (AWS rejects these configurations)."""
        issues: list[ConfigIssue] = []
        if self.warmup_s >= self.horizon_s:
            issues.append(
                ConfigIssue(
                    "warmup_s", f"must be less than horizon_s ({self.horizon_s})", self.warmup_s
                )
            )
        acct = self.account
        floor = acct.unreserved_floor
        if floor > acct.concurrency:
            issues.append(
                ConfigIssue(
                    "account.min_unreserved",
                    f"must be at most account.concurrency ({acct.concurrency})",
                    floor,
                )
            )
        budget = acct.concurrency - floor
        issues.extend(self._check_provisioned(budget))
        total = 0
        for fname, fn in self.functions.items():
            rc = fn.reserved_concurrency
            if rc is None:
                continue
            total += rc
            # AWS rejects PutFunctionConcurrency that leaves less than the unreserved minimum
            # (aws-lambda-behaviour.md §4.1).
            if total > budget:
                issues.append(
                    ConfigIssue(
                        f"functions.{fname}.reserved_concurrency",
                        f"reserved concurrency of all functions ({total}) must leave at least "
                        f"{floor} unreserved of account.concurrency {acct.concurrency}: "
                        f"allowed 0..{budget - (total - rc)}",
                        rc,
                    )
                )
        names = list(self.functions)
        for i, w in enumerate(self.workloads):
            st = w.stream
            if st is not None:
                if st not in self.streams:
                    hint = difflib.get_close_matches(st, list(self.streams), n=1)
                    issues.append(
                        ConfigIssue(
                            f"workloads.{i}.target",
                            "unknown stream"
                            + (f"; did you mean 'stream:{hint[0]}'?" if hint else ""),
                            w.target,
                        )
                    )
                continue
            q = w.queue
            if q is not None:
                if q not in self.queues or self.queues[q].kind == "topic":
                    sqs = [n for n, c in self.queues.items() if c.kind != "topic"]
                    hint = difflib.get_close_matches(q, sqs, n=1)
                    issues.append(
                        ConfigIssue(
                            f"workloads.{i}.target",
                            "unknown SQS queue"
                            + (f"; did you mean 'queue:{hint[0]}'?" if hint else ""),
                            w.target,
                        )
                    )
                continue
            if w.target not in self.functions:
                hint = difflib.get_close_matches(w.target, names, n=1)
                issues.append(
                    ConfigIssue(
                        f"workloads.{i}.target",
                        "unknown function"
                        + (f"; did you mean '{hint[0]}'?" if hint else f"; known: {names}"),
                        w.target,
                    )
                )
            limit = 1024.0 if w.invocation == "async" else 6144.0  # §3 payload quotas
            if w.payload_kb > limit:
                issues.append(
                    ConfigIssue(
                        f"workloads.{i}.payload_kb",
                        f"{w.invocation} payloads are limited to {limit:g} KB "
                        "(aws-lambda-behaviour.md §3)",
                        w.payload_kb,
                    )
                )
            if w.client_retry is not None and w.invocation != "sync":
                issues.append(
                    ConfigIssue(
                        f"workloads.{i}.client_retry",
                        "client_retry applies to sync requests only; async events are retried "
                        "by Lambda (functions.<name>.async)",
                        MISSING,
                    )
                )
        issues.extend(self._check_sqs())
        for fname, fn in self.functions.items():
            a = fn.async_
            if a is None:
                continue
            for key, dest in (
                ("on_failure", a.on_failure),
                ("on_success", a.on_success),
                ("dead_letter", a.dead_letter),
            ):
                if dest is None:
                    continue
                qname = dest.queue
                func = getattr(dest, "function", None)
                if qname is not None and qname not in self.queues:
                    hint = difflib.get_close_matches(qname, list(self.queues), n=1)
                    issues.append(
                        ConfigIssue(
                            f"functions.{fname}.async.{key}.queue",
                            "unknown queue (declare it under queues:)"
                            + (f"; did you mean '{hint[0]}'?" if hint else ""),
                            qname,
                        )
                    )
                if func is not None and func not in self.functions:
                    hint = difflib.get_close_matches(func, names, n=1)
                    issues.append(
                        ConfigIssue(
                            f"functions.{fname}.async.{key}.function",
                            "unknown function" + (f"; did you mean '{hint[0]}'?" if hint else ""),
                            func,
                        )
                    )
        return issues

    def _check_provisioned(self, budget: int) -> list[ConfigIssue]:
        """PC ≤ reserved concurrency; PC outside RC ≤ the unreserved pool − 100 (§4.5, §9)."""
        issues: list[ConfigIssue] = []
        free = budget - sum(f.reserved_concurrency or 0 for f in self.functions.values())
        outside = 0
        for fname, fn in self.functions.items():
            pc = fn.provisioned_concurrency
            if pc is None:
                continue
            peak = pc.peak()
            rc = fn.reserved_concurrency
            path = f"functions.{fname}.provisioned_concurrency"
            if rc is not None and peak > rc:
                issues.append(
                    ConfigIssue(
                        path,
                        f"provisioned concurrency ({peak}) cannot exceed reserved "
                        f"concurrency ({rc})",
                        peak,
                    )
                )
            elif rc is None:
                outside += peak
                if outside > free:
                    issues.append(
                        ConfigIssue(
                            path,
                            f"provisioned concurrency outside reserved concurrency "
                            f"({outside} in all) must leave {self.account.unreserved_floor} "
                            f"unreserved: allowed 0..{free - (outside - peak)}",
                            peak,
                        )
                    )
        return issues

    def _check_sqs(self) -> list[ConfigIssue]:
        issues: list[ConfigIssue] = []
        for qname, q in self.queues.items():
            if q.redrive_to is not None and (
                q.redrive_to not in self.queues
                or q.redrive_to == qname
                or self.queues[q.redrive_to].kind != q.kind
            ):
                issues.append(
                    ConfigIssue(
                        f"queues.{qname}.redrive_to",
                        f"must name another declared queue of the same kind ({q.kind})",
                        q.redrive_to,
                    )
                )
        readers: dict[str, str] = {}
        for fname, fn in self.functions.items():
            stt = fn.trigger.stream if fn.trigger is not None else None
            if stt is None:
                continue
            base = f"functions.{fname}.trigger.stream"
            if stt.name not in self.streams:
                issues.append(ConfigIssue(f"{base}.name", "unknown stream", stt.name))
            elif stt.name in readers:
                issues.append(
                    ConfigIssue(
                        f"{base}.name",
                        f"stream already read by function '{readers[stt.name]}' "
                        "(lambdasim models one event source mapping per stream)",
                        stt.name,
                    )
                )
            readers[stt.name] = fname
            if stt.on_failure is not None and (
                stt.on_failure.queue not in self.queues
                or self.queues[stt.on_failure.queue].kind == "fifo"
            ):
                issues.append(
                    ConfigIssue(
                        f"{base}.on_failure.queue",
                        "must name a declared standard queue or topic (FIFO queues cannot be "
                        "destinations)",
                        stt.on_failure.queue,
                    )
                )
        consumers: dict[str, str] = {}
        for fname, fn in self.functions.items():
            t = fn.trigger.sqs if fn.trigger is not None else None
            if t is None:
                continue
            base = f"functions.{fname}.trigger.sqs"
            polled = self.queues.get(t.queue)
            if polled is None or polled.kind == "topic":
                issues.append(ConfigIssue(f"{base}.queue", "unknown SQS queue", t.queue))
                continue
            q = polled
            if t.queue in consumers:
                issues.append(
                    ConfigIssue(
                        f"{base}.queue",
                        f"queue already polled by function '{consumers[t.queue]}' (lambdasim "
                        "models one event source mapping per queue)",
                        t.queue,
                    )
                )
            consumers[t.queue] = fname
            if q.kind == "fifo" and t.batch_size > 10:
                issues.append(
                    ConfigIssue(
                        f"{base}.batch_size", "FIFO queues allow 1..10 (§7.2)", t.batch_size
                    )
                )
            if fn.timeout_s > q.visibility_timeout_s:
                # Lambda rejects the mapping (aws-lambda-behaviour.md §7.3)
                issues.append(
                    ConfigIssue(
                        f"queues.{t.queue}.visibility_timeout_s",
                        f"must be at least the timeout of function '{fname}' "
                        f"({fn.timeout_s:g} s); AWS advises 6 x timeout + batching window",
                        q.visibility_timeout_s,
                    )
                )
        return issues

    def replace(self, changes: Mapping[str, Any]) -> Scenario:
        """Return a re-validated copy with dotted-path changes applied.

        Parameters
        ----------
        changes : mapping
            ``{"functions.api.memory_mb": 1024, ...}``; list items are addressed by index
            (``"workloads.0.arrivals.rate_per_s"``).
        """
        data = self.model_dump(mode="json", exclude_unset=True, by_alias=True)
        for path, value in changes.items():
            _set_path(data, path, value)
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


def _set_path(data: Any, path: str, value: Any) -> None:
    parts = path.split(".")
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
