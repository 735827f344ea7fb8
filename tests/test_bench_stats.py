"""The one percentile definition shared by bulk, bulk_bench and bench (clients.stats)."""

from __future__ import annotations

import statistics

import pytest

from clients.bench import Row
from clients.stats import LatencySummary, percentile


def test_percentile_interpolates_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100, given shuffled below
    shuffled = values[50:] + values[:50]
    assert percentile(shuffled, 0) == 1.0 and percentile(shuffled, 100) == 100.0
    assert percentile(shuffled, 50) == pytest.approx(50.5)
    assert percentile(shuffled, 95) == pytest.approx(95.05)
    assert percentile(shuffled, 99) == pytest.approx(99.01)
    assert percentile([10.0, 20.0, 30.0, 40.0], 95) == pytest.approx(38.5)


def test_percentile_edge_cases() -> None:
    assert percentile([], 95) == 0.0
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError, match="0..100"):
        percentile([1.0], 101)


def test_median_is_the_50th_percentile() -> None:
    for values in ([3.0, 1.0, 2.0], [4.0, 1.0, 3.0, 2.0], [5.0, 5.0, 9.0, 1.0, 2.0, 8.0]):
        assert percentile(values, 50) == statistics.median(values)


def test_latency_summary() -> None:
    summary = LatencySummary.of([10.0, 20.0, 30.0, 40.0])
    assert summary.count == 4 and summary.mean_ms == 25.0
    assert (summary.p50_ms, summary.p95_ms) == pytest.approx((25.0, 38.5))
    assert summary.p99_ms == pytest.approx(39.7)
    assert LatencySummary.of([]) == LatencySummary(0, 0.0, 0.0, 0.0, 0.0)


def test_bench_rows_use_the_shared_definition() -> None:
    row = Row.measured("engine", "32 fixed", [40.0, 10.0, 30.0, 20.0], 5.0)
    assert (row.median_ms, row.p95_ms, row.throughput) == pytest.approx((25.0, 38.5, 5.0))
