"""`impressions jobs bench`: the job service measured on this machine (a script, not a test).

Parts (all by default, or `--parts compare,burst,crash,overhead`):
- compare: "batch transform" (a fresh tritonserver per job: start, process with
  `impressions bulk`'s runner, stop) vs the job service (warm server, queued job), end to end
  from submit to results on disk, per job size; ratio per size; chart.
- burst: N jobs submitted within seconds; every job accepted and finished, records lost or
  duplicated counted, RSS of the API and worker sampled, p50/p95 of `GET /v1/jobs/{id}` during it.
- crash: SIGKILL the worker, then (another job) the API, halfway through a large job; restart;
  every record exactly once?
- overhead: perf_analyzer at the service's concurrency on the same warm server vs the
  throughput of a large job through the service (same reports).
Writes results/jobs_bench.json and results/jobs_compare.png and prints markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from clients.server import PROJECT_ROOT, TritonServer, free_port
from jobs.client import JobsClient
from jobs.harness import ServiceProcesses

OUT = PROJECT_ROOT / "results"


def _payload(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """n synthetic reports (the project's corpus generator), as job records."""
    from clients.bulk_bench import synthetic_records

    pool = synthetic_records(min(n, 500), seed)
    rows = []
    for i in range(n):
        report = pool[i % len(pool)].report
        row = {"id": f"b{i}", "report_text": report.report_text}
        for name in ("radiologist_id", "exam", "patient_sex", "patient_age"):
            if getattr(report, name):
                row[name] = getattr(report, name)
        rows.append(row)
    return rows


def _write(rows: list[dict[str, Any]], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return path


def _start_triton(log_dir: Path, name: str) -> TritonServer:
    server = TritonServer(
        http_port=free_port(),
        grpc_port=free_port(),
        metrics_port=free_port(),
        log_file=log_dir / f"{name}.log",
    )
    server.start()
    server.wait_ready(("impression", "report_check"), timeout=600)
    return server


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _check_results(client: JobsClient, job_id: str, ids: list[str]) -> dict[str, int]:
    seen = [json.loads(line)["id"] for line in client.results(job_id)]
    return {
        "lines": len(seen),
        "missing": len(set(ids) - set(seen)),
        "duplicated": len(seen) - len(set(seen)),
    }


# ---- compare ------------------------------------------------------------------------------


def batch_transform(rows: list[dict[str, Any]], work: Path, concurrency: int) -> float:
    """Fresh server -> process every record -> stop; seconds end to end."""
    from clients.bulk import run_bulk
    from clients.bulk_io import read_records
    from clients.client_grpc_aio import AsyncImpressionsClient

    payload = _write(rows, work / "bt-in.jsonl")
    out = work / "bt-out.jsonl"
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    server = _start_triton(work, f"batch-{len(rows)}")
    try:
        records = read_records(payload)

        async def run() -> None:
            async with AsyncImpressionsClient(server.grpc_url) as client:
                await run_bulk(records, out, client, concurrency=concurrency, progress=False)

        asyncio.run(run())
    finally:
        server.stop()
    elapsed = time.perf_counter() - started
    lines = sum(1 for _ in out.open())
    assert lines == len(rows), f"batch transform wrote {lines} of {len(rows)}"
    return elapsed


def service_job(client: JobsClient, rows: list[dict[str, Any]], work: Path) -> tuple[float, dict]:
    """Submit -> wait -> results on disk, against the warm service; seconds end to end."""
    payload = _write(rows, work / "svc-in.jsonl")
    started = time.perf_counter()
    job_id = client.submit(payload)["job_id"]
    final = client.wait(job_id, poll_s=0.1)
    with (work / "svc-out.jsonl").open("wb") as out:
        for line in client.results(job_id):
            out.write(line + b"\n")
    elapsed = time.perf_counter() - started
    assert final["counts"]["done"] == len(rows), final["counts"]
    return elapsed, final


def compare(client: JobsClient, sizes: list[int], work: Path, concurrency: int) -> list[dict]:
    rows_out = []
    for size in sizes:
        rows = _payload(size)
        svc_s, final = service_job(client, rows, work)
        bt_s = batch_transform(rows, work, concurrency)
        row = {
            "size": size,
            "batch_transform_s": round(bt_s, 2),
            "service_s": round(svc_s, 2),
            "ratio": round(bt_s / svc_s, 2),
            "service_queued_s": final["timings"]["queued_s"],
            "service_rps": final["throughput_rps"],
        }
        print(json.dumps(row), flush=True)
        rows_out.append(row)
    return rows_out


def chart(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["size"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(sizes, [r["batch_transform_s"] for r in rows], "o-", label="batch transform")
    ax.plot(sizes, [r["service_s"] for r in rows], "s-", label="job service (warm, queued)")
    for r in rows:
        ax.annotate(
            f"{r['ratio']}x",
            (r["size"], r["batch_transform_s"]),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=8,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("reports in the job")
    ax.set_ylabel("submit to results, s")
    ax.set_title(f"End to end per job, {os.cpu_count()} CPU cores (ratio = batch / service)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---- burst --------------------------------------------------------------------------------


def burst(svc: ServiceProcesses, client: JobsClient, jobs: int, per_job: int) -> dict[str, Any]:
    rows = _payload(per_job)
    body = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    ids = [r["id"] for r in rows]
    job_ids: list[str] = []
    latencies: list[float] = []
    rss = {"api": 0.0, "worker": 0.0}
    stop = threading.Event()

    def poll() -> None:
        with JobsClient(svc.url) as reader:
            while not stop.is_set():
                if not job_ids:
                    time.sleep(0.01)
                    continue
                job_id = random.choice(job_ids)
                started = time.perf_counter()
                reader.status(job_id)
                latencies.append((time.perf_counter() - started) * 1000)
                assert svc.api is not None
                rss["api"] = max(rss["api"], _rss_mb(svc.api.pid))
                rss["worker"] = max(rss["worker"], max(_rss_mb(w.pid) for w in svc.workers))
                time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    started = time.perf_counter()

    def submit(i: int) -> str:
        with JobsClient(svc.url) as own:
            return own.submit(body, idempotency_key=f"burst-{started}-{i}")["job_id"]

    with ThreadPoolExecutor(16) as pool:
        for job_id in pool.map(submit, range(jobs)):
            job_ids.append(job_id)
    submit_window = time.perf_counter() - started
    finals = [client.wait(j, poll_s=0.5) for j in job_ids]
    done_s = time.perf_counter() - started
    stop.set()
    poller.join(timeout=5)
    lost = dup = 0
    for job_id in job_ids:
        check = _check_results(client, job_id, ids)
        lost += check["missing"]
        dup += check["duplicated"]
    latencies.sort()
    return {
        "jobs": jobs,
        "records_per_job": per_job,
        "accepted": len(set(job_ids)),
        "succeeded": sum(f["status"] == "succeeded" for f in finals),
        "submit_window_s": round(submit_window, 2),
        "all_done_s": round(done_s, 1),
        "records_lost": lost,
        "records_duplicated": dup,
        "status_reads": len(latencies),
        "status_p50_ms": round(statistics.median(latencies), 1),
        "status_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "status_max_ms": round(latencies[-1], 1),
        "api_rss_max_mb": round(rss["api"], 1),
        "worker_rss_max_mb": round(rss["worker"], 1),
    }


# ---- crash --------------------------------------------------------------------------------


def crash(svc: ServiceProcesses, size: int, victim: str, work: Path) -> dict[str, Any]:
    rows = _payload(size, seed=1)
    ids = [r["id"] for r in rows]
    payload = _write(rows, work / f"crash-{victim}.jsonl")
    started = time.perf_counter()
    with JobsClient(svc.url) as client:
        job_id = client.submit(payload)["job_id"]
        while client.status(job_id)["counts"]["done"] < size // 2:
            time.sleep(0.2)
    if victim == "worker":
        target = svc.workers[-1]
    else:
        assert svc.api is not None
        target = svc.api
    svc.kill(target)
    killed_at = time.perf_counter()
    if victim == "worker":
        svc.start_worker()
    else:
        svc.start_api()
    restarted = time.perf_counter() - killed_at
    with JobsClient(svc.url) as client:
        at_restart = client.status(job_id)["counts"]["done"]
        final = client.wait(job_id, poll_s=0.5)
        check = _check_results(client, job_id, ids)
    return {
        "killed": victim,
        "records": size,
        "done_when_killed": at_restart,
        "restart_s": round(restarted, 1),
        "total_s": round(time.perf_counter() - started, 1),
        "status": final["status"],
        "runs": final["runs"],
        **check,
    }


# ---- overhead -----------------------------------------------------------------------------


def _perf_analyzer_rps(url: str, concurrency: int, requests: int, csv_path: Path) -> float:
    """perf_analyzer sending `requests` requests (the job's size) at `concurrency`: a fixed
    count, not stability windows, which a busy shared machine never satisfies."""
    import subprocess

    from clients.load import DEFAULT_INPUT_DATA, StepPlan, parse_perf_csv, perf_analyzer_command
    from clients.server import server_environment

    plan = StepPlan(requests_per_client=max(1, requests // concurrency))
    command = perf_analyzer_command(
        url, concurrency, DEFAULT_INPUT_DATA, csv_path, plan, fixed_count=True
    )
    csv_path.unlink(missing_ok=True)
    subprocess.run(command, env=server_environment(), capture_output=True, check=True, timeout=3600)
    return parse_perf_csv(csv_path)["Inferences/Second"]


def overhead(
    client: JobsClient, triton_url: str, size: int, concurrency: int, work: Path
) -> dict[str, Any]:
    from clients.load import DEFAULT_INPUT_DATA

    data = json.loads(DEFAULT_INPUT_DATA.read_text())["data"]
    rows = []
    for i in range(size):
        entry = data[i % len(data)]
        row = {"id": f"o{i}"}
        for name, value in entry.items():
            if value["content"][0]:
                row[name] = value["content"][0]
        rows.append(row)
    pa_rps = _perf_analyzer_rps(triton_url, concurrency, size, work / "pa.csv")
    _, final = service_job(client, rows, work)
    pa_again = _perf_analyzer_rps(triton_url, concurrency, size, work / "pa2.csv")
    svc_rps = final["throughput_rps"]
    reference = (pa_rps + pa_again) / 2
    return {
        "concurrency": concurrency,
        "records": size,
        "perf_analyzer_rps_before": round(pa_rps, 1),
        "perf_analyzer_rps_after": round(pa_again, 1),
        "service_rps": svc_rps,
        "overhead_pct": round(100 * (1 - svc_rps / reference), 1),
    }


# ---- main ---------------------------------------------------------------------------------


def _table(rows: list[dict], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
    lines += ["| " + " | ".join(str(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="impressions jobs bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--parts", default="compare,burst,crash,overhead")
    parser.add_argument("--sizes", default="10,100,1000,10000", help="compare: job sizes")
    parser.add_argument("--burst-jobs", type=int, default=200)
    parser.add_argument("--burst-records", type=int, default=5, help="records per burst job")
    parser.add_argument("--crash-size", type=int, default=5000)
    parser.add_argument("--overhead-size", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=OUT)
    return parser


def _save(report: dict[str, Any], out: Path) -> None:
    """Merge this run's parts into results/jobs_bench.json (parts run separately add up)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "jobs_bench.json"
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged.update(report)
    path.write_text(json.dumps(merged, indent=1) + "\n")


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    parts = set(args.parts.split(","))
    work = Path(tempfile.mkdtemp(prefix="impressions-jobs-bench-"))
    report: dict[str, Any] = {"cpu_cores": os.cpu_count(), "concurrency": args.concurrency}
    warm = _start_triton(work, "warm")
    svc = ServiceProcesses(
        data_dir=work / "service",
        triton_url=warm.grpc_url,
        concurrency=args.concurrency,
        lease_s=5.0,
    )
    try:
        svc.start_api()
        svc.start_worker()
        with JobsClient(svc.url, timeout=300) as client:
            service_job(client, _payload(20), work)  # warm the worker's channel and the models
            if "compare" in parts:
                sizes = [int(s) for s in args.sizes.split(",")]
                report["compare"] = compare(client, sizes, work, args.concurrency)
                chart(report["compare"], args.out / "jobs_compare.png")
                columns = ["size", "batch_transform_s", "service_s", "ratio", "service_rps"]
                print(_table(report["compare"], columns))
                _save(report, args.out)
            if "burst" in parts:
                report["burst"] = burst(svc, client, args.burst_jobs, args.burst_records)
                print(json.dumps(report["burst"], indent=1), flush=True)
                _save(report, args.out)
        if "crash" in parts:
            report["crash"] = [crash(svc, args.crash_size, v, work) for v in ("worker", "api")]
            print(_table(report["crash"], list(report["crash"][0])), flush=True)
            _save(report, args.out)
        if "overhead" in parts:
            with JobsClient(svc.url, timeout=300) as client:
                report["overhead"] = overhead(
                    client, warm.grpc_url, args.overhead_size, args.concurrency, work
                )
            print(json.dumps(report["overhead"], indent=1), flush=True)
            _save(report, args.out)
    finally:
        svc.stop()
        warm.stop()
    print(f"wrote {args.out / 'jobs_bench.json'} (work dir {work})")
    return 0
