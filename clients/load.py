"""`impressions load`: a perf_analyzer concurrency sweep on the `impression` ensemble, with chart.

For each concurrency step perf_analyzer (shipped in the tritonclient wheel) sends the committed
synthetic reports of `clients/load_data/reports.json` over gRPC, and Triton's `/metrics` is
scraped before and after the step for the per-model queue/compute split. Results go to
`results/load_sweep.csv`, `results/load_models.csv` and `results/load_sweep.png`; raw
perf_analyzer CSVs to `results/tmp/` (git-ignored). Without --url a server is started on free
loopback ports for the run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clients.load_metrics import ModelTimes, breakdown, scrape
from clients.server import PROJECT_ROOT, TritonServer, free_port, server_environment

DEFAULT_INPUT_DATA = Path(__file__).resolve().parent / "load_data" / "reports.json"
DEFAULT_OUT = PROJECT_ROOT / "results"
DEFAULT_CONCURRENCY = (1, 2, 4, 8, 16, 32)
STEP_TIMEOUT_S = 120


class LoadError(RuntimeError):
    """perf_analyzer or the server could not be run."""


@dataclass(frozen=True)
class Urls:
    grpc: str
    http: str
    metrics: str


@dataclass
class StepResult:
    """One concurrency step: the client's view (perf_analyzer) and the server's (/metrics)."""

    concurrency: int
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    avg_ms: float
    models: list[ModelTimes] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Server


@contextmanager
def serving(grpc_url: str | None, metrics_url: str | None = None) -> Iterator[Urls]:
    """The given server's URLs, or a server of our own on free loopback ports for the block."""
    if grpc_url:
        host = grpc_url.rsplit(":", 1)[0]
        yield Urls(grpc_url, f"{host}:8000", metrics_url or f"http://{host}:8002/metrics")
        return
    log = PROJECT_ROOT / "build" / "load-server.log"
    server = TritonServer(
        http_port=free_port(), grpc_port=free_port(), metrics_port=free_port(), log_file=log
    )
    print(f"starting tritonserver (log {log}) ...", file=sys.stderr)
    server.start()
    try:
        server.wait_ready(("impression",), timeout=420)
        yield Urls(server.grpc_url, server.http_url, server.metrics_url)
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------
# Input data


def write_input_data(path: Path, count: int = 64, seed: int = 11) -> Path:
    """perf_analyzer `--input-data` JSON from synthetic reports (regenerate, then commit)."""
    from clients.bulk_bench import synthetic_records

    entries: list[dict[str, dict[str, Any]]] = []
    for record in synthetic_records(count, seed):
        entry: dict[str, dict[str, Any]] = {}
        for name in ("report_text", "radiologist_id", "exam", "patient_sex", "patient_age"):
            value = getattr(record.report, name)
            entry[name] = {"content": [value or ""], "shape": [1]}
        entries.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(json.dumps(e, ensure_ascii=False) for e in entries)  # one entry a line
    path.write_text(f'{{"data": [\n{lines}\n]}}\n', encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# perf_analyzer


@dataclass(frozen=True)
class StepPlan:
    """How each step measures.

    perf_analyzer's time windows; it reports the mean of the last three windows once they agree
    within `stability_pct`. The bar is loose (default 50%) because a small shared CPU machine
    rarely holds 10%. A step that still never settles is re-run once with a fixed request
    count, whose throughput perf_analyzer divides by whole seconds, so it is coarser.
    """

    interval_ms: int = 2000
    stability_pct: int = 50
    max_trials: int = 6
    requests_per_client: int = 30

    def request_count(self, concurrency: int) -> int:
        return max(60, self.requests_per_client * concurrency)


def perf_analyzer_binary() -> Path:
    path = Path(sys.executable).parent / "perf_analyzer"
    if path.exists():
        return path
    found = shutil.which("perf_analyzer")
    if not found:
        raise LoadError("perf_analyzer not found: it ships with `tritonclient[all]` (make install)")
    return Path(found)


def perf_analyzer_command(
    url: str,
    concurrency: int,
    input_data: Path,
    csv_path: Path,
    plan: StepPlan,
    *,
    fixed_count: bool = False,
) -> list[str]:
    command = [
        str(perf_analyzer_binary()),
        "-m",
        "impression",
        "-i",
        "grpc",
        "-u",
        url,
        "--input-data",
        str(input_data),
        "--concurrency-range",
        f"{concurrency}:{concurrency}",
        "-f",
        str(csv_path),
        "--verbose-csv",  # adds the "Avg latency" column
    ]
    if fixed_count:
        return command + ["--request-count", str(plan.request_count(concurrency))]
    return command + [
        "--measurement-interval",
        str(plan.interval_ms),
        "--stability-percentage",
        str(plan.stability_pct),
        "--max-trials",
        str(plan.max_trials),
    ]


def parse_perf_csv(path: Path) -> dict[str, float]:
    """The single data row of a perf_analyzer `-f` CSV (latencies in microseconds)."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise LoadError(f"{path.name}: perf_analyzer wrote no rows")
    return {key: float(value) for key, value in rows[0].items() if key and value}


def run_perf(
    command: list[str], concurrency: int, timeout_s: float = STEP_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """perf_analyzer as typed, with the libraries it needs; a LoadError when it hangs."""
    try:
        return subprocess.run(
            command,
            env=server_environment(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        raise LoadError(
            f"perf_analyzer at concurrency {concurrency} ran past {timeout_s}s"
        ) from None


def perf_analyzer_row(
    command: list[str], concurrency: int, csv_path: Path, timeout_s: float = STEP_TIMEOUT_S
) -> dict[str, float]:
    """One perf_analyzer step that writes ``csv_path`` (``-f``): its data row, or a LoadError
    with the tail of its output."""
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    csv_path.unlink(missing_ok=True)
    done = run_perf(command, concurrency, timeout_s)
    if done.returncode != 0 or not csv_path.exists():
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise LoadError(f"perf_analyzer failed at concurrency {concurrency}:\n{tail}")
    return parse_perf_csv(csv_path)


def run_perf_analyzer(
    url: str, concurrency: int, input_data: Path, csv_path: Path, plan: StepPlan
) -> dict[str, float]:
    """One step; falls back to a fixed request count when the windows never stabilise."""
    command = perf_analyzer_command(url, concurrency, input_data, csv_path, plan)
    try:
        return perf_analyzer_row(command, concurrency, csv_path)
    except LoadError as exc:
        if "stable" not in str(exc):
            raise
    print(
        f"concurrency {concurrency}: unstable windows, re-run with a fixed count", file=sys.stderr
    )
    command = perf_analyzer_command(url, concurrency, input_data, csv_path, plan, fixed_count=True)
    return perf_analyzer_row(command, concurrency, csv_path)


def sweep(
    urls: Urls,
    concurrencies: Sequence[int],
    input_data: Path,
    raw_dir: Path,
    plan: StepPlan,
) -> list[StepResult]:
    """Run every step in order; the /metrics deltas cover exactly that step's perf_analyzer."""
    steps: list[StepResult] = []
    for concurrency in concurrencies:
        before = scrape(urls.metrics)
        row = run_perf_analyzer(
            urls.grpc, concurrency, input_data, raw_dir / f"perf_c{concurrency}.csv", plan
        )
        after = scrape(urls.metrics)
        step = StepResult(
            concurrency=concurrency,
            throughput=row["Inferences/Second"],
            p50_ms=row["p50 latency"] / 1000,
            p95_ms=row["p95 latency"] / 1000,
            p99_ms=row["p99 latency"] / 1000,
            avg_ms=row["Avg latency"] / 1000,
            models=breakdown(before, after),
        )
        print(
            f"concurrency {concurrency:>3}: {step.throughput:8.1f} reports/s  "
            f"p95 {step.p95_ms:8.1f} ms",
            file=sys.stderr,
        )
        steps.append(step)
    return steps


# ---------------------------------------------------------------------------------------------
# Output


def write_csvs(steps: Sequence[StepResult], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    sweep_csv, models_csv = out_dir / "load_sweep.csv", out_dir / "load_models.csv"
    with sweep_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["concurrency", "reports_per_s", "p50_ms", "p95_ms", "p99_ms", "avg_ms"])
        for s in steps:
            writer.writerow(
                [s.concurrency, f"{s.throughput:.1f}"]
                + [f"{v:.1f}" for v in (s.p50_ms, s.p95_ms, s.p99_ms, s.avg_ms)]
            )
    with models_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "concurrency",
                "model",
                "requests",
                "avg_batch",
                "queue_ms",
                "compute_ms",
                "request_ms",
            ]
        )
        for s in steps:
            for m in s.models:
                writer.writerow(
                    [s.concurrency, m.model, m.requests, f"{m.avg_batch:.2f}"]
                    + [f"{v:.2f}" for v in (m.queue_ms, m.compute_ms, m.request_ms)]
                )
    return sweep_csv, models_csv


def markdown_table(steps: Sequence[StepResult]) -> str:
    """The README table: client view plus the generator's queue/compute split."""
    lines = [
        "| concurrency | reports/s | p50 ms | p95 ms | p99 ms | generator queue ms "
        "| generator compute ms | generator avg batch |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in steps:
        gen = next((m for m in s.models if m.model == "generator"), None)
        gq, gc, gb = (gen.queue_ms, gen.compute_ms, gen.avg_batch) if gen else (0.0, 0.0, 0.0)
        lines.append(
            f"| {s.concurrency} | {s.throughput:.1f} | {s.p50_ms:.1f} | {s.p95_ms:.1f} "
            f"| {s.p99_ms:.1f} | {gq:.1f} | {gc:.1f} | {gb:.1f} |"
        )
    return "\n".join(lines)


def parse_concurrency(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or any(v < 1 or v > 1024 for v in values):
        raise argparse.ArgumentTypeError("concurrency: comma-separated integers in 1..1024")
    return values


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="impressions load", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="gRPC host:port of a running server (else start one)")
    parser.add_argument("--metrics-url", help="default http://<host>:8002/metrics")
    parser.add_argument(
        "--concurrency",
        type=parse_concurrency,
        default=list(DEFAULT_CONCURRENCY),
        help="comma-separated steps (default 1,2,4,8,16,32)",
    )
    parser.add_argument(
        "--measurement-interval", type=int, default=2000, help="ms per window (default 2000)"
    )
    parser.add_argument(
        "--stability-percentage", type=int, default=50, help="windows must agree within (50)"
    )
    parser.add_argument(
        "--requests-per-client",
        type=int,
        default=30,
        help="fallback for unstable steps: max(60, this x concurrency) requests",
    )
    parser.add_argument("--input-data", type=Path, default=DEFAULT_INPUT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    parser.add_argument(
        "--write-input-data",
        action="store_true",
        help="regenerate the synthetic --input-data JSON and exit",
    )
    return parser


def _warm_up(url: str) -> None:
    from clients.client import ImpressionsClient

    report = json.loads(DEFAULT_INPUT_DATA.read_text())["data"][0]["report_text"]["content"][0]
    with ImpressionsClient(url, protocol="grpc") as client:
        for _ in range(4):
            client.summarize(report)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.write_input_data:
        print(write_input_data(args.input_data))
        return 0
    started = time.monotonic()
    plan = StepPlan(
        interval_ms=args.measurement_interval,
        stability_pct=args.stability_percentage,
        requests_per_client=args.requests_per_client,
    )
    try:
        with serving(args.url, args.metrics_url) as urls:
            _warm_up(urls.grpc)
            steps = sweep(urls, args.concurrency, args.input_data, args.out / "tmp", plan)
    except LoadError as exc:
        print(f"impressions load: {exc}", file=sys.stderr)
        return 1
    from clients.load_chart import render_chart

    sweep_csv, models_csv = write_csvs(steps, args.out)
    title = f"impression ensemble, gRPC, {os.cpu_count()} CPU cores, perf_analyzer sweep"
    chart = render_chart(steps, args.out / "load_sweep.png", title)
    print(markdown_table(steps))
    print(f"\nwrote {sweep_csv}, {models_csv}, {chart} in {time.monotonic() - started:.0f}s")
    return 0
