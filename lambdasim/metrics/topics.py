"""Streaming metrics of an SNS standard topic: records published (NumberOfMessagesPublished)."""

from __future__ import annotations

from lambdasim.periods import Periods

__all__ = ["TopicMetrics"]


class TopicMetrics:
    """Records published to one topic (destination and dead-letter records).

    Parameters
    ----------
    name : str
        Topic name.
    periods : Periods
        The run's period grid.
    """

    kind = "topic"

    def __init__(self, name: str, periods: Periods) -> None:
        self.name = name
        self.periods = periods
        self.sent = 0  # published after warm-up
        self.ts_sent = [0] * periods.n

    def on_published(self, now: float) -> None:
        """One record was published at ``now``."""
        self.ts_sent[self.periods.bin(now)] += 1
        if now >= self.periods.warmup:
            self.sent += 1
