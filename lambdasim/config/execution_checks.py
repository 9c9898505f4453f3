"""Cross-field checks of the 2024–2026 execution models: configurations AWS rejects.

Each message names the AWS rule it applies (and where it is written):

* tenant isolation "is incompatible with SnapStart, Provisioned Concurrency, Function URLs, most
  event sources (only API Gateway is supported)" (AWS CDK ``TenancyConfig``; Lambda guide,
  "tenant-isolation");
* SnapStart "does not support provisioned concurrency, Amazon EFS, or ephemeral storage greater
  than 512 MB", managed runtimes only, no container images (Lambda guide, "snapstart");
* Lambda Managed Instances: runtimes Java 21+, Python 3.13+, Node.js 22+, .NET 8+, Rust on
  provided.al2023; 2–32 GB per environment; asynchronous and event-source invokes up to
  5,400 s but synchronous ones 900 s (Lambda guide, "lambda-managed-instances-runtimes",
  "configuration-timeout"); an environment must fit on one instance after the 1 vCPU and 1 GiB
  the instance keeps; LMI functions do not cold-start, so SnapStart and provisioned concurrency
  have nothing to do there (lambdasim refuses them, and does not model reserved concurrency or
  tenant isolation on a capacity provider).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from lambdasim.config.errors import MISSING, ConfigIssue
from lambdasim.config.function import Function
from lambdasim.config.managed_instances import CapacityProvider, lmi_runtime_family
from lambdasim.config.snapstart import SnapStartColdStart
from lambdasim.config.workload import Workload

__all__ = ["check_execution_models"]

_TENANCY = '(AWS CDK TenancyConfig; Lambda guide "tenant-isolation")'
_SNAP = '(Lambda guide "snapstart", "Supported features and limitations")'
_LMI = '(Lambda guide "lambda-managed-instances")'


def check_execution_models(
    functions: Mapping[str, Function],
    capacity_providers: Mapping[str, CapacityProvider],
    workloads: Sequence[Workload],
) -> list[ConfigIssue]:
    """Every problem of tenant isolation, SnapStart and Lambda Managed Instances settings."""
    issues: list[ConfigIssue] = []
    sync_targets = {w.target for w in workloads if w.invocation == "sync"}
    for name, fn in functions.items():
        base = f"functions.{name}"
        snap = isinstance(fn.cold_start, SnapStartColdStart)
        if fn.tenant_isolation:
            issues += _tenancy(base, fn, snap)
        if snap:
            issues += _snapstart(base, fn)
        if fn.managed_instances is not None:
            issues += _lmi(base, name, fn, snap, capacity_providers, name in sync_targets)
    issues += _fleet_room(functions, capacity_providers)
    return issues


def _tenancy(base: str, fn: Function, snap: bool) -> list[ConfigIssue]:
    out: list[ConfigIssue] = []
    if fn.provisioned_concurrency is not None and fn.provisioned_concurrency.peak() > 0:
        out.append(
            ConfigIssue(
                f"{base}.provisioned_concurrency",
                f"tenant isolation mode is incompatible with provisioned concurrency {_TENANCY}",
                fn.provisioned_concurrency.peak(),
            )
        )
    if snap:
        out.append(
            ConfigIssue(
                f"{base}.cold_start",
                f"tenant isolation mode is incompatible with SnapStart {_TENANCY}",
                MISSING,
            )
        )
    if fn.trigger is not None and (fn.trigger.sqs is not None or fn.trigger.stream is not None):
        out.append(
            ConfigIssue(
                f"{base}.trigger",
                "tenant isolation mode supports API Gateway and direct invokes only, not event "
                f"source mappings (SQS, Kinesis, DynamoDB streams) {_TENANCY}",
                MISSING,
            )
        )
    return out


def _snapstart(base: str, fn: Function) -> list[ConfigIssue]:
    out: list[ConfigIssue] = []
    if fn.provisioned_concurrency is not None and fn.provisioned_concurrency.peak() > 0:
        out.append(
            ConfigIssue(
                f"{base}.provisioned_concurrency",
                f"SnapStart does not support provisioned concurrency {_SNAP}",
                fn.provisioned_concurrency.peak(),
            )
        )
    if fn.ephemeral_storage_mb > 512:
        out.append(
            ConfigIssue(
                f"{base}.ephemeral_storage_mb",
                f"SnapStart does not support ephemeral storage above 512 MB {_SNAP}",
                fn.ephemeral_storage_mb,
            )
        )
    if fn.package_type == "image":
        out.append(
            ConfigIssue(
                f"{base}.package_type",
                f"SnapStart runs on managed runtimes only, not container images {_SNAP}",
                fn.package_type,
            )
        )
    return out


def _lmi(
    base: str,
    name: str,
    fn: Function,
    snap: bool,
    providers: Mapping[str, CapacityProvider],
    has_sync: bool,
) -> list[ConfigIssue]:
    mi = fn.managed_instances
    assert mi is not None
    out: list[ConfigIssue] = []
    path = f"{base}.managed_instances"
    if fn.runtime is not None:
        try:
            lmi_runtime_family(fn.runtime)
        except ValueError as exc:
            out.append(ConfigIssue(f"{base}.runtime", str(exc), fn.runtime))
    elif mi.max_concurrency_per_environment is None:
        out.append(
            ConfigIssue(
                f"{base}.runtime",
                "a Lambda Managed Instances function needs its runtime (the default "
                "concurrency per vCPU depends on it) or max_concurrency_per_environment",
                MISSING,
            )
        )
    mem = mi.environment_memory_gib(fn.memory_mb)
    if mem < 2.0:
        out.append(
            ConfigIssue(
                f"{path}.memory_gib",
                f"an LMI execution environment has 2–32 GB of memory {_LMI}; memory_mb "
                f"{fn.memory_mb} is below 2048: set managed_instances.memory_gib",
                mem,
            )
        )
    cp = providers.get(mi.capacity_provider)
    if cp is None:
        close = difflib.get_close_matches(mi.capacity_provider, list(providers), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; declared: {list(providers)}"
        out.append(
            ConfigIssue(
                f"{path}.capacity_provider",
                "unknown capacity provider" + hint,
                mi.capacity_provider,
            )
        )
    else:
        spec = cp.spec
        vcpus = mi.environment_vcpus(fn.memory_mb)
        if vcpus > spec.vcpus - 1 or mem > spec.memory_gib - 1.0:
            out.append(
                ConfigIssue(
                    path,
                    f"an environment of {vcpus} vCPU and {mem:g} GiB does not fit on a "
                    f"{cp.instance_type} ({spec.vcpus} vCPU, {spec.memory_gib:g} GiB, of which "
                    "1 vCPU and 1 GiB are kept for the OS)",
                    MISSING,
                )
            )
    for key, bad, what in (
        (
            "provisioned_concurrency",
            fn.provisioned_concurrency is not None,
            "provisioned concurrency",
        ),
        ("reserved_concurrency", fn.reserved_concurrency is not None, "reserved concurrency"),
        ("cold_start", snap, "SnapStart"),
        ("tenant_isolation", fn.tenant_isolation, "tenant isolation"),
    ):
        if bad:
            out.append(
                ConfigIssue(
                    f"{base}.{key}",
                    f"{what} is not available on Lambda Managed Instances in lambdasim: LMI "
                    "environments are started by the capacity provider, never per request "
                    f"(min_environments keeps them warm) {_LMI}",
                    MISSING,
                )
            )
    if mi.timeout_s is not None and mi.timeout_s > 900 and has_sync:
        out.append(
            ConfigIssue(
                f"{path}.timeout_s",
                "synchronous invokes are limited to 900 s; 5,400 s applies to asynchronous "
                f'and event-source invokes only (Lambda guide "configuration-timeout"); '
                f"function '{name}' has a sync workload",
                mi.timeout_s,
            )
        )
    return out


def _fleet_room(
    functions: Mapping[str, Function], providers: Mapping[str, CapacityProvider]
) -> list[ConfigIssue]:
    """The minimum environments of a provider's functions fit in its MaxVCpuCount."""
    need: dict[str, int] = {}
    for fn in functions.values():
        mi = fn.managed_instances
        if mi is not None and mi.capacity_provider in providers:
            vcpus = mi.environment_vcpus(fn.memory_mb)
            need[mi.capacity_provider] = need.get(mi.capacity_provider, 0) + (
                mi.min_environments * vcpus
            )
    out = []
    for cp, vcpus in need.items():
        cfg = providers[cp]
        room = cfg.max_instances * (cfg.spec.vcpus - 1)
        if cfg.max_instances < 3 or vcpus > room:
            out.append(
                ConfigIssue(
                    f"capacity_providers.{cp}.max_vcpus",
                    f"too small: three instances at least (AZ resiliency) and room for the "
                    f"minimum environments of its functions ({vcpus} vCPU of {room} usable) "
                    f"{_LMI}",
                    cfg.max_vcpus,
                )
            )
    return out
