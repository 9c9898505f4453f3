"""Instructions and simulated cache misses per invocation as live environments grow (issue 16).

    python benchmarks/cache_misses.py          # needs valgrind; ~5 min
    python benchmarks/cache_misses.py --n 50000

The sizes of ``benchmarks/scaling.py`` (1-s handlers, λ = 10, 1,000 and 20,000 requests/s,
about 25, 1,000 and 20,000 live environments), each run for ``n`` and ``2n`` invocations in
fresh processes under valgrind's cachegrind; the differences over the difference of the
invocations are the steady-state cost of one invocation. Unlike CPU time, the counts are the
same on every run, whatever else the machine is doing, so they show noise-free whether the
growth that ``scaling.py`` times is more work (instructions) or more memory traffic (misses).
The simulated caches are pinned so the counts do not depend on the host: a 32 KiB first-level
data cache and a 2 MiB last-level cache (about one core's share of a shared L3), 64-byte
lines.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (10.0, 1000.0, 20000.0)
CACHES = ["--I1=32768,8,64", "--D1=32768,8,64", "--LL=2097152,16,64"]

RUNNER = """
import sys
sys.path.insert(0, {tree!r})
sys.path.insert(0, {tree!r} + "/benchmarks")
import lambdasim as ls
import scaling
f = ls.run(scaling.scenario({rate!r}, {n!r}), progress=False).functions["f"]
print("INVOCATIONS", f["invocations_run"])
"""


def _count(text: str, label: str) -> int:
    m = re.search(rf"{label}\s*:\s*([\d,]+)", text)
    assert m, text[-2000:]
    return int(m.group(1).replace(",", ""))


def measure(tree: Path, rate: float, n: int) -> tuple[int, int, int, int]:
    """(instructions, D1 misses, last-level data misses, invocations) of one run."""
    out = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=yes",
            *CACHES,
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            "-c",
            RUNNER.format(tree=str(tree), rate=rate, n=n),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    inv = re.search(r"INVOCATIONS (\d+)", out.stdout)
    assert inv, out.stderr[-2000:]
    err = out.stderr
    return (
        _count(err, "I *refs"),
        _count(err, "D1 *misses"),
        _count(err, "LLd misses"),
        int(inv.group(1)),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=ROOT, help="checkout to measure")
    ap.add_argument("--n", type=int, default=100_000, help="invocations of the shorter run")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found (Debian package valgrind)")
    per: dict[float, tuple[float, float, float]] = {}
    for rate in SIZES:
        a = measure(args.tree, rate, args.n)
        b = measure(args.tree, rate, 2 * args.n)
        d = b[3] - a[3]
        per[rate] = ((b[0] - a[0]) / d, (b[1] - a[1]) / d, (b[2] - a[2]) / d)
        ins, d1, ll = per[rate]
        print(
            f"λ = {rate:>8,.0f}/s: {ins:,.0f} instructions, {d1:.1f} D1 misses, "
            f"{ll:.2f} last-level misses per invocation ({d:,} invocations)",
            flush=True,
        )
    lo, hi = per[SIZES[0]], per[SIZES[-1]]
    print(
        f"from λ = {SIZES[0]:g} to {SIZES[-1]:g}: instructions {hi[0] / lo[0]:.2f}x, "
        f"D1 misses {hi[1] / lo[1]:.2f}x, last-level misses {hi[2] / max(lo[2], 1e-9):.1f}x"
    )


if __name__ == "__main__":
    main()
