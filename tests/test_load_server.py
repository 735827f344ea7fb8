"""Load behaviour on the real server: a short perf_analyzer sweep, and an overload burst.

The burst sends ~4x the rate the server just sustained, open loop (requests are not held back
waiting for answers), and checks the contract of a bounded queue: every request is answered or
rejected with a clear queue-full error, nothing hangs, nothing else fails, and the server is
healthy afterwards. Count and time are bounded.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from clients.bulk_bench import synthetic_records
from clients.client import ImpressionsClient, ImpressionsError, Report, ServerBusyError
from clients.client_grpc_aio import AsyncImpressionsClient
from clients.load import DEFAULT_INPUT_DATA, StepPlan, Urls, sweep
from clients.perf_analyzer_cmd import missing_system_libraries

pytestmark = pytest.mark.integration

MEASURE_S = 1.5
BURST_S = 4.0  # long enough at 4x to overfill the generator queue (512) on a 2-core box
MAX_BURST = 3000
CLOSED_LOOP = 64  # the ensemble's max_batch_size: the dynamic batcher can fill batches
DEADLINE_S = 240


def test_short_sweep_with_metrics(triton_server: Any, tmp_path: Path) -> None:
    missing = missing_system_libraries()  # `make test` installs them when it may (root/sudo)
    if missing:
        pytest.skip(f"perf_analyzer needs {', '.join(missing)}: run `make system-deps` as root")
    urls = Urls(triton_server.grpc_url, triton_server.http_url, triton_server.metrics_url)
    plan = StepPlan(interval_ms=1000)
    steps = sweep(urls, [1, 4], DEFAULT_INPUT_DATA, tmp_path, plan)
    assert [s.concurrency for s in steps] == [1, 4]
    for step in steps:
        assert step.throughput > 0 and 0 < step.p50_ms <= step.p95_ms <= step.p99_ms
        models = {m.model: m for m in step.models}
        assert {"impression", "preprocess", "generator", "postprocess"} <= set(models)
        sent = models["impression"].requests
        assert sent >= 3 * step.concurrency  # at least three windows with every slot busy
        # /metrics counters land a moment after the answer: allow a request of slack
        for model in ("preprocess", "generator", "postprocess"):
            assert abs(models[model].requests - sent) <= 2, (model, models[model].requests, sent)
        assert models["generator"].compute_ms > 0


async def _sustained_rate(client: AsyncImpressionsClient, reports: list[Report]) -> float:
    """Closed loop with a full batch (64) in flight for MEASURE_S: the server's best rate."""
    done = 0
    stop = time.perf_counter() + MEASURE_S

    async def worker(offset: int) -> None:
        nonlocal done
        index = offset
        while time.perf_counter() < stop:
            await client.summarize(reports[index % len(reports)])
            done += 1
            index += CLOSED_LOOP

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(CLOSED_LOOP)))
    return done / (time.perf_counter() - started)


async def _burst(url: str, reports: list[Report]) -> tuple[float, int, Counter[str], set[str]]:
    async with AsyncImpressionsClient(url, timeout_s=DEADLINE_S) as client:
        for report in reports[:8]:  # warm
            await client.summarize(report)
        rate = await _sustained_rate(client, reports)
        count = min(MAX_BURST, math.ceil(4 * rate * BURST_S))
        outcomes: Counter[str] = Counter()
        busy_messages: set[str] = set()

        async def one(report: Report) -> None:
            try:
                await client.summarize(report)
                outcomes["answered"] += 1
            except ServerBusyError as exc:
                outcomes["rejected"] += 1
                busy_messages.add(exc.message)
            except ImpressionsError as exc:
                outcomes[f"other:{type(exc).__name__}:{exc}"] += 1

        tasks = []
        started = time.perf_counter()
        for index in range(count):  # open loop at 4x the sustained rate
            tasks.append(asyncio.create_task(one(reports[index % len(reports)])))
            delay = started + (index + 1) / (4 * rate) - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=DEADLINE_S)
        return rate, count, outcomes, busy_messages


def test_overload_burst_is_answered_or_rejected_clearly(triton_server: Any) -> None:
    reports = [r.report for r in synthetic_records(64, seed=5)]
    rate, count, outcomes, busy = asyncio.run(_burst(triton_server.grpc_url, reports))
    print(f"\nburst: sustained {rate:.0f}/s, sent {count} at 4x: {dict(outcomes)}")
    assert outcomes["answered"] + outcomes["rejected"] == count, dict(outcomes)
    assert outcomes["answered"] > 0
    # a rejection must be the bounded queue speaking, nothing vaguer
    assert all("exceeds maximum queue size" in m.lower() for m in busy), busy
    with ImpressionsClient(triton_server.grpc_url) as client:
        assert client.is_ready()
        assert client.summarize(reports[0]).impression.strip()
