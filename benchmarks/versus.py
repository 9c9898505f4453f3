"""This checkout against another one on W1 and W2, alternating, in fresh processes (CPU time).

    git worktree add /tmp/old <commit>
    python benchmarks/versus.py --tree /tmp/old            # best of 7 alternating runs each
    python benchmarks/versus.py --tree /tmp/old --rounds 3

Each round runs the W1 (600 s) and W2 (3,000 s) scenarios of ``throughput.py`` once per checkout,
each in a new process after a short warm-up run, and records invocations per CPU second. On a
shared machine other processes only ever slow a run down, so the script reports the best of
the rounds of each checkout and their ratio (and the medians, for the spread).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import sys, time
sys.path.insert(0, {tree!r}); sys.path.insert(0, {tree!r} + "/benchmarks")
import lambdasim as ls, throughput as tb
assert ls.__file__.startswith({tree!r}), ls.__file__
ls.run(tb.{w}(10.0), progress=False)
sc = tb.{w}({h})
t = time.process_time()
r = ls.run(sc, progress=False)
print(r.functions["f"]["invocations"] / (time.process_time() - t))
"""


def once(tree: Path, w: str, h: float) -> float:
    """Invocations per CPU second of one run of workload ``w`` in checkout ``tree``."""
    code = CHILD.format(tree=str(tree), w=w, h=h)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
    )
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, required=True, help="the other checkout")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    trees = {"other": args.tree.resolve(), "this": ROOT}
    for w, h in (("w1", 600.0), ("w2", 3000.0)):
        speed: dict[str, list[float]] = {k: [] for k in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                speed[name].append(once(tree, w, h))
        best = {k: max(v) for k, v in speed.items()}
        med = {k: statistics.median(v) for k, v in speed.items()}
        print(
            f"{w.upper()}: this {best['this']:,.0f}/s, other {best['other']:,.0f}/s: "
            f"{best['this'] / best['other']:.2f}x (best of {args.rounds}; medians "
            f"{med['this']:,.0f} and {med['other']:,.0f}/s: {med['this'] / med['other']:.2f}x)",
            flush=True,
        )


if __name__ == "__main__":
    main()
