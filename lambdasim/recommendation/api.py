""":func:`recommend`: check the request, prune with theory, search, explain."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lambdasim.config import ConfigError, Scenario
from lambdasim.recommendation.evaluate import Evaluator
from lambdasim.recommendation.knobs import Knob, RecommendError, check_knobs, knob, parse_knob
from lambdasim.recommendation.prune import prune
from lambdasim.recommendation.result import Recommendation, build
from lambdasim.recommendation.search import search
from lambdasim.recommendation.slos import Slo, check_metrics
from lambdasim.recommendation.slos import objective as parse_objective
from lambdasim.recommendation.slos import slos as parse_slos

__all__ = ["MANIFEST", "recommend"]

#: The request a results directory of ``recommend`` belongs to.
MANIFEST = "_recommend.json"
#: Horizon of the probe run that lists the metrics a scenario reports, seconds.
PROBE_HORIZON_S = 60.0


def _knobs(spec: Mapping[str, Any] | Iterable[str | Knob]) -> list[Knob]:
    if isinstance(spec, Mapping):
        return [knob(p, v) for p, v in spec.items()]
    out = []
    for item in spec:
        out.append(item if isinstance(item, Knob) else parse_knob(str(item)))
    return out


def _probe(sc: Scenario, knobs: list[Knob]) -> dict[str, set[str]]:
    """Metric columns per function, from short runs of the base and of the knobs' last values."""
    from lambdasim.results.schema import flatten_metrics
    from lambdasim.simulation import run

    tries = [{}, {k.path: k.values[-1] for k in knobs}]
    known: dict[str, set[str]] = {f: set() for f in sc.functions}
    for changes in tries:
        try:
            point = sc.replace(changes) if changes else sc
            short = point.replace(
                {"horizon_s": min(point.horizon_s, PROBE_HORIZON_S), "warmup_s": 0.0}
            )
        except ConfigError:
            continue
        try:
            doc = run(short, seed=0, progress=False).to_dict()
        except Exception:  # the search will report a failing run itself
            continue
        for fname, block in doc["functions"].items():
            known.setdefault(fname, set()).update(flatten_metrics(block))
            known[fname].add("cost_monthly_usd")
    return known


def _request(
    sc: Scenario,
    knobs: list[Knob],
    slo_list: list[Slo],
    obj: str,
    fn: str | None,
    seed: int,
    confidence: float,
    theory: bool,
) -> dict[str, Any]:
    return {
        "config": sc.to_yaml(),
        "knobs": {k.path: [None if v is None else v for v in k.values] for k in knobs},
        "slos": [s.text() for s in slo_list],
        "objective": obj,
        "function": fn,
        "seed": seed,
        "confidence": confidence,
        "theory": theory,
    }


def _open_out(out: Path, request: dict[str, Any]) -> None:
    from lambdasim.results.store import atomic_write_text, check_output

    check_output(out, "dir")
    manifest = out / MANIFEST
    if manifest.exists():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise RecommendError(
                f"-o {out}: {MANIFEST} is unreadable; use another directory"
            ) from None
        diff = [k for k in request if old.get("request", {}).get(k) != request[k]]
        if diff:
            raise RecommendError(
                f"-o {out}: holds a recommendation for another request ({', '.join(diff)} "
                "differ); use another directory"
            )
    elif out.is_dir() and any(out.iterdir()):
        raise RecommendError(
            f"-o {out}: not empty and not a recommend directory ({MANIFEST} missing)"
        )
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(manifest, json.dumps({"request": request}, indent=1, default=str))


def _write(out: Path, rec: Recommendation) -> None:
    from lambdasim.results.store import atomic_path, atomic_write_text

    atomic_write_text(out / "recommendation.json", json.dumps(rec.to_dict(), indent=1, default=str))
    atomic_write_text(out / "patch.yaml", str(rec.patch) if rec.patch else "{}\n")
    with atomic_path(out / "points.csv") as tmp:
        rec.table.to_csv(tmp, index=False)


def recommend(
    scenario: Scenario,
    knobs: Mapping[str, Any] | Iterable[str | Knob],
    slos: Mapping[str, Any] | Iterable[str] | None = None,
    objective: str = "cost_usd",
    *,
    function: str | None = None,
    budget_runs: int = 200,
    confidence: float = 0.95,
    seed: int | None = None,
    n_jobs: int = -1,
    backend: str | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    theory: bool = True,
    objective_tol: float = 0.001,
    progress: bool | Callable[[str], None] | None = None,
) -> Recommendation:
    """The cheapest configuration that meets the SLOs, proven by replications.

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    knobs : mapping or iterable
        ``{"functions.api.memory_mb": "128..3008", "functions.api.reserved_concurrency":
        "null,10..200"}`` (SPEC strings, lists such as ``[None, "10..200"]``, ``range``), or the
        CLI's ``"PATH=SPEC"`` strings (grammar: :mod:`lambdasim.recommendation.knobs`).
    slos : mapping or iterable of str, optional
        ``{"latency_p99_s": 0.3, "throttle_rate": 0.001}`` (upper bounds; ``(lo, hi)`` for
        both), or ``["latency_p99_s<=0.3"]``; ``functions.NAME.METRIC`` for one function.
    objective : str
        Metric to minimise, default ``cost_usd`` (summed over functions unless ``function`` or
        ``functions.NAME.METRIC``).
    function : str, optional
        Apply plain-metric SLOs and the objective to this function only.
    budget_runs : int
        Simulation runs the search may use (runs read back from ``out`` count too).
    confidence : float
        Level of the Student-t intervals that must lie inside each bound.
    seed : int, optional
        Root seed (default the scenario's, else a fresh one, in the result).
    n_jobs, backend, scheduler
        As for :func:`lambdasim.sweep` (local processes, joblib backend, Dask scheduler).
    out : str or Path, optional
        Directory for every run (resumable: run the same request again to finish it) and
        ``recommendation.json``, ``patch.yaml``, ``points.csv``.
    theory : bool
        Prune with the closed forms first (:mod:`lambdasim.recommendation.prune`).
    objective_tol : float
        Relative objective differences below this are ties (no replications to separate them).
    progress : bool or callable, optional
        One line per round on stderr (True), to a callable, or none; default: when stderr is a
        terminal.

    Returns
    -------
    Recommendation

    Raises
    ------
    RecommendError
        Bad knobs (unknown path, a value outside AWS's limits, not a number), bad SLOs (unknown
        metric, impossible bound) or options; one line per problem.
    """
    return _recommend(**locals())


def _recommend(**kw: Any) -> Recommendation:
    sc: Scenario = kw["scenario"]
    fn = kw["function"]
    lines: list[str] = []
    if fn is not None and fn not in sc.functions:
        lines.append(f"--function {fn}: no function '{fn}' (functions: {', '.join(sc.functions)})")
    budget, conf = kw["budget_runs"], kw["confidence"]
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 3:
        lines.append(
            f"--budget-runs must be an integer >= 3 (one block of replications), got {budget}"
        )
    if not (isinstance(conf, int | float) and 0.5 <= conf < 1.0):
        lines.append(f"--confidence must be in [0.5, 1), got {conf}")
    if lines:
        raise RecommendError(lines)
    knob_list = _knobs(kw["knobs"])
    if not knob_list:
        raise RecommendError("no --knob given (e.g. --knob functions.api.memory_mb=128..3008)")
    bad = check_knobs(sc, knob_list)
    if bad:
        raise RecommendError(bad)
    slo_list = parse_slos(kw["slos"], fn)
    obj = parse_objective(kw["objective"], fn)
    known = _probe(sc, knob_list)
    bad = check_metrics(slo_list, obj, known)
    if bad:
        raise RecommendError(bad)
    seed = kw["seed"] if kw["seed"] is not None else sc.seed
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]
    out = Path(kw["out"]) if kw["out"] is not None else None
    if out is not None:
        _open_out(out, _request(sc, knob_list, slo_list, obj.name, fn, seed, conf, kw["theory"]))
    if kw["theory"]:
        space, pruned, notes = prune(sc, knob_list, slo_list, obj)
    else:
        space, pruned, notes = knob_list, [], ["theory pruning off (theory=False)"]
    log = _logger(kw["progress"])
    needed = {obj.metric, *(s.metric for s in slo_list), "invocations", "invocations_run"}
    ev = Evaluator(
        sc,
        space,
        int(seed),
        n_jobs=kw["n_jobs"],
        backend=kw["backend"],
        scheduler=kw["scheduler"],
        out=out,
        metrics=sorted(needed),
    )
    for p in pruned:
        log(f"pruned: {p.text()}")
    outcome = search(
        ev,
        space,
        slo_list,
        obj,
        budget=budget,
        confidence=float(conf),
        objective_tol=float(kw["objective_tol"]),
        log=log,
    )
    if outcome.status == "invalid":
        first = next(iter(outcome.invalid.values()), "")
        raise RecommendError(f"no combination of the knob values is a valid configuration: {first}")
    rec = build(
        sc,
        space,
        {k.path: len(k) for k in knob_list},
        outcome,
        obj,
        slo_list,
        confidence=float(conf),
        budget=budget,
        seed=int(seed),
        pruned=pruned,
        notes=notes,
        scenario_of=ev.scenario,
    )
    if out is not None:
        _write(out, rec)
    return rec


def _logger(progress: bool | Callable[[str], None] | None) -> Callable[[str], None]:
    if callable(progress):
        return progress
    show = progress if progress is not None else sys.stderr.isatty()
    if not show:
        return lambda _msg: None
    return lambda msg: print(msg, file=sys.stderr, flush=True)
