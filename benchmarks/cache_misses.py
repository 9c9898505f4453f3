"""Instructions and simulated cache misses per invocation as live environments grow (issue 16).

    python benchmarks/cache_misses.py          # needs valgrind; ~5 min
    python benchmarks/cache_misses.py --n 50000
    python benchmarks/cache_misses.py --by-function 12   # also where the growth is (C functions)

The sizes of ``benchmarks/scaling.py`` (1-s handlers, λ = 10, 1,000 and 20,000 requests/s,
about 25, 1,000 and 20,000 live environments), each run for ``n`` and ``2n`` invocations in
fresh processes under valgrind's cachegrind; the differences over the difference of the
invocations are the steady-state cost of one invocation. Unlike CPU time, the counts are the
same on every run, whatever else the machine is doing, so they show noise-free whether the
growth that ``scaling.py`` times is more work (instructions) or more memory traffic (misses).
The simulated caches are pinned so the counts do not depend on the host: a 32 KiB first-level
data cache and a 2 MiB last-level cache (about one core's share of a shared L3), 64-byte
lines. ``--by-function K`` also keeps the per-function counts (``cg_annotate``) of the smallest
and the largest size and prints the K interpreter and library functions (C level) whose
last-level misses per invocation grow the most between them: which operations (a dict
lookup, the heap's sift, an attribute of an object evicted since its last use) miss more.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
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


def measure(tree: Path, rate: float, n: int, keep: Path | None = None) -> tuple[int, int, int, int]:
    """(instructions, D1 misses, last-level data misses, invocations) of one run.

    ``keep`` is a file for cachegrind's per-function counts (by default they are dropped).
    """
    with tempfile.TemporaryDirectory() as tmp:
        # a script file, not ``-c``: the command line goes into cachegrind's output file,
        # whose format a multi-line command breaks for cg_annotate
        script = Path(tmp) / "runner.py"
        script.write_text(RUNNER.format(tree=str(tree), rate=rate, n=n), encoding="utf-8")
        out = subprocess.run(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=yes",
                *CACHES,
                f"--cachegrind-out-file={keep if keep is not None else '/dev/null'}",
                sys.executable,
                str(script),
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


_ROW = re.compile(r"\s*([\d,.]+)\s+([\d,.]+)\s+([\d,.]+)\s+(\S.*)$")


def by_function(path: Path) -> dict[str, tuple[int, int, int]]:
    """(instructions, D1 misses, last-level data misses) of each C function in a cachegrind file.

    A function's counts in several files of the source tree (inlined copies) are summed.
    """
    shown = "--show=Ir,D1mr,D1mw,DLmr,DLmw"
    text = subprocess.run(
        ["cg_annotate", "--auto=no", "--threshold=0", "--show-percs=no", shown, str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out: dict[str, tuple[int, int, int]] = {}
    for line in text.splitlines():
        cols = line.split()
        if len(cols) != 6 or ":" not in cols[5]:
            continue
        try:
            ir, d1r, d1w, llr, llw = (0 if c == "." else int(c.replace(",", "")) for c in cols[:5])
        except ValueError:
            continue
        name = cols[5].rsplit(":", 1)[1]
        a = out.get(name, (0, 0, 0))
        out[name] = (a[0] + ir, a[1] + d1r + d1w, a[2] + llr + llw)
    return out


def growth_by_function(tree: Path, n: int, top: int) -> None:
    """Print the ``top`` functions whose last-level misses per invocation grow the most."""
    per: dict[float, dict[str, tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rate in (SIZES[0], SIZES[-1]):
            fa, fb = Path(tmp) / f"{rate:g}.a", Path(tmp) / f"{rate:g}.b"
            a = measure(tree, rate, n, fa)
            b = measure(tree, rate, 2 * n, fb)
            d = b[3] - a[3]
            ca, cb = by_function(fa), by_function(fb)
            per[rate] = {}
            for k, v in cb.items():
                u = ca.get(k, (0, 0, 0))
                per[rate][k] = ((v[0] - u[0]) / d, (v[1] - u[1]) / d, (v[2] - u[2]) / d)
    lo, hi = per[SIZES[0]], per[SIZES[-1]]
    zero = (0.0, 0.0, 0.0)
    rows = sorted(hi, key=lambda k: -(hi[k][2] - lo.get(k, zero)[2]))[:top]
    print(
        f"per invocation, λ = {SIZES[0]:g} -> {SIZES[-1]:g}: "
        "instructions, D1 misses, last-level misses (C functions; growth of the last first)"
    )
    for k in rows:
        x, y = lo.get(k, zero), hi[k]
        print(
            f"  {k[:40]:40s} {x[0]:7.0f} -> {y[0]:7.0f}  {x[1]:6.1f} -> {y[1]:6.1f}  "
            f"{x[2]:6.2f} -> {y[2]:6.2f}"
        )
    tot = [sum(v[i] for v in d.values()) for d in (lo, hi) for i in range(3)]
    print(
        f"  {'(all)':40s} {tot[0]:7.0f} -> {tot[3]:7.0f}  {tot[1]:6.1f} -> {tot[4]:6.1f}  "
        f"{tot[2]:6.2f} -> {tot[5]:6.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=ROOT, help="checkout to measure")
    ap.add_argument("--n", type=int, default=100_000, help="invocations of the shorter run")
    ap.add_argument(
        "--by-function", type=int, default=0, metavar="K", help="also the K functions that grow"
    )
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
    if args.by_function:
        growth_by_function(args.tree, args.n, args.by_function)


if __name__ == "__main__":
    main()
