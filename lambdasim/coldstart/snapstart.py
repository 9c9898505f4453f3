"""SnapStart restores (``cold_start: {snapstart: true}``): which runtimes, how long, who pays.

AWS (Lambda guide, "snapstart", checked Nov 2026): SnapStart runs INIT when a version is
published, caches a Firecracker snapshot of the initialised environment and *restores* new
environments from it. Managed runtimes Java 11+, Python 3.12+ and .NET 8+ (Python and .NET since
2024-11-18); not container images or OS-only runtimes; not combined with provisioned
concurrency, Amazon EFS or ephemeral storage above 512 MB. Restore and after-restore hooks
must finish within 10 s. Java SnapStart has no extra charge; Python and .NET pay for caching the
snapshot (per GB-s of memory while the version is active, minimum 3 hours) and for each restore
(per GB restored) — the prices are in the dated cost table
(:mod:`lambdasim.cost.managed_instances`).

Restore time: the one measured distribution lambdasim has is Java's (E. Johnson, "Cold Starts
Are Dead", 2026: p50 90–140 ms, p99 200–400 ms; the ``java-snapstart`` preset, 115 / 300 ms;
aws-lambda-behaviour.md §2.2). No published Restore Duration distribution for Python or .NET
was found, so their presets use the same figures: a restore loads a snapshot, whatever the
language, and AWS describes all three as "as low as sub-second". Give ``restore`` to replace
it with your own measurement.
"""

from __future__ import annotations

import re

from lambdasim.coldstart.init import COLD_START_PRESETS

__all__ = [
    "RESTORE_LIMIT_S",
    "SNAPSTART_BILLED_FAMILIES",
    "SNAPSTART_RESTORE_PRESETS",
    "SNAPSTART_RUNTIMES",
    "snapstart_family",
]

#: Restore plus after-restore hooks must end within this, seconds (``SnapStartTimeoutException``).
RESTORE_LIMIT_S = 10.0

#: Restore-time presets (p50_s, p99_s) per family; see the module docstring for the source.
SNAPSTART_RESTORE_PRESETS: dict[str, tuple[float, float]] = {
    "java": COLD_START_PRESETS["java-snapstart"],
    "python": COLD_START_PRESETS["java-snapstart"],
    "dotnet": COLD_START_PRESETS["java-snapstart"],
}

#: Families that pay the cache and restore charges (Java does not).
SNAPSTART_BILLED_FAMILIES = frozenset({"python", "dotnet"})

#: Runtimes with SnapStart: family -> (pattern, lowest version).
SNAPSTART_RUNTIMES: dict[str, tuple[str, tuple[int, ...]]] = {
    "java": (r"java(\d+)(?:\.al2)?(?:-snapstart)?", (11,)),
    "python": (r"python(\d+)\.(\d+)", (3, 12)),
    "dotnet": (r"dotnet(\d+)", (8,)),
}


def snapstart_family(runtime: str | None) -> str:
    """The SnapStart family of ``runtime`` (``python3.12`` → ``python``).

    Raises
    ------
    ValueError
        Naming the runtimes SnapStart supports.
    """
    rt = (runtime or "").strip().lower()
    for family, (pattern, lowest) in SNAPSTART_RUNTIMES.items():
        m = re.fullmatch(pattern, rt)
        if m and tuple(int(g) for g in m.groups()) >= lowest:
            return family
    shown = "no runtime" if runtime is None else repr(runtime)
    raise ValueError(
        f"SnapStart needs one of the managed runtimes Java 11+, Python 3.12+ or .NET 8+ "
        f'(Lambda guide, "snapstart"); the function has {shown} (set runtime: python3.12, '
        "dotnet8 or java21)"
    )
