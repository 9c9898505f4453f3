"""Warnings a careful engineer would give about a valid scenario (``lambdasim validate``).

Errors (the configuration cannot be simulated, or AWS rejects it) live in :mod:`.config`; these
are legal but probably not what the user meant.
"""

from __future__ import annotations

import numpy as np

from lambdasim.coldstart import PACKAGE_LIMIT_ZIPPED_MB, preset_percentiles, runtime_family
from lambdasim.config import (
    AsyncConfig,
    ConfigIssue,
    ConstantArrivals,
    PoissonArrivals,
    Scenario,
    TraceArrivals,
)
from lambdasim.config.errors import MISSING
from lambdasim.config.event_sources import ProvisionedMode
from lambdasim.config.placeholders import placeholder_warnings
from lambdasim.config.snapstart import SnapStartColdStart
from lambdasim.config.tenancy import idle_out_share, own_tenants

__all__ = [
    "KEEP_ALIVE_MEASURED_S",
    "async_warnings",
    "execution_model_warnings",
    "scenario_warnings",
    "sqs_warnings",
    "trace_errors",
]

#: Idle keep-alive AWS has been measured to use, seconds: 300–360 s (CIRRUS probes, 2025) up to
#: about 65 min (cloudbench, 2019) — aws-lambda-behaviour.md §1.4, validation.md §3.
KEEP_ALIVE_MEASURED_S = (300.0, 3900.0)

_SAMPLES = 200_000


def _quantile(dist: object, q: float, seed: int = 0) -> float:
    g = np.random.Generator(np.random.PCG64(seed))
    return float(np.quantile(dist.sample(g, _SAMPLES), q))  # type: ignore[attr-defined]


def scenario_warnings(sc: Scenario) -> list[ConfigIssue]:
    """Legal settings that are probably mistakes, each with the field path and the value."""
    out: list[ConfigIssue] = []
    lo, hi = KEEP_ALIVE_MEASURED_S
    for name, fn in sc.functions.items():
        base = f"functions.{name}"
        dur = fn.duration.build()
        p99 = _quantile(dur, 0.99) * fn.duration_factor()
        if fn.timeout_s < p99:
            out.append(
                ConfigIssue(
                    f"{base}.timeout_s",
                    f"timeout is below the handler duration's p99 ({p99:.3g} s at "
                    f"{fn.memory_mb} MB): more than 1 % of invokes will time out",
                    fn.timeout_s,
                )
            )
        ka = fn.keep_alive_s.build()
        if not lo <= ka.mean <= hi:
            out.append(
                ConfigIssue(
                    f"{base}.keep_alive_s",
                    f"mean keep-alive {ka.mean:g} s is outside what AWS has been measured to do "
                    f"({lo:g}–{hi:g} s; aws-lambda-behaviour.md §1.4)",
                    ka.mean,
                )
            )
        if fn.reserved_concurrency == 0:
            out.append(
                ConfigIssue(
                    f"{base}.reserved_concurrency",
                    "reserved concurrency 0 throttles every invocation of this function",
                    0,
                )
            )
        init = fn.cold_start_dist()
        if fn.init_limit_s is not None:
            p99i = _quantile(init, 0.99, seed=1)
            if p99i > fn.init_limit_s:
                out.append(
                    ConfigIssue(
                        f"{base}.cold_start",
                        f"INIT p99 ({p99i:.3g} s) exceeds the {fn.init_limit_s:g} s on-demand INIT "
                        "limit: those cold starts time out and re-run INIT inside the invoke "
                        "(aws-lambda-behaviour.md §1.2)",
                        p99i,
                    )
                )
        if fn.package_mb is not None and fn.package_mb > PACKAGE_LIMIT_ZIPPED_MB:
            out.append(
                ConfigIssue(
                    f"{base}.package_mb",
                    f"a zip above the {PACKAGE_LIMIT_ZIPPED_MB:g} MB direct-upload limit must be "
                    "deployed through S3, and must still unzip to 250 MB or less "
                    "(aws-lambda-behaviour.md §3)",
                    fn.package_mb,
                )
            )
    # Offered load against the concurrency each function can get, by invocation type: the
    # same overload throttles sync requests but makes async events wait.
    unreserved = sc.account.concurrency - sum(
        f.reserved_concurrency or 0 for f in sc.functions.values()
    )
    load: dict[str, float] = {}
    by_type: dict[str, dict[str, float]] = {}
    for w in sc.workloads:
        a = w.arrivals
        if w.target in sc.functions and isinstance(a, PoissonArrivals | ConstantArrivals):
            fn = sc.functions[w.target]
            erl = a.rate_per_s * (fn.duration.build().mean * fn.duration_factor())
            load[w.target] = load.get(w.target, 0.0) + erl
            kinds = by_type.setdefault(w.target, {})
            kinds[w.invocation] = kinds.get(w.invocation, 0.0) + erl
    for name, a_erl in load.items():
        rc = sc.functions[name].reserved_concurrency
        limit = rc if rc is not None else unreserved
        if limit > 0 and a_erl > limit:
            head = (
                f"offered load {a_erl:.4g} concurrent executions (rate × mean duration) "
                f"exceeds the {limit} available"
            )
            for invocation in by_type[name]:
                text = _sync_overload(rc) if invocation == "sync" else _async_overload(sc, name)
                out.append(ConfigIssue(f"functions.{name}", f"{head}: {text}", round(a_erl, 3)))
    return [
        *placeholder_warnings(sc),  # values an importer marked "# PLACEHOLDER" in the file
        *out,
        *async_warnings(sc),
        *sqs_warnings(sc),
        *provisioned_warnings(sc, load),
        *execution_model_warnings(sc),
    ]


def _sync_overload(rc: int | None) -> str:
    """What an overloaded sync function does, and the remedies.

    Sync requests above the limit get a 429 with no retry by Lambda; the caller decides
    (aws-lambda-behaviour.md §5; AWS Knowledge Center "lambda-troubleshoot-throttling",
    https://repost.aws/knowledge-center/lambda-troubleshoot-throttling; the Lambda guide's
    answer to throttled APIs is an SQS queue in front of the function, README "An SQS buffer
    in numbers").
    """
    concurrency = (
        f"more reserved concurrency (now {rc})"
        if rc is not None
        else "reserved concurrency to guarantee it a share of the account (within the quota)"
    )
    return (
        "a large share of sync requests will be throttled (429; Lambda does not retry them). "
        f"Remedies: an account concurrency quota increase (account.concurrency); {concurrency}; "
        "provisioned concurrency where bursts outrun the scaling rate (it counts within the "
        "same limit); an SQS buffer in front (a 'queue:NAME' target polled by an SQS trigger "
        "of this function) so the excess waits instead of failing; or client back-off and "
        "retry (workloads[].client_retry)"
    )


def _async_overload(sc: Scenario, name: str) -> str:
    """What an overloaded async function does (nothing is throttled back to the caller).

    Lambda returns throttled events to the function's internal queue and retries them for up
    to the maximum event age, then sends them to the failure path (aws-lambda-behaviour.md §5,
    §6; Lambda guide "invocation-async-error-handling",
    https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
    """
    a = sc.functions[name].async_
    max_age = a.max_event_age_s if a is not None else AsyncConfig().max_event_age_s
    if a is not None and a.on_failure is not None:
        path = f"its on-failure destination ({a.on_failure.label})"
    elif a is not None and a.dead_letter is not None:
        path = f"its DLQ (queue:{a.dead_letter.queue})"
    else:
        path = "the failure path: with no dead_letter or on_failure they are dropped"
    return (
        "async events are accepted and wait in the function's internal queue instead of "
        "being rejected: their age (AsyncEventAge) grows, and events older than "
        f"max_event_age_s ({max_age:g} s) expire to {path}. Remedies: more concurrency "
        "(reserved concurrency or an account quota increase), or a longer max_event_age_s "
        "(at most 21,600 s) if the backlog drains in time"
    )


def async_warnings(sc: Scenario) -> list[ConfigIssue]:
    """Async set-ups that lose events silently or loop (aws-lambda-behaviour.md §6, §12)."""
    out: list[ConfigIssue] = []
    invoked_async = {w.target for w in sc.workloads if w.invocation == "async"}
    for fn in sc.functions.values():
        a = fn.async_
        if a is None:
            continue
        for d in (a.on_success, a.on_failure):
            if d is not None and d.function is not None:
                invoked_async.add(d.function)
    for name in sc.functions:
        if name not in invoked_async:
            continue
        a = sc.functions[name].async_
        if a is None or (a.dead_letter is None and a.on_failure is None):
            out.append(
                ConfigIssue(
                    f"functions.{name}.async",
                    "invoked asynchronously with no dead_letter or on_failure destination: events "
                    "that exhaust their retries or age out are dropped silently",
                    MISSING,
                )
            )
    for name, fn in sc.functions.items():
        a = fn.async_
        if a is None:
            continue
        targets: list[tuple[str, object]] = [
            ("dead_letter", a.dead_letter),
            ("on_failure", a.on_failure),
            ("on_success", a.on_success),
        ]
        for key, target in targets:
            q = getattr(target, "queue", None)
            if q is not None and q in sc.queues and sc.queues[q].kind == "fifo":
                out.append(
                    ConfigIssue(
                        f"functions.{name}.async.{key}.queue",
                        "FIFO queues cannot be async destinations or DLQs: every delivery fails "
                        "(aws-lambda-behaviour.md §6)",
                        q,
                    )
                )
    # on-success chains that come back to a function invoke it forever
    for start in sc.functions:
        seen, cur = [start], start
        while True:
            a = sc.functions[cur].async_
            nxt = a.on_success.function if a is not None and a.on_success is not None else None
            if nxt is None:
                break
            if nxt in seen:
                if nxt == start:
                    out.append(
                        ConfigIssue(
                            f"functions.{start}.async.on_success",
                            "on-success destinations form a loop ("
                            + " -> ".join([*seen, nxt])
                            + "): every success invokes the chain again; AWS's recursive-loop "
                            "detection stops each event after 16 invocations and sends it to "
                            "the failure path (RecursiveInvocationDetected) unless "
                            "recursive_loop: allow",
                            MISSING,
                        )
                    )
                break
            seen.append(nxt)
            cur = nxt
    return out


#: What happens when an SQS mapping pulls more batches than reserved concurrency admits.
_OVER_RESERVED = (
    "an SQS event source mapping does not respect reserved concurrency, so its pollers take "
    "more batches than the function may run; those batches are throttled, retried until the "
    "visibility timeout and come back with a receive counted, so with a redrive policy "
    "messages reach the DLQ without having run (queues.NAME.to_dlq_unprocessed)."
)


def sqs_warnings(sc: Scenario) -> list[ConfigIssue]:
    """SQS event source mappings set up against AWS's advice (aws-lambda-behaviour.md §7)."""
    out: list[ConfigIssue] = []
    for name, fn in sc.functions.items():
        t = fn.trigger.sqs if fn.trigger is not None else None
        if t is None or t.queue not in sc.queues:
            continue
        q = sc.queues[t.queue]
        advised = 6 * fn.timeout_s + t.max_batching_window_s
        if q.visibility_timeout_s < advised:
            out.append(
                ConfigIssue(
                    f"queues.{t.queue}.visibility_timeout_s",
                    f"below 6 x the timeout of '{name}' plus its batching window ({advised:g} s): "
                    "throttled or slow batches reappear and are processed twice (§7.3)",
                    q.visibility_timeout_s,
                )
            )
        # The mapping does not respect reserved concurrency (AWS Knowledge Center
        # "lambda-sqs-scaling", https://repost.aws/knowledge-center/lambda-sqs-scaling):
        # batches beyond it are throttled, retried until the visibility timeout, and return
        # with their receive counted (Lambda guide "services-sqs-errorhandling").
        rc = fn.reserved_concurrency
        path = f"functions.{name}.reserved_concurrency"
        if isinstance(t.mode, ProvisionedMode):
            floor = t.mode.provisioned.min_pollers * 10
            if rc is not None and rc < floor:
                out.append(
                    ConfigIssue(
                        path,
                        f"below the {floor} concurrent invokes of the mapping's "
                        f"{t.mode.provisioned.min_pollers} minimum pollers: "
                        + _OVER_RESERVED
                        + f" Raise reserved concurrency to at least {floor}, or lower "
                        "min_pollers (§7.5)",
                        rc,
                    )
                )
        elif rc is not None and t.max_concurrency is not None and rc < t.max_concurrency:
            out.append(
                ConfigIssue(
                    path,
                    f"below the mapping's max_concurrency ({t.max_concurrency}): "
                    + _OVER_RESERVED
                    + f" Set max_concurrency to at most the reserved concurrency ({rc}) or "
                    f"raise reserved concurrency to at least {t.max_concurrency} (§7.1)",
                    rc,
                )
            )
        elif rc is not None and t.max_concurrency is None and rc < 5:
            cap = " or set max_concurrency to at most it" if rc >= 2 else ""
            out.append(
                ConfigIssue(
                    path,
                    "below 5 with an SQS trigger and no max_concurrency: the mapping starts "
                    "with 5 concurrent batches; "
                    + _OVER_RESERVED
                    + f" AWS advises reserved concurrency of at least 5{cap} (§7.1)",
                    rc,
                )
            )
        if q.max_receive_count is not None and q.max_receive_count < 5:
            out.append(
                ConfigIssue(
                    f"queues.{t.queue}.max_receive_count",
                    "AWS advises at least 5 for a queue polled by Lambda (§7.3)",
                    q.max_receive_count,
                )
            )
    return out


def provisioned_warnings(sc: Scenario, load: dict[str, float]) -> list[ConfigIssue]:
    """PC far above the need, or below it at peak (aws-lambda-behaviour.md §9).

    The need is estimated from the offered load A = rate × mean duration of Poisson and
    constant workloads: concurrency is then Poisson with mean A (M/G/∞), and its 99th
    percentile is what PC must cover to leave (almost) no spillover.
    """
    out: list[ConfigIssue] = []
    for name, fn in sc.functions.items():
        pc = fn.provisioned_concurrency
        if pc is None or name not in load:
            continue
        # imported here, for a function with PC only: scipy takes ~0.5 s to import, which
        # every `lambdasim run` and `validate` of a scenario without PC paid
        from scipy import stats

        need = int(stats.poisson.ppf(0.99, load[name])) if load[name] > 0 else 0
        flat = pc.initial if not pc.schedule and pc.target_tracking is None else None
        path = f"functions.{name}.provisioned_concurrency"
        if flat is not None and flat > max(2 * need, need + 10):
            out.append(
                ConfigIssue(
                    path,
                    f"{flat} provisioned environments for a load that needs about {need} "
                    "(p99 of concurrency): most of them will be idle and billed",
                    flat,
                )
            )
        peak = pc.peak()
        if 0 < peak < need:
            out.append(
                ConfigIssue(
                    path,
                    f"at most {peak} provisioned environments for a load whose p99 "
                    f"concurrency is about {need}: requests spill over to on-demand (cold starts) "
                    "at peak",
                    peak,
                )
            )
    return out


def execution_model_warnings(sc: Scenario) -> list[ConfigIssue]:
    """LMI, tenant isolation and SnapStart set up so that they do little good (issue 19)."""
    out: list[ConfigIssue] = []
    for name, fn in sc.functions.items():
        base = f"functions.{name}"
        mi = fn.managed_instances
        if mi is not None and mi.min_environments < 3:
            out.append(
                ConfigIssue(
                    f"{base}.managed_instances.min_environments",
                    "below the 3 execution environments AWS starts, for Availability Zone "
                    'resiliency, before a version is ACTIVE (Lambda guide "Scaling Lambda '
                    "Managed Instances\"; SAM's default): keep at least 3 in production. LMI "
                    "starts no environment per request, so traffic beyond the ready ones is "
                    "throttled (429) until the asynchronous scaler adds environments",
                    mi.min_environments,
                )
            )
        if fn.tenant_isolation:
            out += _tenancy_warnings(sc, name)
        if isinstance(fn.cold_start, SnapStartColdStart) and fn.runtime is not None:
            family = runtime_family(fn.runtime)
            init_p50 = preset_percentiles(family, fn.architecture)[0]
            restore_p50 = _quantile(fn.cold_start_dist(), 0.5, seed=2)
            if restore_p50 > 0.95 * init_p50:  # not shorter, within sampling error and 5 %
                paid = (
                    " yet pays the cache and restore charges"
                    if fn.cold_start.billed(fn.runtime)
                    else ""
                )
                out.append(
                    ConfigIssue(
                        f"{base}.cold_start",
                        f"SnapStart does nothing for {fn.runtime} here{paid}: its restore (p50 "
                        f"{restore_p50:.3g} s) is not shorter than the runtime's INIT without it "
                        f"({family} preset, p50 {init_p50:.3g} s): remove snapstart"
                        + ("" if fn.cold_start.restore else " or give restore: a measured one"),
                        fn.runtime,
                    )
                )
    return out


def _tenancy_warnings(sc: Scenario, name: str) -> list[ConfigIssue]:
    """Tenants that mostly cold-start, and a function population nobody draws from.

    The share of cold starts is at least the idle-out share of the Poisson and constant
    workloads (:func:`~lambdasim.config.tenancy.idle_out_share`), tenant rates summed over the
    workloads (the same id is the same tenant).
    """
    fn = sc.functions[name]
    assert fn.tenants is not None
    mine = [w for w in sc.workloads if w.target == name]
    lam = np.zeros(max([fn.tenants.count] + [w.tenants.count for w in mine if w.tenants]))
    for w in mine:
        a = w.arrivals
        if isinstance(a, PoissonArrivals | ConstantArrivals) and own_tenants(w) != "tenant_column":
            weights = (w.tenants or fn.tenants).weights()
            lam[: weights.size] += a.rate_per_s * weights
    out = []
    total = float(lam.sum())
    if total > 0:
        mean_s = fn.duration.build().mean * fn.duration_factor()
        keep_s = fn.keep_alive_s.build().mean
        share = idle_out_share(lam / total, total, keep_s, mean_s)
        if share > 0.5:
            busy = lam[lam > 0]
            out.append(
                ConfigIssue(
                    f"functions.{name}.tenant_isolation",
                    f"at least {share:.0%} of invokes will be cold starts: {busy.size:,} "
                    f"tenants share {total:.3g} req/s (the busiest {busy.max():.3g}, the median "
                    f"{float(np.median(busy)):.3g} req/s) and each tenant's environments are "
                    f"its own, reclaimed after about {keep_s:g} s idle: most requests come "
                    "after their tenant's last environment was reclaimed (exp(-rate x (keep-"
                    "alive + duration)) per tenant); each cold start is also a new environment "
                    "billed the isolation charge",
                    MISSING,
                )
            )
    destination = any(
        d is not None and d.function == name
        for f in sc.functions.values()
        if f.async_ is not None
        for d in (f.async_.on_success, f.async_.on_failure)
    )
    if mine and not destination and all(own_tenants(w) is not None for w in mine):
        out.append(
            ConfigIssue(
                f"functions.{name}.tenants",
                "not used: every workload of this function brings its own tenants (a "
                "workload's tenants or tenant_column win over the function's)",
                MISSING,
            )
        )
    return out


def trace_errors(sc: Scenario) -> list[ConfigIssue]:
    """Trace files that do not exist: ``validate`` and ``run`` exit 2.

    (Workloads that bring tenants to a function not in tenant isolation mode are rejected by
    the cross-field checks: :func:`~lambdasim.config.tenancy.workload_tenancy_issues`.)
    """
    out: list[ConfigIssue] = []
    for i, w in enumerate(sc.workloads):
        if isinstance(w.arrivals, TraceArrivals):
            p = sc.resolve_path(w.arrivals.path)
            # azure2019 reads a directory; cloudwatch may name several pages with a glob
            if not (p.exists() or any(c in w.arrivals.path for c in "*?[")):
                out.append(
                    ConfigIssue(
                        f"workloads.{i}.arrivals.path", f"file not found: {p}", w.arrivals.path
                    )
                )
    return out
