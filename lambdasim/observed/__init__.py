"""Real systems in, calibrated scenarios and comparisons out: CloudWatch Logs and ``compare``.

:mod:`.calibrate` turns a function's CloudWatch Logs into the parts of a scenario they can
calibrate (``lambdasim import logs``, ``import sam --logs``); :mod:`.compare` replays observed
arrivals through a scenario and sets the simulation beside the logs (``lambdasim compare``,
``ls.compare``).

>>> import lambdasim as ls
>>> cmp = ls.compare("scenario.yaml", "logs.json", reps=5)     # doctest: +SKIP
>>> cmp.table, cmp.to_dict(), cmp.plot.compare()              # doctest: +SKIP
"""

from lambdasim.observed.calibrate import Draft, calibrate, from_logs, table_for
from lambdasim.observed.compare import METRICS, Comparison, compare

__all__ = ["METRICS", "Comparison", "Draft", "calibrate", "compare", "from_logs", "table_for"]
