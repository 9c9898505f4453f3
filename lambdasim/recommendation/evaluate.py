"""Running replications of search points through :func:`lambdasim.sweep` (joblib / Dask).

Replications come in **blocks**: block ``b`` of a point is ``BLOCKS[b]`` runs, replications
0 … BLOCKS[b] − 1 of root seed ``block_seed(seed, b)`` (block 0 uses the root seed itself, so
the screening runs are exactly ``ls.run(point, seed=seed, rep=r)``). Every point that gets block
``b`` gets the same (seed, rep) pairs: common random numbers across points, block by block, and
a point's replications never repeat. A result depends only on (scenario, point, seed, block),
not on ``n_jobs``, the backend or the order of the calls.

One round of the search is a set of (point, block) requests. They are grouped into as few
sweeps as possible: per block, a full Cartesian product is one sweep; otherwise points on a
line (differing in one knob) share a sweep with that knob as its axis; the rest run alone. The
base scenario of each sweep is one of its (valid) points, so every point is
``scenario.replace(all knob values)`` as the user would write it.

With ``out``, each sweep writes ``OUT/runs/<hash>/`` (its config, grid, seed and reps hashed) and
is resumed if it is there: a search that is run again replays the same decisions and reads back
every finished part, running only what is missing.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lambdasim.config import ConfigError, Scenario
from lambdasim.recommendation.knobs import Knob

__all__ = ["BLOCKS", "Evaluator", "Point", "block_seed"]

#: Replications per block: a point has 3, 6, 12 or 24 replications.
BLOCKS: tuple[int, ...] = (3, 3, 6, 12)

Point = tuple[Any, ...]


def block_seed(seed: int, block: int) -> int:
    """Root seed of block ``block`` (block 0: ``seed``; then independent 63-bit seeds)."""
    if block == 0:
        return int(seed)
    ss = np.random.SeedSequence(entropy=int(seed), spawn_key=(0x7265_636D, int(block)))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _error_line(exc: ConfigError) -> str:
    return "; ".join(i.format(None).removeprefix("<config>: ") for i in exc.issues)


@dataclass
class Evaluator:
    """Runs (point, block) requests and keeps every run's per-function row."""

    base: Scenario
    knobs: Sequence[Knob]
    seed: int
    n_jobs: int = -1
    backend: str | None = None
    scheduler: str | None = None
    out: Path | None = None
    metrics: Sequence[str] | None = None
    #: point -> one frame per finished block (columns: block, rep, function, status, error, ...)
    frames: dict[Point, list[pd.DataFrame]] = field(default_factory=dict)
    #: runs requested so far (simulated now or read back from ``out``)
    runs: int = 0
    sweeps: int = 0
    _cache: dict[Point, Scenario | str] = field(default_factory=dict)

    @property
    def paths(self) -> list[str]:
        return [k.path for k in self.knobs]

    def params(self, p: Point) -> dict[str, Any]:
        return dict(zip(self.paths, p, strict=True))

    def scenario(self, p: Point) -> Scenario | str:
        """The point's scenario, or the one-line reason it is not a valid configuration."""
        if p not in self._cache:
            try:
                self._cache[p] = self.base.replace(self.params(p))
            except ConfigError as exc:
                self._cache[p] = _error_line(exc)
        return self._cache[p]

    def blocks(self, p: Point) -> int:
        """Blocks finished at ``p``."""
        return len(self.frames.get(p, []))

    def reps(self, p: Point) -> int:
        return sum(BLOCKS[: self.blocks(p)])

    # ------------------------------------------------------------------ grouping

    def _groups(self, points: list[Point]) -> list[tuple[dict[str, Any], dict[str, list[Any]]]]:
        """(fixed knob values, grid axes) of the sweeps that cover ``points`` exactly."""
        d = len(self.paths)
        distinct = [sorted({p[j] for p in points}, key=self._order(j)) for j in range(d)]
        product = set(itertools.product(*distinct))
        wanted = set(points)
        invalid = {q for q in product if isinstance(self.scenario(q), str)}
        if wanted <= product and product <= wanted | invalid:
            return [self._group(points, [j for j in range(d) if len(distinct[j]) > 1])]
        out: list[tuple[dict[str, Any], dict[str, list[Any]]]] = []
        left = list(points)
        while left:
            best: list[Point] = []
            axis = -1
            for j in range(d):
                lines: dict[Point, list[Point]] = {}
                for p in left:
                    lines.setdefault(p[:j] + p[j + 1 :], []).append(p)
                for members in lines.values():
                    if len(members) > len(best):
                        best, axis = members, j
            if len(best) < 2:
                out.extend(self._group([p], []) for p in left)
                break
            out.append(self._group(best, [axis]))
            chosen = set(best)
            left = [p for p in left if p not in chosen]
        return out

    def _order(self, j: int) -> Any:
        index = {v: i for i, v in enumerate(self.knobs[j].values)}
        return lambda v: index.get(v, len(index))

    def _group(
        self, points: list[Point], axes: list[int]
    ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        first = points[0]
        fixed = {self.paths[j]: first[j] for j in range(len(self.paths)) if j not in axes}
        grid = {self.paths[j]: sorted({p[j] for p in points}, key=self._order(j)) for j in axes}
        return fixed, grid

    # ------------------------------------------------------------------ running

    def _dir(self, base: Scenario, grid: Mapping[str, list[Any]], seed: int, reps: int) -> Path:
        assert self.out is not None
        key = json.dumps(
            {"config": base.to_yaml(), "grid": grid, "seed": seed, "reps": reps},
            sort_keys=True,
            default=str,
        )
        return self.out / "runs" / hashlib.sha256(key.encode()).hexdigest()[:16]

    def run(self, requests: Mapping[Point, int]) -> None:
        """Run block ``requests[p]`` of every point ``p`` (each the next block of that point)."""
        from lambdasim.experiment import sweep

        by_block: dict[int, list[Point]] = {}
        for p, b in requests.items():
            assert b == self.blocks(p), "blocks are run in order"
            by_block.setdefault(b, []).append(p)
        for b in sorted(by_block):
            reps = BLOCKS[b]
            seed = block_seed(self.seed, b)
            for fixed, grid in self._groups(by_block[b]):
                points = [
                    self._point(fixed, dict(zip(grid, vals, strict=True)))
                    for vals in itertools.product(*grid.values())
                ]
                base_point = next(q for q in points if not isinstance(self.scenario(q), str))
                base = self.scenario(base_point)
                assert isinstance(base, Scenario)
                out = self._dir(base, grid, seed, reps) if self.out is not None else None
                res = sweep(
                    base,
                    grid,
                    reps=reps,
                    seed=seed,
                    n_jobs=self.n_jobs,
                    backend=self.backend,
                    scheduler=self.scheduler,
                    out=out,
                    resume=out is not None,
                    progress=False,
                )
                self.sweeps += 1
                table = res.table
                for i, q in enumerate(points):
                    if q not in requests or requests[q] != b:
                        continue  # an invalid corner of a product: no runs
                    rows = table[table["point"] == i]
                    keep = ["rep", "function", "status", "error"]
                    cols = [c for c in rows.columns if c in res.metrics]
                    if self.metrics is not None:
                        cols = [c for c in cols if c in self.metrics]
                    frame = rows[keep + cols].copy()
                    frame.insert(0, "block", b)
                    frame.insert(1, "seed", seed)
                    self.frames.setdefault(q, []).append(frame.reset_index(drop=True))
                    self.runs += reps

    def _point(self, fixed: Mapping[str, Any], varying: Mapping[str, Any]) -> Point:
        merged = {**fixed, **varying}
        return tuple(merged[p] for p in self.paths)

    def observations(self, p: Point) -> pd.DataFrame:
        """Every finished run of ``p``: one row per (block, rep, function)."""
        frames = self.frames.get(p, [])
        if not frames:
            return pd.DataFrame(columns=["block", "seed", "rep", "function", "status", "error"])
        return pd.concat(frames, ignore_index=True)
