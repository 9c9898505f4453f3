"""Lambda Managed Instances (LMI, Nov 2025): capacity providers and a function's LMI settings.

AWS's terms, checked against the Lambda developer guide and API reference (Nov 2026):

* A **capacity provider** (``AWS::Lambda::CapacityProvider``) is a fleet of EC2 instances in the
  customer's account that Lambda launches, scales and patches. ``MaxVCpuCount`` 2–15,000
  (``CapacityProviderScalingConfig``); scaling is target tracking on
  ``LambdaCapacityProviderAverageCPUUtilization`` (``TargetValue`` is a percentage, 0–100;
  lambdasim takes it as a fraction). "Lambda Managed Instances scale to handle traffic doubling
  within five minutes by default"; "If your traffic more than doubles within 5 minutes, you may
  see throttles" (Lambda guide, "lambda-managed-instances" and "lambda-managed-instances-scaling").
  Publishing a version launches three instances "for AZ resiliency" and starts three execution
  environments before the version is ACTIVE.
* A function's ``LambdaManagedInstancesCapacityProviderConfig``:
  ``ExecutionEnvironmentMemoryGiBPerVCpu`` 2.0–8.0 and ``PerExecutionEnvironmentMaxConcurrency``
  1–1,600. One execution environment serves many requests at once. The runtime pages give the
  **default** of that maximum per vCPU: Python 16, Node.js 64, Java 32, .NET 32 ("or you can
  configure your own value"); a configured value replaces the default.
* Supported runtimes: Java 21+, Python 3.13+, Node.js 22+, .NET 8+, and Rust on
  ``provided.al2023`` (Lambda guide, "lambda-managed-instances-runtimes").
* Timeouts: asynchronous and event-source-mapping invokes up to 5,400 s; synchronous 900 s
  (Lambda guide, "configuration-timeout").

The instance types lambdasim knows (vCPUs, memory, architecture) are in :data:`INSTANCE_TYPES`;
their dated prices are in the cost table (:mod:`lambdasim.cost.managed_instances`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, StrictInt, field_validator, model_validator

from lambdasim.config.base import NUMBER, PosFloat, _Model
from lambdasim.config.errors import register_models

__all__ = [
    "INSTANCE_TYPES",
    "LMI_RUNTIMES",
    "MIN_INSTANCES",
    "PER_VCPU_CONCURRENCY",
    "CapacityProvider",
    "InstancePrice",
    "InstanceScaling",
    "InstanceSpec",
    "ManagedInstances",
    "lmi_runtime_family",
]

#: Instances a capacity provider keeps at least: "It launches three by default for AZ
#: resiliency" (Lambda guide, "lambda-managed-instances-scaling").
MIN_INSTANCES = 3


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    """One EC2 instance type: vCPUs, memory (GiB), instruction set."""

    name: str
    vcpus: int
    memory_gib: float
    architecture: str


#: EC2 instance types of the shipped price table (vCPUs and memory as EC2 lists them). The
#: Graviton3 c7g / m7g / r7g families are the ones AWS's LMI pricing calculator ships
#: (aws-samples/sample-aws-lambda-managed-instances, tools/pricing-calculator,
#: ``INSTANCE_TYPES``); c = 2 GiB per vCPU, m = 4, r = 8.
INSTANCE_TYPES: dict[str, InstanceSpec] = {
    s.name: s
    for s in (
        InstanceSpec("c7g.xlarge", 4, 8.0, "arm64"),
        InstanceSpec("c7g.2xlarge", 8, 16.0, "arm64"),
        InstanceSpec("c7g.4xlarge", 16, 32.0, "arm64"),
        InstanceSpec("m7g.xlarge", 4, 16.0, "arm64"),
        InstanceSpec("m7g.2xlarge", 8, 32.0, "arm64"),
        InstanceSpec("m7g.4xlarge", 16, 64.0, "arm64"),
        InstanceSpec("r7g.xlarge", 4, 32.0, "arm64"),
        InstanceSpec("r7g.2xlarge", 8, 64.0, "arm64"),
        InstanceSpec("r7g.4xlarge", 16, 128.0, "arm64"),
    )
}

#: Default ``PerExecutionEnvironmentMaxConcurrency`` per vCPU, by runtime family (Lambda guide,
#: "lambda-managed-instances-python-runtime" 16, "-nodejs-runtime" 64, "-java-runtime" 32,
#: "-dotnet-runtime" 32). Rust has no documented default: give the maximum.
PER_VCPU_CONCURRENCY: dict[str, int] = {"python": 16, "nodejs": 64, "java": 32, "dotnet": 32}

#: Runtimes LMI supports: family -> (pattern, lowest version) (Lambda guide,
#: "lambda-managed-instances-runtimes").
LMI_RUNTIMES: dict[str, tuple[str, tuple[int, ...]]] = {
    "python": (r"python(\d+)\.(\d+)", (3, 13)),
    "nodejs": (r"nodejs(\d+)\.x", (22,)),
    "java": (r"java(\d+)", (21,)),
    "dotnet": (r"dotnet(\d+)", (8,)),
    "rust": (r"provided\.al2023|rust", ()),
}


def lmi_runtime_family(runtime: str) -> str:
    """The LMI runtime family of ``runtime`` (``python3.13`` → ``python``).

    Raises
    ------
    ValueError
        Naming the supported runtimes, for one LMI does not run.
    """
    rt = runtime.strip().lower()
    for family, (pattern, lowest) in LMI_RUNTIMES.items():
        m = re.fullmatch(pattern, rt)
        if m:
            version = tuple(int(g) for g in m.groups() if g is not None)
            if version >= lowest:
                return family
    raise ValueError(
        f"runtime {runtime!r} does not run on Lambda Managed Instances: Java 21+, Python 3.13+, "
        "Node.js 22+, .NET 8+ or Rust on provided.al2023 (Lambda guide, "
        '"lambda-managed-instances-runtimes")'
    )


class InstanceScaling(_Model):
    """How the capacity provider scales: target tracking on average CPU utilisation."""

    #: ``TargetTrackingScalingPolicy`` on ``LambdaCapacityProviderAverageCPUUtilization``, as
    #: a fraction (AWS's ``TargetValue`` is the percentage). AWS chooses a value when none is
    #: given and does not publish it; 0.5 is lambdasim's assumption (headroom for a 2x step).
    target_cpu_utilization: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False), NUMBER] = (
        0.5
    )
    #: Seconds from the launch of an instance to its first execution environment starting.
    #: AWS publishes no figure; 60 s is an assumption (EC2 boot plus the Lambda agent).
    instance_launch_s: Annotated[float, Field(ge=0.0, le=3600.0, allow_inf_nan=False), NUMBER] = (
        60.0
    )
    #: How often the scaler re-evaluates, seconds (asynchronous scaling on resource signals;
    #: the interval is not documented: an assumption).
    interval_s: Annotated[float, Field(gt=0.0, le=300.0, allow_inf_nan=False), NUMBER] = 15.0
    #: Scale in only to the largest demand of this many seconds ("scale down gradually", an
    #: assumption of 5 minutes).
    scale_in_window_s: Annotated[float, Field(ge=0.0, le=3600.0, allow_inf_nan=False), NUMBER] = (
        300.0
    )


class InstancePrice(_Model):
    """What the EC2 part costs: AWS's on-demand price, or a discount on it."""

    #: EC2 Savings Plans / Reserved Instances discount on the EC2 part only; the 15 % management
    #: fee stays on the on-demand price (Lambda pricing page, "Lambda Managed Instances").
    savings_plan_discount: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False), NUMBER] = (
        0.0
    )
    #: On-demand USD per instance-hour, instead of the shipped table's us-east-1 price.
    on_demand_usd_per_hour: PosFloat | None = None


class CapacityProvider(_Model):
    """A capacity provider (``capacity_providers.NAME``): one instance type, scaled by Lambda."""

    #: ``InstanceRequirements.AllowedInstanceTypes`` (one type here): see :data:`INSTANCE_TYPES`.
    instance_type: str
    #: ``CapacityProviderScalingConfig.MaxVCpuCount``: 2–15,000 (default 400, the console's).
    max_vcpus: Annotated[StrictInt, Field(ge=2, le=15000)] = 400
    scaling: InstanceScaling = InstanceScaling()
    price: InstancePrice = InstancePrice()

    @field_validator("instance_type")
    @classmethod
    def _known_type(cls, v: str) -> str:
        if v not in INSTANCE_TYPES:
            raise ValueError(
                f"unknown instance type {v!r}; the shipped table has {', '.join(INSTANCE_TYPES)}"
            )
        return v

    @property
    def spec(self) -> InstanceSpec:
        """The instance type's vCPUs, memory and architecture."""
        return INSTANCE_TYPES[self.instance_type]

    @property
    def max_instances(self) -> int:
        """Instances that fit in ``max_vcpus``."""
        return self.max_vcpus // self.spec.vcpus


class ManagedInstances(_Model):
    """``functions.NAME.managed_instances``: run the function on a capacity provider."""

    #: ``CapacityProviderArn``: a key of ``capacity_providers``.
    capacity_provider: str
    #: Memory of one execution environment, GiB, 2–32; null = the function's ``memory_mb``.
    memory_gib: Annotated[float, Field(ge=2.0, le=32.0, allow_inf_nan=False), NUMBER] | None = None
    #: ``ExecutionEnvironmentMemoryGiBPerVCpu``, 2.0–8.0.
    memory_gib_per_vcpu: Annotated[float, Field(ge=2.0, le=8.0, allow_inf_nan=False), NUMBER] = 2.0
    #: ``PerExecutionEnvironmentMaxConcurrency``, 1–1,600; null = the runtime's default per vCPU
    #: (:data:`PER_VCPU_CONCURRENCY`) times the environment's vCPUs.
    max_concurrency_per_environment: Annotated[StrictInt, Field(ge=1, le=1600)] | None = None
    #: Execution environments kept at least (``MinExecutionEnvironments``, 0–15,000; AWS starts
    #: three when a version is published).
    min_environments: Annotated[StrictInt, Field(ge=0, le=15000)] = 3
    #: ``MaxExecutionEnvironments``; null = bounded by the capacity provider's vCPUs only.
    max_environments: Annotated[StrictInt, Field(ge=1, le=15000)] | None = None
    #: Share of one vCPU a running request keeps busy: what drives CPU utilisation (the
    #: calculator's workload profiles use 0.125, 0.25 and 0.5).
    cpu_per_request: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False), NUMBER] = 0.25
    #: Timeout for asynchronous and event-source invokes, 1–5,400 s (900 s for synchronous
    #: ones); null = the function's ``timeout_s``.
    timeout_s: (
        Annotated[float, Field(ge=1, le=5400, multiple_of=1, allow_inf_nan=False), NUMBER] | None
    ) = None

    @model_validator(mode="after")
    def _ordered(self) -> ManagedInstances:
        if self.max_environments is not None and self.max_environments < self.min_environments:
            raise ValueError(
                f"max_environments ({self.max_environments}) must be >= min_environments "
                f"({self.min_environments})"
            )
        return self

    def environment_memory_gib(self, memory_mb: int) -> float:
        """Memory of one environment, GiB (``memory_gib`` or the function's memory)."""
        return self.memory_gib if self.memory_gib is not None else memory_mb / 1024.0

    def environment_vcpus(self, memory_mb: int) -> int:
        """vCPUs of one environment: memory ÷ GiB per vCPU, rounded up (calculator step 4)."""
        return max(1, math.ceil(self.environment_memory_gib(memory_mb) / self.memory_gib_per_vcpu))

    def max_concurrency(self, runtime: str | None, memory_mb: int) -> int:
        """``PerExecutionEnvironmentMaxConcurrency`` in force (configured, or the default)."""
        if self.max_concurrency_per_environment is not None:
            return self.max_concurrency_per_environment
        family = lmi_runtime_family(runtime or "")
        per_vcpu = PER_VCPU_CONCURRENCY.get(family)
        if per_vcpu is None:
            raise ValueError(
                f"{family} has no documented default concurrency per vCPU: set "
                "max_concurrency_per_environment"
            )
        return min(1600, per_vcpu * self.environment_vcpus(memory_mb))

    def slots(self, runtime: str | None, memory_mb: int) -> int:
        """Requests one environment runs at once: its maximum concurrency, and no more than its
        vCPUs can carry at ``cpu_per_request`` each (Lambda "adjusts the number of concurrent
        requests up to the configured maximum based on the capacity of each execution
        environment to absorb those requests")."""
        cpu_bound = math.floor(self.environment_vcpus(memory_mb) / self.cpu_per_request + 1e-9)
        return max(1, min(self.max_concurrency(runtime, memory_mb), cpu_bound))


register_models(InstanceScaling, InstancePrice, CapacityProvider, ManagedInstances)
