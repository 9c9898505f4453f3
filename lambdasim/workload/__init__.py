"""Arrival processes: synthetic (:mod:`.synthetic`) and replayed traces (:mod:`.traces`)."""

from lambdasim.workload.synthetic import arrival_times

__all__ = ["arrival_times"]
