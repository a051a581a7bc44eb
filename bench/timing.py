"""What the benchmarks share: the best rate over repeated passes of the same work."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_rate(
    items: int,
    repeat: int,
    work: Callable[[], object],
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """``items`` per second of the fastest of ``repeat`` runs of ``work``, timed by ``clock``
    (wall time by default; ``time.process_time`` counts this process's CPU time only)."""
    fastest = float("inf")
    for _ in range(repeat):
        start = clock()
        work()
        fastest = min(fastest, clock() - start)
    return items / fastest
