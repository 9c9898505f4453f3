"""One Lambda function: memory, timeout, concurrency, handler duration, INIT and keep-alive.

Every AWS default cites ``aws-lambda-behaviour.md`` (the project's behavioural reference) by
section.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from lambdasim import dists
from lambdasim.config.async_invoke import AsyncConfig
from lambdasim.config.base import NUMBER, Fraction, PosFloat, _Model
from lambdasim.config.distributions import (
    ColdStartPreset,
    ConstantDist,
    DurationSpec,
    _number_is_constant,
)
from lambdasim.config.event_sources import Trigger
from lambdasim.config.managed_instances import ManagedInstances
from lambdasim.config.provisioned import ProvisionedConcurrency, provisioned_from_number
from lambdasim.config.runtime import (
    KeepAliveSpec,
    MeasuredColdStart,
    PackageMb,
    check_limit,
    check_package_mb,
    check_runtime,
)
from lambdasim.config.snapstart import ColdStartWithSnapStart, SnapStartColdStart
from lambdasim.config.tenancy import TenantPopulation
from lambdasim.units import cpu_duration_factor

__all__ = ["Function"]


class Function(_Model):
    """One Lambda function (SAM ``AWS::Serverless::Function``)."""

    architecture: Literal["x86_64", "arm64"] = "x86_64"  #: Architectures[0]
    #: MemorySize, 128–10,240 MB, default 128 (§3).
    memory_mb: Annotated[StrictInt, Field(ge=128, le=10240)] = 128
    #: Timeout, whole seconds 1–900, default 3 (§3; Lambda guide "configuration-timeout": "in
    #: increments of 1 second up to a maximum value of 900 seconds"). A number, so that ``10``
    #: and ``10.0`` both load; a fraction is an error naming the field (``check_limit``).
    timeout_s: Annotated[float, Field(ge=1, le=900, multiple_of=1, allow_inf_nan=False), NUMBER] = (
        3.0
    )
    #: EphemeralStorage, 512–10,240 MB; above 512 MB is billed (§3, §10.1).
    ephemeral_storage_mb: Annotated[StrictInt, Field(ge=512, le=10240)] = 512
    #: ReservedConcurrentExecutions: cap and guarantee (§4.4); null = uses the unreserved pool.
    reserved_concurrency: Annotated[StrictInt, Field(ge=0)] | None = None
    #: Handler duration (CloudWatch Duration), optionally scaled by memory.
    duration: DurationSpec
    #: Runtime identifier (python3.12, nodejs22.x, java21, java21-snapstart, dotnet8,
    #: provided.al2023, rust, ...); used by ``cold_start: {model: measured}`` (§2.2).
    runtime: str | None = None
    #: PackageType (SAM / CloudFormation ``PackageType: Zip | Image``): a .zip archive or a
    #: container image. Images raise the package limit to 10 GB.
    package_type: Literal["zip", "image"] = "zip"
    #: Zipped deployment package, MB; ≤ 250 (the unzipped limit bounds the zip too), above 50 needs
    #: an S3 upload (§3); an image ≤ 10,240. Raises INIT under ``cold_start: {model: measured}``
    #: (for images see :func:`lambdasim.coldstart.measured_init`). null = hello world.
    package_mb: PackageMb | None = None
    #: Attached to a VPC: adds INIT only with ``cold_start: {model: measured, era: aws-2018}``
    #: (pre-Hyperplane, §2.3).
    vpc: StrictBool = False
    #: INIT duration of a new execution environment (§2): a distribution, ``{preset: RUNTIME}``,
    #: ``{model: measured}`` or ``{snapstart: true}`` (a restore, :mod:`.snapstart`).
    cold_start: ColdStartWithSnapStart = ColdStartPreset(preset="python")
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
    #: Recursive loop detection (``PutFunctionRecursionConfig`` ``RecursiveLoop: Allow |
    #: Terminate``, default Terminate; Lambda guide "invocation-recursion",
    #: https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html). ``terminate``:
    #: an async event whose destination chain would invoke this function a 17th time goes to
    #: its failure path as ``RecursiveInvocationDetected``; ``allow``: no limit.
    recursive_loop: Literal["terminate", "allow"] = "terminate"
    #: Run on a capacity provider (Lambda Managed Instances, :mod:`.managed_instances`).
    managed_instances: ManagedInstances | None = None
    #: ``TenancyConfig.TenantIsolationMode: PER_TENANT``: an environment serves one tenant
    #: (:mod:`.tenancy`); needs ``tenants``.
    tenant_isolation: StrictBool = False
    #: Who the tenants of this function's requests are (with ``tenant_isolation``).
    tenants: TenantPopulation | None = None

    @model_serializer(mode="wrap")
    def _omit_unused_models(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The execution-model keys appear in dumps only when used, so configs without them
        # dump exactly as before (the golden YAML snapshots).
        data: dict[str, Any] = handler(self)
        for key, unused in (("managed_instances", None), ("tenant_isolation", False)):
            if key in data and data[key] == unused:
                del data[key]
        if data.get("tenants", 0) is None:
            del data["tenants"]
        return data

    @model_validator(mode="after")
    def _tenants_with_isolation(self) -> Function:
        if self.tenant_isolation and self.tenants is None:
            raise ValueError("tenant_isolation: true needs tenants: {count: N, distribution: ...}")
        if self.tenants is not None and not self.tenant_isolation:
            raise ValueError("tenants applies to tenant_isolation: true only")
        if isinstance(self.cold_start, SnapStartColdStart):
            SnapStartColdStart.billed(self.runtime)  # raises, naming the supported runtimes
        return self

    @field_validator(
        "provisioned_concurrency",
        mode="before",
        # the JSON schema (``lambdasim schema``) accepts the number shorthand too
        json_schema_input_type=ProvisionedConcurrency | Annotated[int, Field(ge=0)] | None,
    )
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
    def _package_limit(cls, v: float | None, info: ValidationInfo) -> float | None:
        # package_type is declared first, so it is validated already (absent if it was invalid)
        return check_package_mb(v, info.data.get("package_type", "zip"))

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
        if isinstance(cs, SnapStartColdStart):
            return cs.build_for(self.runtime)
        return cs.build()

    def duration_factor(self) -> float:
        """Multiplier applied to sampled durations for ``memory_mb`` (1.0 without scaling).

        The CPU-bound fraction scales with the usable vCPUs ``min(memory/1769, 6, threads)``
        relative to ``memory_ref_mb`` (aws-lambda-behaviour.md §3: 1,769 MB = 1 vCPU, 6 vCPUs at
        10,240 MB; sequential code uses one): :func:`lambdasim.units.cpu_duration_factor`.
        """
        d = self.duration
        if d.memory_ref_mb is None or d.cpu_bound == 0.0:
            return 1.0
        return cpu_duration_factor(d.cpu_bound, d.memory_ref_mb, self.memory_mb, d.threads)
