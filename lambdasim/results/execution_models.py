"""Result blocks, series and charges of the 2024–2026 execution models (issue 19).

:func:`add_execution_models` is called by :meth:`RunResult.build
<lambdasim.results.run.RunResult.build>` with the function blocks and the series list, and
:func:`add_execution_model_costs` once the Lambda cost is in the blocks; both are no-ops for
functions that use none of these models. They add, per function:

* ``managed_instances`` — environments, concurrency per environment, CPU utilisation, the
  fleet's instances and the function's share of the fleet's EC2 + management-fee bill
  (by the vCPU-seconds its environments held); the row's ``cost_usd.total`` includes it and no
  GB-s (LMI has none);
* ``tenancy`` — tenants seen, cold starts and invocations per tenant as distributions, the
  environments created and their isolation charge;
* ``snapstart`` — restores, and the cache and restore charges (Python / .NET);

and the series ``LmiReadyEnvironments``, ``LmiCPUUtilization`` (per function) and
``Instances`` / ``CPUUtilization`` (``capacity_provider:NAME``). The extra charges go into
``cost_usd`` under their own keys, so the summary's ``cost_usd`` compares row by row, and
:func:`add_execution_model_charges` adds them as columns to the cost tables of
``RunResult.cost``, ``cost_with()`` and ``monthly_cost()`` (each row's ``total_usd`` then
includes them, as ``cost_usd.total`` does).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from lambdasim.config import Scenario
from lambdasim.config.snapstart import SnapStartColdStart
from lambdasim.cost.lambda_ import CostRows
from lambdasim.cost.managed_instances import (
    ExecutionModelPrices,
    lmi_cost,
    load_execution_model_prices,
    snapstart_cost,
    tenancy_cost,
)
from lambdasim.metrics import RunMetrics, period_stats, window_stats
from lambdasim.metrics.managed_instances import FleetMetrics, ManagedInstancesMetrics
from lambdasim.metrics.tenancy import TenantIsolatedMetrics
from lambdasim.periods import Periods
from lambdasim.results.frames import long_frame

__all__ = [
    "add_execution_model_charges",
    "add_execution_model_costs",
    "add_execution_models",
    "fleet_share",
]

_MONTH_S = 30 * 86400.0


def add_execution_models(
    funcs: dict[str, dict[str, Any]],
    series: list[tuple[Callable[..., pd.DataFrame], tuple[Any, ...]]],
    metrics: RunMetrics,
    scenario: Scenario,
) -> None:
    """Add the blocks of LMI, tenant isolation and SnapStart to ``funcs`` and their series to
    ``series`` (``(function, arguments)`` pairs, built on demand), in place."""
    uses = [
        isinstance(m, ManagedInstancesMetrics | TenantIsolatedMetrics)
        or isinstance(scenario.functions[n].cold_start, SnapStartColdStart)
        for n, m in metrics.functions.items()
    ]
    if not any(uses):
        return
    prices = load_execution_model_prices()
    periods = metrics.periods
    fleets: dict[str, FleetMetrics] = {}
    for name, m in metrics.functions.items():
        f = funcs[name]
        fn = scenario.functions[name]
        if isinstance(m, ManagedInstancesMetrics):
            f["managed_instances"] = _lmi_block(m, scenario, prices, periods)
            fleets[m.fleet.name] = m.fleet
            series.append((_lmi_series, (name, m, periods)))
        if isinstance(m, TenantIsolatedMetrics):
            f["tenancy"] = _tenancy_block(m, fn.architecture, prices, periods.window_s)
        if isinstance(fn.cold_start, SnapStartColdStart):
            f["snapstart"] = _snapstart_block(m.cold_starts, fn, prices, periods)
    for cp, fm in fleets.items():
        series.append((_fleet_series, (cp, fm, periods)))


def add_execution_model_costs(funcs: dict[str, dict[str, Any]]) -> None:
    """Add the charges of the blocks of :func:`add_execution_models` to each function's
    ``cost_usd`` (its own key, and the total), once the Lambda cost is there."""
    for f in funcs.values():
        cost = f.get("cost_usd")
        if cost is None or any(
            k in cost for k in ("managed_instances", "tenant_isolation", "snapstart")
        ):
            continue  # no cost yet, or added already
        extra = []
        if "managed_instances" in f:
            cost["managed_instances"] = f["managed_instances"]["cost_usd"]["total"]
            extra.append(cost["managed_instances"])
        if "tenancy" in f:
            cost["tenant_isolation"] = charge = f["tenancy"]["isolation_charge_usd"]
            extra.append(charge if charge is not None else 0.0)
        if "snapstart" in f:
            cost["snapstart"] = f["snapstart"]["cost_usd"]["total"]
            extra.append(cost["snapstart"])
        if extra:
            cost["total"] = math.fsum((cost["total"], *extra))


def add_execution_model_charges(
    rows: CostRows, funcs: dict[str, dict[str, Any]], *, days: float | None = None
) -> CostRows:
    """``rows`` (a Lambda cost table) with each function's execution-model charges.

    One column per charge that some function has (``managed_instances_usd``,
    ``tenant_isolation_usd``, ``snapstart_usd``, before ``total_usd``; 0 for the functions
    without it, NaN for a charge with no price), and each ``total_usd`` including them. With
    ``days`` None the run's charges (``cost_usd`` of the blocks; under the scenario's own
    pricing table ``total_usd`` is then the ``cost_usd.total`` of
    :func:`add_execution_model_costs`, number for number), else the projected ones (the
    blocks' ``monthly_cost_usd``, 30 days, scaled to ``days``). ``rows`` itself when no
    function has any.
    """
    charges: dict[str, dict[str, float | None]] = {}  # block -> function -> USD
    for name in rows.functions:
        f = funcs[name]
        for block in _CHARGED:
            if block in f:
                usd = _charge(f, block) if days is None else f[block]["monthly_cost_usd"]
                if usd is not None and days is not None:
                    usd = usd * days / 30.0
                charges.setdefault(block, {})[name] = usd
    if not charges:
        return rows
    columns = {k: v for k, v in rows.columns.items() if k != "total_usd"}
    dtypes = dict(rows.dtypes)
    for block in _CHARGED:
        if block in charges:
            amounts = charges[block]
            col = _CHARGE_COLUMNS[block]
            columns[col] = [_nan(amounts.get(n, 0.0)) for n in rows.functions]
            dtypes[col] = "float64"
    total = list(rows.columns["total_usd"])
    for i, name in enumerate(rows.functions):
        f = funcs[name]
        if days is None:  # as add_execution_model_costs sums them: the JSON's number, bit for bit
            extra = [_zero(a[name]) for b, a in charges.items() if name in a]
            if extra:
                total[i] = math.fsum((float(total[i]), *extra))
            continue
        month = [f[b]["monthly_cost_usd"] for b in _CHARGED if b in f]
        month = [p for p in month if p is not None]
        if month:  # the month's charges summed, scaled to ``days``, then added to the total
            total[i] = math.fsum((float(total[i]), math.fsum(month) * days / 30.0))
    columns["total_usd"] = total
    dtypes["total_usd"] = "float64"
    return CostRows(rows.functions, columns, dtypes, dict(rows.attrs))


def _charge(f: dict[str, Any], block: str) -> float | None:
    # The run's charge of one block, as add_execution_model_costs reads it.
    if block == "tenancy":
        charge: float | None = f["tenancy"]["isolation_charge_usd"]
        return charge
    return float(f[block]["cost_usd"]["total"])


def _nan(x: float | None) -> float:
    return math.nan if x is None else x


def _zero(x: float | None) -> float:
    return 0.0 if x is None else x


#: Blocks that carry a charge, in the order they are added.
_CHARGED = ("managed_instances", "tenancy", "snapstart")
#: The cost table's column of each block's charge (the key in ``cost_usd``, plus ``_usd``).
_CHARGE_COLUMNS = {
    "managed_instances": "managed_instances_usd",
    "tenancy": "tenant_isolation_usd",
    "snapstart": "snapstart_usd",
}


def fleet_share(m: ManagedInstancesMetrics, periods: Periods) -> float:
    """The function's share of its fleet's bill: its environments' vCPU-seconds over the
    vCPU-seconds of every environment on the fleet (1.0 for a fleet of one function)."""
    mine = window_stats(m.environments, periods)[0] * m.vcpus
    every = sum(window_stats(g.environments, periods)[0] * g.vcpus for g in m.fleet.functions)
    if len(m.fleet.functions) == 1:
        return 1.0
    return mine / every if every > 0 else 1.0 / len(m.fleet.functions)


def _lmi_block(
    m: ManagedInstancesMetrics,
    scenario: Scenario,
    prices: ExecutionModelPrices,
    periods: Periods,
) -> dict[str, Any]:
    fm = m.fleet
    cfg = scenario.capacity_providers[fm.name]
    price_h = cfg.price.on_demand_usd_per_hour
    if price_h is None:
        price_h = prices.managed_instances.instances_usd_per_hour[fm.instance_type]
    inst_s = fm.instance_seconds()
    fleet = lmi_cost(
        inst_s, price_h, 0.0, prices, savings_plan_discount=cfg.price.savings_plan_discount
    )
    share = fleet_share(m, periods)
    c_mean, c_max = window_stats(m.concurrency, periods)
    e_mean, e_max = window_stats(m.environments, periods)
    r_mean, r_max = window_stats(m.ready, periods)
    i_mean, i_max = window_stats(fm.instances, periods)
    cpu = c_mean * m.cpu_per_request / (r_mean * m.vcpus) if r_mean > 0 else None
    fleet_cpu_used = sum(
        window_stats(g.concurrency, periods)[0] * g.cpu_per_request for g in fm.functions
    )
    ec2 = fleet.ec2_usd * share
    fee = fleet.management_fee_usd * share
    month = _MONTH_S / periods.window_s
    return {
        "capacity_provider": fm.name,
        "instance_type": fm.instance_type,
        "environment_vcpus": m.vcpus,
        "slots_per_environment": m.slots,
        "environments": {"mean": e_mean, "max": e_max},
        "ready_environments": {"mean": r_mean, "max": r_max},
        "concurrency_per_environment_mean": c_mean / r_mean if r_mean > 0 else None,
        "concurrency_max": c_max,
        "cpu_utilization_mean": cpu,
        "fleet": {
            "instances_mean": i_mean,
            "instances_max": i_max,
            "instance_seconds": inst_s,
            "launches": fm.launches,
            "terminations": fm.terminations,
            "cpu_utilization_mean": fleet_cpu_used / (i_mean * fm.vcpus) if i_mean > 0 else None,
            "on_demand_usd_per_hour": price_h,
            "cost_usd": {"ec2": fleet.ec2_usd, "management_fee": fleet.management_fee_usd},
        },
        "fleet_share": share,
        "cost_usd": {"ec2": ec2, "management_fee": fee, "total": math.fsum((ec2, fee))},
        "monthly_cost_usd": math.fsum((ec2, fee)) * month,
    }


def _quantiles(x: np.ndarray) -> dict[str, float | None]:
    if x.size == 0:
        return {"mean": None, "p50": None, "p90": None, "p99": None, "max": None}
    q = np.quantile(x, [0.5, 0.9, 0.99])
    return {
        "mean": float(x.mean()),
        "p50": float(q[0]),
        "p90": float(q[1]),
        "p99": float(q[2]),
        "max": float(x.max()),
    }


def _tenancy_block(
    m: TenantIsolatedMetrics, architecture: str, prices: ExecutionModelPrices, window_s: float
) -> dict[str, Any]:
    inv = m.tenant_invocations
    active = inv > 0
    rate = m.tenant_cold_starts[active] / inv[active]
    created = m.environments_created
    charge = tenancy_cost(m.memory_mb, created, architecture, prices)
    return {
        "tenants": m.tenants,
        "tenants_active": int(active.sum()),
        "invocations_per_tenant": _quantiles(inv[active].astype(np.float64)),
        "cold_starts_per_tenant": _quantiles(m.tenant_cold_starts[active].astype(np.float64)),
        "cold_start_rate_per_tenant": _quantiles(rate.astype(np.float64)),
        "environments_end_per_tenant": _quantiles(
            m.tenant_environments_end[active].astype(np.float64)
        ),
        "environments_created": created,
        "environment_gb_created": created * m.memory_mb / 1024.0,
        "isolation_charge_usd": charge,
        "monthly_cost_usd": None if charge is None else charge * _MONTH_S / window_s,
    }


def _snapstart_block(
    restores: int, fn: Any, prices: ExecutionModelPrices, periods: Periods
) -> dict[str, Any]:
    billed = SnapStartColdStart.billed(fn.runtime)
    cache, restore = snapstart_cost(fn.memory_mb, periods.window_s, restores, prices)
    month_cache, _ = snapstart_cost(fn.memory_mb, _MONTH_S, 0, prices, minimum=False)
    if not billed:  # Java SnapStart: no extra charge
        cache = restore = month_cache = 0.0
    month = _MONTH_S / periods.window_s
    return {
        "restores": restores,
        "charged": billed,
        "cost_usd": {"cache": cache, "restore": restore, "total": math.fsum((cache, restore))},
        "monthly_cost_usd": month_cache + restore * month,
    }


def _lmi_series(name: str, m: ManagedInstancesMetrics, periods: Periods) -> pd.DataFrame:
    r_mean, r_max = period_stats(m.ready, periods)
    c_mean, _ = period_stats(m.concurrency, periods)
    ready = np.asarray(r_mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        cpu = np.asarray(c_mean) * m.cpu_per_request / (ready * m.vcpus)
    return long_frame(
        name,
        periods.starts(),
        {
            "LmiReadyEnvironments": r_max,
            "LmiReadyEnvironmentsMean": ready,
            "LmiCPUUtilization": cpu,
        },
    )


def _fleet_series(cp: str, fm: FleetMetrics, periods: Periods) -> pd.DataFrame:
    i_mean, i_max = period_stats(fm.instances, periods)
    used = np.zeros(periods.n)
    for g in fm.functions:
        c_mean, _ = period_stats(g.concurrency, periods)
        used += np.asarray(c_mean) * g.cpu_per_request
    inst = np.asarray(i_mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        cpu = used / (inst * fm.vcpus)
    return long_frame(
        f"capacity_provider:{cp}",
        periods.starts(),
        {"Instances": i_max, "InstancesMean": inst, "CPUUtilization": cpu},
    )
