"""Lambda Managed Instances in a template → ``capacity_providers`` and ``managed_instances``.

What a template says, as the CloudFormation and SAM references name it (Nov 2026):

* a function's ``CapacityProviderConfig`` — SAM: ``Arn``, ``ExecutionEnvironmentMemoryGiBPerVCpu``,
  ``PerExecutionEnvironmentMaxConcurrency``; CloudFormation ``AWS::Lambda::Function``: the same
  under ``LambdaManagedInstancesCapacityProviderConfig`` with ``CapacityProviderArn`` — and
  ``FunctionScalingConfig`` (``MinExecutionEnvironments``, ``MaxExecutionEnvironments``, 0–15,000);
* ``AWS::Serverless::CapacityProvider``: ``InstanceRequirements`` (``Architectures``, default
  x86_64; ``AllowedTypes`` / ``ExcludedTypes``) and ``ScalingConfig`` (``MaxVCpuCount``;
  ``AverageCPUUtilization``, a percentage, 0–100); ``AWS::Lambda::CapacityProvider``:
  ``InstanceRequirements`` (``AllowedInstanceTypes`` / ``ExcludedInstanceTypes``) and
  ``CapacityProviderScalingConfig`` (``MaxVCpuCount`` 2–15,000, ``ScalingMode`` Auto | Manual,
  ``ScalingPolicies`` of ``LambdaCapacityProviderAverageCPUUtilization`` with ``TargetValue``).

What it cannot say becomes a placeholder or a warning: lambdasim runs one instance type per
capacity provider, from its shipped price table (:data:`~lambdasim.config.managed_instances.
INSTANCE_TYPES`: Graviton c7g / m7g / r7g). When the template names none of those, the
smallest type of the family of the memory-to-vCPU ratio (c = 2 GiB per vCPU, m = 4, r = 8)
that fits the environments is a placeholder; ``ExcludedTypes`` are avoided, not modelled.
"""

from __future__ import annotations

import math
from typing import Any

from lambdasim.config.managed_instances import INSTANCE_TYPES, MIN_INSTANCES, lmi_runtime_family
from lambdasim.config.sam.context import CAPACITY_PROVIDER_TYPES, FUNCTION_TYPES, Context
from lambdasim.config.sam.functions import _int
from lambdasim.config.sam.intrinsics import Unresolved

__all__ = ["translate_managed_instances"]

#: The predefined metric of a capacity provider's target tracking policy.
_CPU_METRIC = "LambdaCapacityProviderAverageCPUUtilization"
#: Capacity provider properties that change nothing in the model: read silently.
_IRRELEVANT = {
    "CapacityProviderName",
    "VpcConfig",
    "OperatorRole",
    "PermissionsConfig",
    "Tags",
    "PropagateTags",
    "KmsKeyArn",
    "KMSKeyArn",
    "LoggingConfig",
    "ManagedResourceTags",
}
_READ = {"InstanceRequirements", "ScalingConfig", "CapacityProviderScalingConfig"}
#: The family of each memory-to-vCPU ratio (GiB per vCPU): c = 2, m = 4, r = 8.
_FAMILIES = ((2.0, "c7g"), (4.0, "m7g"), (8.0, "r7g"))


def _num(ctx: Context, v: Any, where: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool | Unresolved):
        ctx.warnings.add(where, f"{v} cannot be read; lambdasim's default is used")
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        ctx.warnings.add(where, f"{v!r} is not a number; lambdasim's default is used")
        return None
    return f if math.isfinite(f) else None


def _env(fn: dict[str, Any]) -> tuple[int, float]:
    """vCPUs and GiB of one execution environment of ``fn`` (as ManagedInstances computes)."""
    mi = fn["managed_instances"]
    mem = float(mi.get("memory_gib", fn["memory_mb"] / 1024.0))
    return max(1, math.ceil(mem / float(mi.get("memory_gib_per_vcpu", 2.0)))), mem


def _fits(name: str, envs: list[tuple[int, float]]) -> bool:
    # an environment must fit on one instance after the 1 vCPU and 1 GiB the instance keeps
    s = INSTANCE_TYPES[name]
    return all(v <= s.vcpus - 1 and m <= s.memory_gib - 1.0 for v, m in envs)


def _default_type(ratio: float, envs: list[tuple[int, float]], avoid: set[str]) -> str:
    family = next((f for r, f in _FAMILIES if ratio <= r), "r7g")
    order = [n for n in INSTANCE_TYPES if n.startswith(family)]
    order += [n for n in INSTANCE_TYPES if n not in order]
    for n in order:
        if n not in avoid and _fits(n, envs):
            return n
    return max(
        INSTANCE_TYPES, key=lambda n: (INSTANCE_TYPES[n].vcpus, INSTANCE_TYPES[n].memory_gib)
    )


def _strings(v: Any) -> list[str]:
    return [str(x) for x in v] if isinstance(v, list) else ([str(v)] if isinstance(v, str) else [])


def _instance_type(
    ctx: Context, cp: str, req: Any, envs: list[tuple[int, float]], ratio: float, where: str
) -> str:
    req = req if isinstance(req, dict) else {}
    allowed = _strings(req.get("AllowedTypes", req.get("AllowedInstanceTypes")))
    excluded = set(_strings(req.get("ExcludedTypes", req.get("ExcludedInstanceTypes"))))
    archs = _strings(req.get("Architectures"))
    arch = archs[0] if archs else "x86_64 (the default when Architectures is absent)"
    path = f"capacity_providers.{cp}.instance_type"
    known = [t for t in allowed if t in INSTANCE_TYPES and t not in excluded]
    unknown = [t for t in allowed if t not in INSTANCE_TYPES]
    if unknown:
        ctx.warnings.add(
            f"{where}.InstanceRequirements",
            f"{', '.join(unknown)} not in lambdasim's price table ({', '.join(INSTANCE_TYPES)})",
        )
    fitting = [t for t in known if _fits(t, envs)]
    if fitting:
        if len(allowed) > 1:
            ctx.warnings.add(
                f"{where}.InstanceRequirements",
                f"lambdasim runs one instance type per capacity provider: {fitting[0]}",
            )
        return fitting[0]
    name = _default_type(ratio, envs, excluded)
    if not arch.startswith(INSTANCE_TYPES[name].architecture):
        ctx.warnings.add(
            f"{where}.InstanceRequirements.Architectures",
            f"{arch}: lambdasim's price table has {INSTANCE_TYPES[name].architecture} "
            "(Graviton) instance types only; one of those stands in",
        )
    why = (
        "the allowed instance types are not in lambdasim's price table"
        if allowed
        else "AWS chooses the instance types (the template names none)"
    )
    ctx.placeholder(path, f"{why}: the smallest {name[:3]} type the environments fit on")
    return name


def _scaling(ctx: Context, props: dict[str, Any], where: str) -> dict[str, float]:
    """``target_cpu_utilization`` (a fraction) from the SAM or CloudFormation scaling block."""
    pct: float | None = None
    sam = props.get("ScalingConfig")
    cfn = props.get("CapacityProviderScalingConfig")
    if isinstance(sam, dict) and "AverageCPUUtilization" in sam:
        w = f"{where}.ScalingConfig.AverageCPUUtilization"
        pct = _num(ctx, sam["AverageCPUUtilization"], w)
    elif isinstance(cfn, dict):
        for i, p in enumerate(cfn.get("ScalingPolicies") or []):
            if isinstance(p, dict) and p.get("PredefinedMetricType") == _CPU_METRIC:
                w = f"{where}.CapacityProviderScalingConfig.ScalingPolicies.{i}.TargetValue"
                pct = _num(ctx, p.get("TargetValue"), w)
                break
    if pct is None:
        ctx.notes.append(
            f"{where}: no CPU utilization target; AWS chooses one and does not publish it "
            "(lambdasim assumes 50 %: capacity_providers.*.scaling.target_cpu_utilization)"
        )
        return {}
    if not 0 < pct <= 100:
        ctx.warnings.add(where, f"CPU utilization target {pct:g} % is outside (0, 100]; 50 % used")
        return {}
    return {"target_cpu_utilization": pct / 100.0}


def _provider_props(ctx: Context, lid: str) -> dict[str, Any]:
    """The properties of capacity provider ``lid``: the ones read resolved, the others kept as
    written (VPC, role, KMS key: their intrinsics would only cause warnings)."""
    raw = ctx.template.resources[lid].get("Properties") or {}
    if not isinstance(raw, dict):
        ctx.warnings.add(f"Resources.{lid}.Properties", "not a mapping; ignored")
        return {}
    read = {k: v for k, v in raw.items() if k in _READ}
    out = ctx.resolver.resolve(read, f"Resources.{lid}.Properties")
    return {**{k: None for k in raw if k not in _READ}, **(out if isinstance(out, dict) else {})}


def _provider(ctx: Context, cp: str, lid: str | None, fns: list[str]) -> dict[str, Any]:
    """The ``capacity_providers.CP`` block of resource ``lid`` (None: outside the template)."""
    envs = [_env(ctx.functions[f]) for f in fns]
    ratio = max(
        float(ctx.functions[f]["managed_instances"].get("memory_gib_per_vcpu", 2.0)) for f in fns
    )
    props = _provider_props(ctx, lid) if lid is not None else {}
    where = f"Resources.{lid}.Properties" if lid is not None else f"capacity provider {cp}"
    out: dict[str, Any] = {
        "instance_type": _instance_type(
            ctx, cp, props.get("InstanceRequirements"), envs, ratio, where
        )
    }
    scaling = props.get("ScalingConfig") or props.get("CapacityProviderScalingConfig")
    raw = scaling.get("MaxVCpuCount") if isinstance(scaling, dict) else None
    block = "ScalingConfig" if "ScalingConfig" in props else "CapacityProviderScalingConfig"
    w = f"{where}.{block}"
    vcpus = _int(ctx, raw, f"{w}.MaxVCpuCount", "MaxVCpuCount")
    spec = INSTANCE_TYPES[out["instance_type"]]
    if vcpus is None:
        ctx.notes.append(f"{where}: no MaxVCpuCount; lambdasim's default of 400 vCPUs is used")
        vcpus = 400
    elif not 2 <= vcpus <= 15000:
        ctx.warnings.add(f"{w}.MaxVCpuCount", f"{vcpus} is outside 2–15,000; clamped")
        vcpus = min(15000, max(2, vcpus))
    # room for three instances (AZ resiliency) and the minimum environments of its functions,
    # each instance keeping 1 vCPU for itself (the checks of config/execution_checks.py)
    floor = sum(
        ctx.functions[f]["managed_instances"].get("min_environments", 3) * v
        for f, (v, _) in zip(fns, envs, strict=True)
    )
    need = max(MIN_INSTANCES, math.ceil(floor / (spec.vcpus - 1))) * spec.vcpus
    if vcpus < need:
        ctx.warnings.add(
            f"{w}.MaxVCpuCount",
            f"{vcpus} vCPUs do not hold {need // spec.vcpus} {spec.name} instances (at least "
            f"{MIN_INSTANCES} for AZ resiliency, and room for the minimum environments); "
            f"{need} used",
        )
        vcpus = min(15000, need)
    out["max_vcpus"] = vcpus
    scal = _scaling(ctx, props, where)
    if scal:
        out["scaling"] = scal
    for k in props:
        if k not in _READ and k not in _IRRELEVANT:
            ctx.warnings.add(f"{where}.{k}", "not understood; ignored")
    return out


def _target(ctx: Context, value: Any, where: str) -> tuple[str, str | None] | None:
    """(scenario name, resource id or None) of the capacity provider ``value`` refers to."""
    cp = ctx.target(value, where, CAPACITY_PROVIDER_TYPES)
    if cp is not None:
        return cp, cp
    name = ctx.external_name(value)
    if name is None:
        ctx.warnings.add(
            where, f"capacity provider {value} cannot be resolved; standard Lambda used"
        )
        return None
    ctx.warnings.add(
        where,
        f"capacity provider '{name}' is not declared in this template; lambdasim's settings used",
    )
    return name, None


def _function(ctx: Context, lid: str, cpc: dict[str, Any]) -> tuple[str, str | None] | None:
    """Set ``functions.LID.managed_instances``; the capacity provider it runs on."""
    props, fn = ctx.props(lid), ctx.functions[lid]
    base = ctx.where(lid, "CapacityProviderConfig")
    inner, arn_key = cpc, "Arn"
    if isinstance(cpc.get("LambdaManagedInstancesCapacityProviderConfig"), dict):
        inner = cpc["LambdaManagedInstancesCapacityProviderConfig"]
        base += ".LambdaManagedInstancesCapacityProviderConfig"
        arn_key = "CapacityProviderArn"
    runtime = props.get("Runtime")
    if isinstance(runtime, str):
        try:
            lmi_runtime_family(runtime)
        except ValueError as exc:
            ctx.warnings.add(
                ctx.where(lid, "Runtime"), f"AWS rejects this: {exc}; standard Lambda used"
            )
            return None
    target = _target(ctx, inner.get(arn_key), f"{base}.{arn_key}")
    if target is None:
        return None
    mi: dict[str, Any] = {"capacity_provider": target[0]}
    ratio = _num(
        ctx,
        inner.get("ExecutionEnvironmentMemoryGiBPerVCpu"),
        f"{base}.ExecutionEnvironmentMemoryGiBPerVCpu",
    )
    if ratio is not None:
        if ratio not in (2.0, 4.0, 8.0):
            ctx.warnings.add(
                f"{base}.ExecutionEnvironmentMemoryGiBPerVCpu",
                f"{ratio:g}: AWS supports 2, 4 or 8 GiB per vCPU",
            )
        mi["memory_gib_per_vcpu"] = min(8.0, max(2.0, ratio))
    w = f"{base}.PerExecutionEnvironmentMaxConcurrency"
    conc = _int(ctx, inner.get("PerExecutionEnvironmentMaxConcurrency"), w, "concurrency")
    if conc is not None:
        mi["max_concurrency_per_environment"] = min(1600, max(1, conc))
    elif not isinstance(runtime, str):
        mi["max_concurrency_per_environment"] = 16
        ctx.placeholder(
            f"functions.{lid}.managed_instances.max_concurrency_per_environment",
            "no runtime in the template: AWS's default concurrency per vCPU depends on it",
        )
    fsc = props.get("FunctionScalingConfig")
    if isinstance(fsc, dict):
        w = ctx.where(lid, "FunctionScalingConfig")
        lo = _int(
            ctx, fsc.get("MinExecutionEnvironments"), f"{w}.MinExecutionEnvironments", "minimum"
        )
        hi = _int(
            ctx, fsc.get("MaxExecutionEnvironments"), f"{w}.MaxExecutionEnvironments", "maximum"
        )
        if lo is not None:
            mi["min_environments"] = min(15000, max(0, lo))
        floor = mi.get("min_environments", 3)  # the schema's default: AWS starts three
        if hi is not None and hi >= 1:
            mi["max_environments"] = min(15000, max(hi, floor))
            if hi < floor:
                ctx.warnings.add(
                    w, f"MaxExecutionEnvironments {hi} is below the minimum {floor}; {floor} used"
                )
        elif hi is not None:
            ctx.warnings.add(
                f"{w}.MaxExecutionEnvironments", f"{hi}: no environment could run; ignored"
            )
    raw_mem = _int(ctx, props.get("MemorySize"), ctx.where(lid, "MemorySize"), "MemorySize")
    if raw_mem is not None and raw_mem > 10240:
        mi["memory_gib"] = min(32.0, raw_mem / 1024.0)
    elif fn["memory_mb"] < 2048:
        mi["memory_gib"] = 2.0
        ctx.placeholder(
            f"functions.{lid}.managed_instances.memory_gib",
            f"MemorySize {fn['memory_mb']} MB is below the 2 GB an LMI environment needs: "
            "2 GiB assumed",
        )
    fn["managed_instances"] = mi
    _incompatible(ctx, lid, fn)
    return target


def _incompatible(ctx: Context, lid: str, fn: dict[str, Any]) -> None:
    """Drop what lambdasim refuses on a capacity provider, with a warning each."""
    for key, what in (
        ("provisioned_concurrency", "provisioned concurrency"),
        ("reserved_concurrency", "reserved concurrency"),
    ):
        if fn.pop(key, None) is not None:
            ctx.warnings.add(
                f"Resources.{lid}",
                f"{what} on Lambda Managed Instances is not modelled (environments are started by "
                "the capacity provider; min_environments keeps them warm); ignored",
            )
    if fn.get("cold_start") == {"preset": "java-snapstart"}:
        fn["cold_start"] = {"preset": "java"}
        fn["runtime"] = str(fn["runtime"]).removesuffix("-snapstart")
        ctx.warnings.add(
            ctx.where(lid, "SnapStart"), "LMI functions do not cold-start; SnapStart ignored"
        )


def translate_managed_instances(ctx: Context) -> None:
    """Fill ``ctx.capacity_providers`` and ``functions.*.managed_instances``."""
    uses: dict[str, tuple[str | None, list[str]]] = {}
    for lid in ctx.of_type(*FUNCTION_TYPES):
        props = ctx.props(lid)
        cpc = props.get("CapacityProviderConfig")
        if not isinstance(cpc, dict):
            if props.get("FunctionScalingConfig"):
                ctx.warnings.add(
                    ctx.where(lid, "FunctionScalingConfig"),
                    "applies to Lambda Managed Instances only; ignored",
                )
            continue
        target = _function(ctx, lid, cpc)
        if target is not None:
            uses.setdefault(target[0], (target[1], []))[1].append(lid)
    for cp, (res, fns) in uses.items():
        ctx.capacity_providers[cp] = _provider(ctx, cp, res, fns)
    for lid in ctx.of_type(*CAPACITY_PROVIDER_TYPES):
        if lid not in uses:
            ctx.notes.append(
                f"Resources.{lid}: no function runs on this capacity provider; left out"
            )
