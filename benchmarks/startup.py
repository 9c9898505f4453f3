"""Start-up time of ``lambdasim --help`` and ``import lambdasim`` against ``import simpy, numpy``.

    python benchmarks/startup.py             # 7 rounds, medians, ratios to the baseline
    python benchmarks/startup.py --runs 15   # more rounds on a busy machine
    python benchmarks/startup.py --json      # one JSON object on stdout

Each round starts every command once in a fresh interpreter, in turn (so the three share the
machine's load of that moment), after one unmeasured warm-up round that fills the bytecode
caches. An installed package has its bytecode compiled (pip does it), so the children run with
bytecode caching on even where ``PYTHONDONTWRITEBYTECODE`` is set, in a private cache
directory (``PYTHONPYCACHEPREFIX``, a temporary directory) that keeps the checkout clean;
``--inherit-env`` runs them in this process's environment instead. The package measured is the
one the interpreter imports from elsewhere than the working directory (the installed one, or
``PYTHONPATH=DIR`` to measure another checkout).

Two clocks per command: the wall time of the whole process and the CPU time (user + system) the
child used, from ``getrusage(RUSAGE_CHILDREN)``. Ratios are median against median, measured in
the same run; issue 16's target is ``≤ 3×`` for both lambdasim commands. Nothing here is a
test: timings depend on the machine, so the tests check *what* is imported instead
(tests/unit/test_layers.py: no SciPy, pandas, pyarrow or matplotlib; tests/unit/test_startup.py:
no configuration model, and for ``import lambdasim`` not even pydantic).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The baseline: the two libraries a SimPy model of Lambda cannot do without.
BASELINE = "import simpy, numpy"


def commands() -> dict[str, list[str]]:
    """The measured commands; ``lambdasim`` is the console script next to this interpreter."""
    script = Path(sys.executable).with_name("lambdasim")
    exe = str(script) if script.exists() else shutil.which("lambdasim")
    cli = [exe, "--help"] if exe else [sys.executable, "-m", "lambdasim", "--help"]
    return {
        "python -c 'import simpy, numpy'": [sys.executable, "-c", BASELINE],
        "python -c 'import lambdasim'": [sys.executable, "-c", "import lambdasim"],
        "lambdasim --help": cli,
    }


def once(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Run ``cmd`` once; its wall time and CPU time (user + system), in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(runs: int, inherit_env: bool = False) -> dict[str, dict[str, float]]:
    """Median wall and CPU seconds of each command over ``runs`` interleaved rounds."""
    cmds = commands()
    env = dict(os.environ)
    # COLUMNS keeps rich's help layout (and so its cost) the same on every terminal.
    env.setdefault("COLUMNS", "100")
    with tempfile.TemporaryDirectory(prefix="lambdasim-pycache-") as cache:
        if not inherit_env:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = cache
        # The children run in that directory: ``python -c`` puts its working directory first on
        # sys.path, so a checkout there would shadow the installed (or PYTHONPATH) package.
        for cmd in cmds.values():  # warm-up: bytecode caches, page cache
            once(cmd, env, cache)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
        for _ in range(runs):
            for name, cmd in cmds.items():
                samples[name].append(once(cmd, env, cache))
    return {
        name: {
            "wall_s": statistics.median(w for w, _ in s),
            "cpu_s": statistics.median(c for _, c in s),
        }
        for name, s in samples.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="measured rounds (default 7)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument(
        "--inherit-env", action="store_true", help="no private bytecode cache (see above)"
    )
    args = ap.parse_args()
    res = measure(args.runs, args.inherit_env)
    base_name = next(iter(res))
    base = res[base_name]
    for r in res.values():
        r["wall_ratio"] = r["wall_s"] / base["wall_s"]
        r["cpu_ratio"] = r["cpu_s"] / base["cpu_s"]
    if args.json:
        print(json.dumps({"runs": args.runs, "baseline": base_name, "results": res}, indent=2))
        return
    print(f"medians of {args.runs} fresh processes each (target: ≤ 3.0× the baseline)")
    print(f"{'command':34} {'wall ms':>8} {'cpu ms':>8} {'wall ×':>7} {'cpu ×':>7}")
    for name, r in res.items():
        print(
            f"{name:34} {r['wall_s'] * 1e3:8.0f} {r['cpu_s'] * 1e3:8.0f} "
            f"{r['wall_ratio']:7.2f} {r['cpu_ratio']:7.2f}"
        )


if __name__ == "__main__":
    main()
