"""One definition of latency percentiles for every client tool, so their p95s can be compared.

`impressions bulk`, `impressions bench` and `python -m clients.bulk_bench` all summarise their
own timings with `percentile` below. It interpolates linearly between the two nearest ranks
(numpy's default, Excel's PERCENTILE.INC), so `percentile(v, 50)` equals `statistics.median(v)`.
`impressions load` prints what perf_analyzer computed itself, not this function.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (q in 0..100), interpolated between ranks; 0.0 for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must lie in 0..100, got {q}")
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return float(ordered[low] + (ordered[high] - ordered[low]) * fraction)


@dataclass(frozen=True)
class LatencySummary:
    """Count, median and tail of a list of latencies in milliseconds."""

    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float

    @classmethod
    def of(cls, latencies_ms: Sequence[float]) -> LatencySummary:
        """Summarise latencies; all zeros for an empty list (a run that answered nothing)."""
        return cls(
            count=len(latencies_ms),
            p50_ms=percentile(latencies_ms, 50),
            p95_ms=percentile(latencies_ms, 95),
            p99_ms=percentile(latencies_ms, 99),
            mean_ms=statistics.fmean(latencies_ms) if latencies_ms else 0.0,
        )
