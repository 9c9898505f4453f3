"""Python bytecodes executed per simulated invocation, by function (noise-free, issue 16).

    python benchmarks/bytecodes.py w1 100     # W1 of throughput.py for 100 simulated seconds
    python benchmarks/bytecodes.py w2 500

Counts every bytecode the interpreter runs during ``ls.run`` with ``sys.settrace`` opcode
tracing (slow: use short horizons) and prints the total per invocation started and the
functions that run the most.
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import lambdasim as ls

sys.path.insert(0, str(Path(__file__).parent))
from throughput import w1, w2


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "w1"
    horizon = float(sys.argv[2]) if len(sys.argv) > 2 else 100.0
    make = w1 if which == "w1" else w2
    ls.run(make(5.0), progress=False)  # first-use imports and caches are not counted
    counts: collections.Counter[tuple[str, str]] = collections.Counter()

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True

        def local(f: FrameType, ev: str, a: Any) -> Any:
            if ev == "opcode":
                counts[(Path(f.f_code.co_filename).name, f.f_code.co_name)] += 1
            return local

        return local

    sc = make(horizon)
    sys.settrace(trace)
    res = ls.run(sc, progress=False)
    sys.settrace(None)
    n = int(res.functions["f"]["invocations_run"])
    print(f"{which} {horizon:g} s: {sum(counts.values()) / n:.0f} bytecodes per invocation")
    for (file, fn), c in counts.most_common(8):
        print(f"  {file}:{fn} {c / n:.1f}")


if __name__ == "__main__":
    main()
