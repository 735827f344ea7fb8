"""`impressions bulk in.jsonl out.jsonl`: thousands of reports through a warm server, resumable.

A bounded number of single-report gRPC requests stays in flight (asyncio), so the server's
dynamic batcher forms the batches and one bad report fails alone. Every input id ends up as one
output line `{id, impression, warnings, error, latency_ms}`; re-running the same command skips
the ids already written. Busy/unavailable answers are retried with exponential backoff; if the
server stays unreachable the run stops (nothing written for the unanswered ids) so that a resume
picks them up, instead of marking thousands of records as failed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from clients.bulk_io import InputFileError, OutputWriter, Record, read_records, resume_output
from clients.client import (
    Impression,
    ImpressionsError,
    ModelNotReadyError,
    Report,
    ServerUnreachableError,
    error_record,
)
from clients.stats import LatencySummary

if TYPE_CHECKING:
    from tqdm import tqdm

EXIT_OK, EXIT_FAILED_RECORDS, EXIT_INPUT, EXIT_SERVER = 0, 1, 2, 3


class Summarizer(Protocol):
    async def summarize(self, report: Report) -> Impression: ...


class BulkAborted(RuntimeError):
    """The server stayed unreachable: the run stops so a later resume can finish it."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for busy/unavailable answers."""

    max_attempts: int = 6
    base_delay_s: float = 0.2
    max_delay_s: float = 10.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * rng.random())


@dataclass
class BulkStats:
    """Counts of one run; `failed_earlier` are skipped ids whose output line carries an error."""

    total: int = 0
    skipped: int = 0
    failed_earlier: int = 0
    done: int = 0
    failed: int = 0
    retried: int = 0
    wall_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        """Records finished (answered or failed) per second of this run."""
        return (self.done + self.failed) / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def errors_in_output(self) -> int:
        """Records of this input whose output line carries an error, from this or earlier runs."""
        return self.failed + self.failed_earlier

    def table(self) -> str:
        latency = LatencySummary.of(self.latencies_ms)
        p50, p95, p99 = latency.p50_ms, latency.p95_ms, latency.p99_ms
        rows = [
            ("records in input", f"{self.total}"),
            ("skipped (already in output)", f"{self.skipped}"),
            ("  of which with errors", f"{self.failed_earlier}"),
            ("done", f"{self.done}"),
            ("failed (written with error)", f"{self.failed}"),
            ("retries", f"{self.retried}"),
            ("wall time", f"{self.wall_s:.1f} s"),
            ("throughput", f"{self.throughput:.1f} reports/s"),
            ("latency p50 / p95 / p99", f"{p50:.0f} / {p95:.0f} / {p99:.0f} ms"),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


class BulkRunner:
    """Runs records through a Summarizer with bounded concurrency and writes each result."""

    def __init__(
        self,
        client: Summarizer,
        writer: OutputWriter,
        *,
        concurrency: int = 16,
        retry: RetryPolicy | None = None,
        progress: bool = True,
        seed: int | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.client = client
        self.writer = writer
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.progress = progress
        self.rng = random.Random(seed)
        self.stats = BulkStats()
        self._bar: tqdm | None = None

    async def run(self, records: Iterable[Record], count: int) -> BulkStats:
        """Process every record; returns the stats (also on abort, via self.stats)."""
        from tqdm import tqdm

        started = time.perf_counter()
        source: Iterator[Record] = iter(records)
        self._bar = tqdm(
            total=count, unit="report", disable=not self.progress, dynamic_ncols=True, smoothing=0.1
        )
        try:
            workers = [
                asyncio.create_task(self._worker(source))
                for _ in range(min(self.concurrency, max(count, 1)))
            ]
            try:
                await asyncio.gather(*workers)
            except BaseException:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                raise
        finally:
            self._bar.close()
            self.stats.wall_s = time.perf_counter() - started
        return self.stats

    async def _worker(self, source: Iterator[Record]) -> None:
        for record in source:  # asyncio: next() never interleaves, so sharing it is safe
            await self._one(record)

    async def _one(self, record: Record) -> None:
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                answer = await self.client.summarize(record.report)
            except ImpressionsError as exc:
                latency = (time.perf_counter() - started) * 1000
                if exc.retryable and attempt < self.retry.max_attempts:
                    self.stats.retried += 1
                    self._show()
                    await asyncio.sleep(self.retry.delay(attempt, self.rng))
                    continue
                if isinstance(exc, ServerUnreachableError | ModelNotReadyError):
                    raise BulkAborted(
                        f"server unavailable after {attempt} attempts: {exc}"
                    ) from None
                self._write_error(record, exc, latency)
                return
            except Exception as exc:  # never drop a record silently, whatever went wrong
                self._write_error(record, exc, (time.perf_counter() - started) * 1000)
                return
            latency = (time.perf_counter() - started) * 1000
            self.writer.write(
                {
                    "id": record.id,
                    "impression": answer.impression,
                    "warnings": answer.warnings,
                    "error": None,
                    "latency_ms": round(latency, 1),
                }
            )
            self.stats.done += 1
            self.stats.latencies_ms.append(latency)
            self._advance()
            return

    def _write_error(self, record: Record, exc: BaseException, latency_ms: float) -> None:
        self.writer.write(
            {
                "id": record.id,
                "impression": None,
                "warnings": None,
                "error": error_record(exc),
                "latency_ms": round(latency_ms, 1),
            }
        )
        self.stats.failed += 1
        self._advance()

    def _advance(self) -> None:
        if self._bar is not None:
            self._bar.update(1)
            self._show()

    def _show(self) -> None:
        if self._bar is not None and self.progress:
            self._bar.set_postfix(
                failed=self.stats.failed, retried=self.stats.retried, refresh=False
            )


@dataclass(frozen=True)
class BulkPlan:
    """What a run has to do after reading the input and resuming the output."""

    records: list[Record]  # every record of the input
    todo: list[Record]  # those with no line in the output yet
    failed_earlier: int  # input records whose existing output line carries an error


def plan(
    input_path: Path, output_path: Path, *, fmt: str | None = None, retry_failed: bool = False
) -> BulkPlan:
    """Read the input and resume the output: which records still need a request."""
    records = read_records(input_path, fmt)
    state = resume_output(output_path, retry_failed=retry_failed)
    if state.torn_bytes:
        print(
            f"bulk: cut a torn last line ({state.torn_bytes} bytes) from {output_path.name}",
            file=sys.stderr,
        )
    written = state.done_ids | state.failed_ids
    return BulkPlan(
        records=records,
        todo=[r for r in records if r.id not in written],
        failed_earlier=sum(1 for r in records if r.id in state.failed_ids),
    )


async def run_bulk(
    records: Sequence[Record],
    output_path: Path,
    client: Summarizer,
    *,
    concurrency: int = 16,
    retry: RetryPolicy | None = None,
    progress: bool = True,
) -> BulkStats:
    """Append the results of `records` to output_path (library entry point for scripts/tests)."""
    with OutputWriter(output_path) as writer:
        runner = BulkRunner(client, writer, concurrency=concurrency, retry=retry, progress=progress)
        return await runner.run(records, len(records))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="impressions bulk",
        description="Summarize many reports through a running server; re-run to resume.",
    )
    parser.add_argument("input", type=Path, help="JSONL or CSV with id, report_text[, context]")
    parser.add_argument("output", type=Path, help="JSONL output, appended to (resume)")
    parser.add_argument("--url", default=None, help="gRPC host:port (default 127.0.0.1:8001)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (16)")
    parser.add_argument("--format", choices=("jsonl", "csv"), help="input format (by suffix)")
    parser.add_argument("--max-attempts", type=int, default=6, help="per record, busy/unavailable")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per request")
    parser.add_argument(
        "--retry-failed", action="store_true", help="drop error lines of the output and rerun them"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


async def _run_cli(args: argparse.Namespace, todo: list[Record], stats: BulkStats) -> BulkStats:
    from clients.client_grpc_aio import AsyncImpressionsClient

    async with AsyncImpressionsClient(args.url, timeout_s=args.timeout) as client:
        if not await client.is_ready():
            raise BulkAborted(f"no ready `impression` model at {client.url}")
        with OutputWriter(args.output) as writer:
            runner = BulkRunner(
                client,
                writer,
                concurrency=args.concurrency,
                retry=RetryPolicy(max_attempts=args.max_attempts),
                progress=not args.no_progress,
            )
            runner.stats = stats
            return await runner.run(todo, len(todo))


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        work = plan(args.input, args.output, fmt=args.format, retry_failed=args.retry_failed)
    except (InputFileError, OSError) as exc:
        print(f"impressions bulk: {exc}", file=sys.stderr)
        return EXIT_INPUT
    stats = BulkStats(
        total=len(work.records),
        skipped=len(work.records) - len(work.todo),
        failed_earlier=work.failed_earlier,
    )
    code = EXIT_OK
    try:
        if work.todo:
            asyncio.run(_run_cli(args, work.todo, stats))
    except BulkAborted as exc:
        print(
            f"impressions bulk: stopped: {exc}; re-run the same command to resume", file=sys.stderr
        )
        code = EXIT_SERVER
    except KeyboardInterrupt:
        print("impressions bulk: interrupted; re-run the same command to resume", file=sys.stderr)
        code = 130
    print(stats.table())
    if code == EXIT_OK and stats.errors_in_output:
        print(
            f"{args.output.name}: {stats.errors_in_output} of {stats.total} records carry an "
            f"error ({stats.failed} from this run); --retry-failed re-runs them",
            file=sys.stderr,
        )
        code = EXIT_FAILED_RECORDS
    return code
