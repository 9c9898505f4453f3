"""Instructions per simulated invocation, counted by valgrind: a benchmark that noise cannot move.

    python benchmarks/instructions.py                 # this checkout (needs valgrind; ~5 min)
    python benchmarks/instructions.py --tree DIR      # another checkout, e.g. a `git worktree`

Wall-clock ratios (``throughput.py``) move by several percent on a shared machine; callgrind's
instruction count is the same for the same binary, inputs and environment, whatever else runs.
Each workload of ``throughput.py`` (W1, W2) is run at two horizons in fresh processes; the
difference of the two counts divided by the difference of the invocations is the cost of one
invocation, without start-up and import.
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
f = ls.run(sc, progress=False).functions["f"]
print("INVOCATIONS", f["invocations_run"] + f["throttle_events"])
"""

CASES = {"W1": (100.0, 300.0), "W2": (500.0, 1500.0)}


def count(tree: Path, w: str, h: float) -> tuple[int, int]:
    """(instructions, invocations) of one run of workload ``w`` at horizon ``h`` seconds."""
    code = RUNNER.format(tree=str(tree), w=w, h=h)
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
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found (Debian package valgrind)")
    for w, (h1, h2) in CASES.items():
        i1, n1 = count(args.tree, w, h1)
        i2, n2 = count(args.tree, w, h2)
        print(
            f"{w}: {(i2 - i1) / (n2 - n1):,.0f} instructions per invocation "
            f"({n2 - n1:,} invocations between horizons {h1:g} s and {h2:g} s)"
        )


if __name__ == "__main__":
    main()
