"""Make the README's figures (run by hand; the PNGs are committed next to this script).

    python docs/make_figures.py            # all figures, about 30 s on one core

Each figure uses the plot functions of :mod:`lambdasim.plotting` on a shipped config or a
small scenario written here, with fixed seeds, so rerunning gives the same pictures.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import lambdasim as ls
from lambdasim.results.store import atomic_path

DOCS = Path(__file__).resolve().parent
CONFIGS = DOCS.parent / "configs"


def _save(fig: Any, out: Path, **kw: Any) -> None:
    """Save ``fig`` to a temporary name and rename it: an interrupted run keeps the old PNG."""
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format=out.suffix.lstrip("."), **kw)


def sqs_buffer() -> Path:
    """The same spike called synchronously (throttles) and through SQS (backlog)."""
    res = ls.run(ls.load(CONFIGS / "sqs-buffer.yaml"), progress=False)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4))
    res.plot.concurrency(function="orders-sync", ax=axes[0])
    axes[0].set_title("synchronous: orders-sync throttles at reserved concurrency 10")
    res.plot.queue(queue="orders", ax=axes[1])
    axes[1].set_title("through SQS: orders-worker, the spike becomes backlog")
    fig.tight_layout()
    out = DOCS / "sqs-buffer.png"
    _save(fig, out, dpi=100)
    plt.close(fig)
    return out


def cold_start_timeline() -> Path:
    """Execution environments of a bursty function: INIT, busy, idle, reclaim."""
    sc = ls.Scenario.from_dict(
        {
            "name": "cold-starts",
            "seed": 4,
            "horizon_s": 180,
            "functions": {
                "api": {
                    "memory_mb": 512,
                    "timeout_s": 10,
                    "duration": {"dist": "exponential", "mean_s": 0.8},
                    "cold_start": {"dist": "constant", "value_s": 1.0},
                    "keep_alive_s": 20,
                }
            },
            "workloads": [
                {
                    "target": "api",
                    "arrivals": {
                        "kind": "piecewise",
                        "steps": [
                            {"at_s": 0, "rate_per_s": 1.0},
                            {"at_s": 50, "rate_per_s": 6.0},
                            {"at_s": 65, "rate_per_s": 1.0},
                            {"at_s": 90, "rate_per_s": 0.04},
                        ],
                    },
                }
            ],
            "output": {"timeseries_step_s": 10},
        }
    )
    res = ls.run(sc, trace=True, progress=False)
    ax = res.plot.timeline()
    ax.set_title("1 request/s, a 6/s burst at 50-65 s, then quiet; keep-alive 20 s")
    out = DOCS / "cold-start-timeline.png"
    _save(ax.figure, out, dpi=100, bbox_inches="tight")
    plt.close(ax.figure)
    return out


def tradeoff() -> Path:
    """Memory × provisioned concurrency on the quick-start API: cost against p99 with CIs."""
    sc = ls.load(CONFIGS / "quickstart.yaml")
    sw = ls.sweep(
        sc,
        {
            "functions.api.memory_mb": [256, 512, 1024, 2048],
            "functions.api.provisioned_concurrency": [0, 2, 5],
        },
        reps=5,
        seed=1,
        n_jobs=1,
        progress=False,
    )
    ax = sw.plot.tradeoff("cost_usd", "latency_p99_s", y_max=0.3)
    ax.set_xlabel("cost of one simulated hour (USD, mean and 95 % CI over 5 replications)")
    ax.set_ylabel("p99 latency (s, mean and 95 % CI)")
    ax.set_title("quickstart: memory / PC grid, p99 target 0.3 s")
    out = DOCS / "tradeoff.png"
    _save(ax.figure, out, dpi=100, bbox_inches="tight")
    plt.close(ax.figure)
    return out


def main() -> None:
    """Write every figure and say where."""
    for make in (sqs_buffer, cold_start_timeline, tradeoff):
        t0 = time.perf_counter()
        out = make()
        print(f"{out.relative_to(DOCS.parent)} ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
