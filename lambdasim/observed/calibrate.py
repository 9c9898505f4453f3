"""CloudWatch Logs → the parts of a scenario they can calibrate (``import logs``, ``--logs``).

* arrivals: the invocations replayed exactly (``format: cloudwatch_logs``, one workload per
  export, all on the same origin), with their recorded durations;
* handler duration: a distribution fitted to ``Duration`` (:func:`lambdasim.fit.duration`,
  chosen by AIC) for runs that do not replay the recorded durations, at ``memory_ref_mb`` =
  the logged ``Memory Size``; memory from ``Memory Size``;
* INIT: a lognormal fitted to ``Init Duration`` when there are at least
  :data:`MIN_INIT_SAMPLES` cold starts, else the runtime's preset (the runtime from the
  template, or from an ``INIT_START`` line);
* pricing: the newest shipped table in force at the logs' date, so that the INIT billing rule
  of that date applies (on-demand INIT billed from 2025-08-01, aws-lambda-behaviour.md §10.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lambdasim import coldstart, fit
from lambdasim.config.placeholders import dump_marked
from lambdasim.workload.observed import iso_ms, window
from lambdasim.workload.traces import CloudWatchLogs

__all__ = ["MIN_INIT_SAMPLES", "Draft", "calibrate", "from_logs", "nice_step", "table_for"]

#: Fewest cold starts fitted: below, a fitted INIT distribution is noise, the preset is used.
MIN_INIT_SAMPLES = 10
#: The order of the top-level keys of a written scenario.
_ORDER = (
    "version",
    "name",
    "seed",
    "horizon_s",
    "warmup_s",
    "start_time",
    "account",
    "pricing",
    "queues",
    "streams",
    "functions",
    "workloads",
    "output",
    "sweep",
)
_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 21600, 86400)


def nice_step(horizon_s: float, periods: int = 120) -> float:
    """The smallest round step (1 s … 1 day) giving at most ``periods`` periods."""
    for s in _STEPS:
        if horizon_s / s <= periods:
            return float(s)
    return float(_STEPS[-1])


def table_for(when: datetime) -> tuple[str, str]:
    """The id of the newest shipped pricing table in force at ``when``, and why."""
    from lambdasim import cost

    ids = cost.available_tables()
    dated = [(cost.load_table(i).effective_from, i) for i in ids]
    ok = sorted(d for d in dated if d[0] <= when.date())
    if ok:
        d, i = ok[-1]
        return i, f"pricing table {i} (in force from {d}, before the logs of {when.date()})"
    d, i = min(dated)
    rule = cost.load_table(i).billing_rules.init_billed_on_demand_from
    same = (when.date() < rule) == (d < rule)
    return i, (
        f"pricing table {i}, the oldest shipped (from {d}; the logs are of {when.date()})"
        + (f": both before on-demand INIT billing ({rule})" if same else "")
    )


def _memory(logs: CloudWatchLogs, notes: list[str]) -> int:
    sizes = sorted({int(m) for m in logs.memory_mb.tolist()})
    mem = int(logs.memory_mb[-1])
    if len(sizes) > 1:
        notes.append(f"the logs show Memory Size {sizes} MB; the latest, {mem} MB, used")
    return int(min(10240, max(128, mem)))


def _duration(logs: CloudWatchLogs, mem: int, notes: list[str]) -> dict[str, Any]:
    s = logs.duration_ms / 1000.0
    s = s[s > 0]
    f = fit.duration(s) if s.size >= 2 else None
    if f is None:
        v = float(s[0]) if s.size else 0.001
        return {"dist": "constant", "value_s": v, "memory_ref_mb": mem}
    notes.append(f"duration: {f.summary()} (fitted to Duration; recorded durations replay)")
    return {**f.to_config(), "memory_ref_mb": mem}


def _cold_start(logs: CloudWatchLogs, fn: dict[str, Any], notes: list[str]) -> bool:
    """Set ``cold_start`` (and ``runtime`` from INIT_START); True if it is still a preset."""
    if "runtime" not in fn and logs.runtime is not None:
        try:
            family = coldstart.runtime_family(logs.runtime)
        except ValueError:
            family = None
        if family is not None:
            fn["runtime"] = logs.runtime
            fn["cold_start"] = {"preset": family}
    init = logs.init_ms[logs.cold] / 1000.0
    if init.size >= MIN_INIT_SAMPLES and (init > 0).all():
        f = fit.duration(init, families=("lognormal",))
        fn["cold_start"] = f.to_config()
        notes.append(f"INIT: lognormal fitted to {init.size} Init Duration values ({f.summary()})")
        return False
    preset = fn.get("cold_start", {}).get("preset", "python")
    fn["cold_start"] = {"preset": preset}
    notes.append(
        f"INIT: {init.size} cold start(s) in the logs, fewer than {MIN_INIT_SAMPLES} to fit: "
        f"the {preset} preset is used"
    )
    return "runtime" not in fn


def calibrate(
    cfg: dict[str, Any],
    placeholders: dict[str, str],
    function: str,
    logs: CloudWatchLogs,
    paths: list[str],
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Calibrate ``function`` of a scenario (plain data) with its logs.

    Parameters
    ----------
    cfg : dict
        A scenario as plain data (from a template, or a skeleton); changed in place.
    placeholders : dict
        Its placeholders (dotted path → reason); the returned dict has the ones left.
    function : str
        The scenario function the logs belong to.
    logs : CloudWatchLogs
        The function's invocations.
    paths : list of str
        The exports as the written scenario names them (relative to it), one workload each.

    Returns
    -------
    tuple
        ``(cfg, placeholders, notes)``.
    """
    notes: list[str] = [f"logs: {logs.summary()}"]
    fn = cfg["functions"][function]
    mem = _memory(logs, notes)
    if fn.get("memory_mb", mem) != mem:
        notes.append(
            f"MemorySize {fn['memory_mb']} MB in the template, {mem} MB in the logs: the "
            "template's is kept; durations recorded at the logs' memory scale to it by "
            "duration.cpu_bound (0 = not at all)"
        )
    else:
        fn["memory_mb"] = mem
    fn["duration"] = _duration(logs, mem, notes)
    placeholders.pop(f"functions.{function}.duration", None)
    placeholders.pop(f"functions.{function}.cold_start", None)
    if _cold_start(logs, fn, notes):
        placeholders[f"functions.{function}.cold_start"] = (
            "INIT: too few cold starts in the logs and no runtime; the python preset"
        )
    longest = float(logs.duration_ms.max()) / 1000.0
    if fn.get("timeout_s") is None:
        fn["timeout_s"] = float(min(900, max(3, math.ceil(2 * longest))))
        placeholders[f"functions.{function}.timeout_s"] = "the logs do not say the timeout"
    elif fn["timeout_s"] < longest:
        notes.append(f"Duration up to {longest:.3g} s in the logs, above timeout_s")
    origin, horizon = window(logs)
    start_iso = iso_ms(origin)
    start = datetime.fromisoformat(start_iso.replace("Z", "+00:00"))
    trigger = fn.get("trigger") or {}
    old = cfg.get("workloads", [])
    direct = [i for i, w in enumerate(old) if w.get("target") == function]
    invocation = old[direct[0]].get("invocation", "sync") if direct else "sync"
    if trigger:
        notes.append(
            f"{function} is triggered by {', '.join(trigger)}: its logs count invocations "
            "(batches), not messages; the arrivals of its queue or stream stay to be set"
        )
        keep = list(range(len(old)))
        new: list[dict[str, Any]] = []
    else:
        keep = [i for i in range(len(old)) if i not in direct]
        new = [
            {
                "name": f"{function}-logs-{k}" if len(paths) > 1 else f"{function}-logs",
                "target": function,
                "invocation": invocation,
                "arrivals": {
                    "kind": "trace",
                    "format": "cloudwatch_logs",
                    "path": p,
                    "origin": start_iso,
                    "memory_mb": mem,
                    **({"on_bad_row": "skip"} if logs.malformed.count else {}),
                },
            }
            for k, p in enumerate(paths)
        ]
    remap = {old_i: new_i for new_i, old_i in enumerate(keep)}
    moved: dict[str, str] = {}
    for path, why in placeholders.items():
        parts = path.split(".")
        if parts[0] == "workloads":
            i = int(parts[1])
            if i in remap:
                moved[".".join(["workloads", str(remap[i]), *parts[2:]])] = why
        else:
            moved[path] = why
    cfg["workloads"] = [old[i] for i in keep] + new
    if new and not direct:
        moved[f"workloads.{len(keep)}.invocation"] = "the logs do not say how it was invoked"
    cfg["horizon_s"] = horizon
    cfg["start_time"] = start_iso
    table, why = table_for(start)
    cfg["pricing"] = {**cfg.get("pricing", {}), "table": table}
    notes.append(why)
    cfg["output"] = {**cfg.get("output", {}), "timeseries_step_s": nice_step(horizon)}
    cfg = {k: cfg[k] for k in _ORDER if k in cfg} | {
        k: v for k, v in cfg.items() if k not in _ORDER
    }
    return cfg, moved, notes


@dataclass
class Draft:
    """A written-to-be scenario: data, placeholders, and what the header says."""

    config: dict[str, Any]
    placeholders: dict[str, str]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_yaml(self, command: str) -> str:
        """YAML with a comment header (the command, notes, warnings) and placeholders marked."""
        head = [f"Imported by `{command}`"]
        head.append(
            f"{len(self.placeholders)} placeholder(s) to set (lines marked PLACEHOLDER; "
            "`lambdasim validate` lists them)."
        )
        if self.warnings:
            head.append(f"{len(self.warnings)} warning(s) while importing:")
            head += [f"  {w}" for w in self.warnings]
        head += [f"note: {n}" for n in self.notes]
        return dump_marked(self.config, self.placeholders, head)


def from_logs(logs: CloudWatchLogs, function: str, paths: list[str]) -> Draft:
    """A scenario of one function calibrated from its logs alone (``lambdasim import logs``).

    What logs cannot say is a placeholder: the timeout, how the function was invoked, and the
    INIT distribution when there are too few cold starts and no ``INIT_START`` runtime.
    """
    cfg: dict[str, Any] = {
        "version": 1,
        "name": f"{function}-logs"[:64],
        "seed": 1,
        "horizon_s": 60.0,
        "functions": {function: {}},
        "workloads": [],
    }
    cfg, placeholders, notes = calibrate(cfg, {}, function, logs, paths)
    warnings = [f"{m}" for m in logs.malformed.first]
    if logs.malformed.count > len(logs.malformed.first):
        warnings.append(f"... {logs.malformed.count} malformed event(s) in all")
    return Draft(cfg, placeholders, notes, warnings)
