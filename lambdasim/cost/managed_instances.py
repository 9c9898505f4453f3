"""Billing of the 2024–2026 execution models, and AWS's static LMI sizing formula.

Pure functions of totals and the dated table ``cost/instance_prices/*.yaml``
(:func:`load_execution_model_prices`); nothing here knows about the simulation.

* **Lambda Managed Instances** — instance-seconds × the EC2 on-demand price × (1 − Savings Plans
  discount) + 15 % management fee on the *on-demand* price + requests × $0.20 per 1M; no
  GB-s duration charge (Lambda pricing page, "Lambda Managed Instances").
* **SnapStart, Python and .NET** — cache: memory GB × seconds the version is active (at least
  3 hours) × the cache price; restore: memory GB × restores × the restore price. Java: none.
* **Tenant isolation** — each tenant-isolated execution environment created: memory GB × the
  price per GB (x86_64; no arm64 price was found, so arm64 environments are counted only).

:func:`calculator_sizing` is the static formula of AWS's LMI pricing calculator (methodology
document of aws-samples/sample-aws-lambda-managed-instances): it reproduces the worked example
(Python, 100 concurrent, 512 MB per execution, 25 % CPU, c7g.xlarge → 14 instances).

Units: USD; ``*_s`` seconds; memory in GB = MB / 1,024 (Lambda's GB).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from lambdasim.cost.tables import PricingError
from lambdasim.cost.yamlfile import TableLoader

__all__ = [
    "HOURS_PER_MONTH",
    "ExecutionModelPrices",
    "LmiCost",
    "Sizing",
    "calculator_sizing",
    "lmi_cost",
    "load_execution_model_prices",
    "snapstart_cost",
    "tenancy_cost",
]

_DIR = Path(__file__).resolve().parent / "instance_prices"
#: The shipped table (``aws-execution-models-2026-11.yaml``).
DEFAULT_FILE = _DIR / "aws-execution-models-2026-11.yaml"
#: The calculator's month: 365 / 12 × 24 hours.
HOURS_PER_MONTH = 730.0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LmiPrices(_Frozen):
    """Lambda Managed Instances prices."""

    management_fee: float = Field(ge=0, lt=1)
    usd_per_request: float = Field(ge=0)
    instances_usd_per_hour: dict[str, float]


class SnapStartPrices(_Frozen):
    """SnapStart prices for Python and .NET."""

    cache_usd_per_gb_s: float = Field(ge=0)
    cache_minimum_s: float = Field(ge=0)
    restore_usd_per_gb: float = Field(ge=0)


class TenancyPrices(_Frozen):
    """Tenant isolation: USD per GB of each environment created, by architecture (None =
    unknown)."""

    usd_per_gb_created: dict[str, float | None]


class ExecutionModelPrices(_Frozen):
    """The dated table of ``cost/instance_prices``."""

    id: str
    currency: str = "USD"
    region: str
    effective_from: date
    retrieved_on: date
    source: tuple[str, ...] = ()
    managed_instances: LmiPrices
    snapstart: SnapStartPrices
    tenant_isolation: TenancyPrices


@cache
def load_execution_model_prices(path: Path = DEFAULT_FILE) -> ExecutionModelPrices:
    """Load (and cache) the execution-model price table at ``path`` (default: the shipped one).

    Raises
    ------
    PricingError
        A file that cannot be read or breaks the schema (the message names the file).
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=TableLoader)
        return ExecutionModelPrices.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise PricingError(f"execution-model price table {path}: {exc}") from None


@dataclass(frozen=True, slots=True)
class LmiCost:
    """The LMI bill of one fleet (or one function's share), USD."""

    ec2_usd: float
    management_fee_usd: float
    requests_usd: float

    @property
    def total_usd(self) -> float:
        """EC2 + management fee + requests."""
        return math.fsum((self.ec2_usd, self.management_fee_usd, self.requests_usd))


def lmi_cost(
    instance_seconds: float,
    on_demand_usd_per_hour: float,
    requests: float,
    prices: ExecutionModelPrices,
    *,
    savings_plan_discount: float = 0.0,
) -> LmiCost:
    """LMI cost of ``instance_seconds`` of one instance type and ``requests`` invocations.

    EC2 = instance-hours × on-demand price × (1 − discount); management fee = instance-hours ×
    on-demand price × fee (the fee is on the on-demand price whatever the discount); requests
    at the LMI request price. No GB-s charge.
    """
    if instance_seconds < 0 or requests < 0:
        raise ValueError("instance_seconds and requests must be >= 0")
    on_demand = instance_seconds / 3600.0 * on_demand_usd_per_hour
    p = prices.managed_instances
    return LmiCost(
        ec2_usd=on_demand * (1.0 - savings_plan_discount),
        management_fee_usd=on_demand * p.management_fee,
        requests_usd=requests * p.usd_per_request,
    )


def snapstart_cost(
    memory_mb: int,
    active_s: float,
    restores: int,
    prices: ExecutionModelPrices,
    *,
    minimum: bool = True,
) -> tuple[float, float]:
    """(cache_usd, restore_usd) of a Python / .NET SnapStart version.

    Cache: memory GB × max(active seconds, 3 h when ``minimum``) × cache price; restore: memory
    GB × restores × restore price.
    """
    p = prices.snapstart
    gb = memory_mb / 1024.0
    seconds = max(active_s, p.cache_minimum_s) if minimum else active_s
    return gb * seconds * p.cache_usd_per_gb_s, gb * restores * p.restore_usd_per_gb


def tenancy_cost(
    memory_mb: int, environments_created: int, architecture: str, prices: ExecutionModelPrices
) -> float | None:
    """Charge for ``environments_created`` tenant-isolated environments, USD (None: no price)."""
    price = prices.tenant_isolation.usd_per_gb_created.get(architecture)
    if price is None:
        return None
    return environments_created * memory_mb / 1024.0 * price


# ------------------------------------------------------------------------- static sizing


@dataclass(frozen=True, slots=True)
class Sizing:
    """The steps of AWS's LMI calculator (methodology document, steps 1–8)."""

    concurrent_per_vcpu: int
    function_memory_mb: float
    vcpus_per_environment: int
    concurrent_per_environment: int
    environments: int
    environments_per_instance: int
    base_instances: int
    instances: int


def calculator_sizing(
    *,
    runtime_limit_per_vcpu: int,
    target_concurrency: float,
    memory_per_execution_mb: float,
    cpu_share: float,
    instance_vcpus: int,
    instance_memory_gib: float,
    memory_gib_per_vcpu: float = 2.0,
    min_instances: int = 3,
    buffer: float = 1.5,
) -> Sizing:
    """The calculator's static sizing of an LMI fleet.

    1. runtime limit per vCPU (Python 16, Node.js 64, Java 32, .NET 32);
    2. sustainable concurrency per vCPU = min(⌊1 / cpu_share⌋, runtime limit);
    3. function memory = max(2,048 MB, memory per execution × concurrency per vCPU);
    4. vCPUs per environment = ⌈function memory / (GiB per vCPU × 1,024)⌉;
    5. environments = ⌈target concurrency / (per vCPU × vCPUs per environment)⌉;
    6. environments per instance = min(⌊(vCPUs − 1) / vCPUs per env⌋,
       ⌊(memory − 1,024 MB) / function memory⌋) (1 vCPU and 1 GB kept for the OS);
    7. base instances = max(min instances, ⌈environments / per instance⌉);
    8. instances = max(min instances, ⌈base × 1.5⌉) (the scaling buffer).
    """
    per_vcpu = min(math.floor(1.0 / cpu_share + 1e-9), runtime_limit_per_vcpu)
    fmem = max(2048.0, memory_per_execution_mb * per_vcpu)
    vcpus_env = math.ceil(fmem / (memory_gib_per_vcpu * 1024.0) - 1e-9)
    per_env = per_vcpu * vcpus_env
    envs = math.ceil(target_concurrency / per_env - 1e-9)
    per_instance = min(
        (instance_vcpus - 1) // vcpus_env,
        math.floor((instance_memory_gib * 1024.0 - 1024.0) / fmem + 1e-9),
    )
    if per_instance < 1:
        raise ValueError("an environment does not fit on this instance type")
    base = max(min_instances, math.ceil(envs / per_instance - 1e-9))
    final = max(min_instances, math.ceil(base * buffer - 1e-9))
    return Sizing(per_vcpu, fmem, vcpus_env, per_env, envs, per_instance, base, final)
