"""Instructions per simulated invocation, counted by valgrind: a benchmark that noise cannot move.

    python benchmarks/instructions.py                 # this checkout (needs valgrind; ~5 min)
    python benchmarks/instructions.py --tree DIR      # another checkout, e.g. a `git worktree`
    python benchmarks/instructions.py --baselines     # also throughput.py's two SimPy models

Wall-clock ratios (``throughput.py``) move by several percent on a shared machine; callgrind's
instruction count is the same for the same binary, inputs and environment, whatever else runs.
Each workload of ``throughput.py`` (W1, W2) is run at two horizons in fresh processes; the
difference of the two counts divided by the difference of the invocations is the cost of one
invocation, without start-up and import. ``--baselines`` counts the idiomatic and the callback
SimPy models of ``throughput.py`` the same way (per arrival, throttled ones included, as for
lambdasim) and prints lambdasim's ratios to them: issue 16's ratios in instructions, which the
machine's noise cannot move (time per instruction differs between the models, so they are a
cross-check of the timed ratios, not a replacement).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RUNNER = """
import sys
sys.path.insert(0, {tree!r})
sys.path.insert(0, {tree!r} + "/benchmarks")
import lambdasim as ls
import throughput as tb
sc = tb.w1({h}) if {w!r} == "W1" else tb.w2({h})
if {model!r} == "lambdasim":
    f = ls.run(sc, progress=False).functions["f"]
    print("INVOCATIONS", f["invocations_run"] + f["throttle_events"])
else:
    kind = "baseline" if {model!r} == "idiomatic" else "callback"
    print("INVOCATIONS", getattr(tb, kind + "_" + {w!r}.lower())({h}))
"""

MODELS = ("lambdasim", "idiomatic", "callback")

CASES = {"W1": (100.0, 300.0), "W2": (500.0, 1500.0)}


def count(tree: Path, w: str, h: float, model: str = "lambdasim") -> tuple[int, int]:
    """(instructions, invocations) of one run of ``model`` on workload ``w`` at horizon ``h`` s."""
    code = RUNNER.format(tree=str(tree), w=w, h=h, model=model)
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    ins = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
    inv = re.search(r"INVOCATIONS (\d+)", out.stdout)
    assert ins and inv, out.stderr[-2000:]
    return int(ins.group(1)), int(inv.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=ROOT, help="checkout to measure")
    ap.add_argument("--baselines", action="store_true", help="also the two SimPy models")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found (Debian package valgrind)")
    models = MODELS if args.baselines else MODELS[:1]
    for w, (h1, h2) in CASES.items():
        per: dict[str, float] = {}
        for model in models:
            i1, n1 = count(args.tree, w, h1, model)
            i2, n2 = count(args.tree, w, h2, model)
            per[model] = (i2 - i1) / (n2 - n1)
            print(
                f"{w} {model}: {per[model]:,.0f} instructions per invocation "
                f"({n2 - n1:,} invocations between horizons {h1:g} s and {h2:g} s)",
                flush=True,
            )
        if args.baselines:
            print(
                f"{w}: lambdasim runs {per['idiomatic'] / per['lambdasim']:.2f}x fewer "
                f"instructions per invocation than the idiomatic model, "
                f"{per['callback'] / per['lambdasim']:.2f}x fewer than the callback model"
            )


if __name__ == "__main__":
    main()
