"""The model against real measurements and closed forms: ``lambdasim validation``.

Every case runs the simulator on one data set shipped with the project's test data
(``tests/data``: PACS 2020 per-request logs and run summaries, CIRRUS 2025 keep-alive probes,
cloudbench 2019 idle-time probes, the Azure 2019 sample) or on a closed form of queueing theory
(Erlang-B, M/G/∞, the Mahmoudi–Khazaei steady-state cold-start model), and reports one
:class:`Row` per statistic: the measured (or theoretical) value, the simulated one, the error,
and — where published — what the SimFaaS simulator and the analytical pacsltk model reach on the
same data. Each row says which model parameters came from which measurement: nothing is tuned
to a data set beyond what the config documents.

>>> rows = run_validation(quick=True)                  # doctest: +SKIP
>>> print(to_markdown(rows, quick=True))              # doctest: +SKIP
"""

from __future__ import annotations

from lambdasim.validation.cases import CASES, default_data_dir, run_validation
from lambdasim.validation.report import Row, headline, to_markdown

__all__ = ["CASES", "Row", "default_data_dir", "headline", "run_validation", "to_markdown"]
