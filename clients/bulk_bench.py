"""Bulk runner vs a naive sequential loop on the same synthetic reports, in one run.

    python -m clients.bulk_bench [--n 1000] [--concurrency 16] [--url host:port]

Without --url it starts its own server on free ports. Prints a table and the speed-up; the
numbers belong in the README (docs/clients.md), not in a timed unit test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from clients.bulk import BulkStats, run_bulk
from clients.bulk_io import Record
from clients.client import ImpressionsClient, ImpressionsError, Report
from clients.stats import LatencySummary

_FALLBACK_FINDINGS = (
    "There is a {n} mm solid nodule in the {side} upper lobe. No pneumothorax. "
    "No pleural effusion. The heart is normal in size.",
    "Small {side} pleural effusion with adjacent atelectasis. No focal consolidation.",
    "The lungs are clear. No pleural effusion or pneumothorax. Normal cardiomediastinal contours.",
    "A {n} mm simple cyst in the {side} kidney. No hydronephrosis. No renal calculi.",
    "No acute intracranial hemorrhage. No mass effect or midline shift. Ventricles are normal.",
)
_FALLBACK_EXAMS = ("CT chest", "XR chest 2 views", "CT chest", "US renal", "CT head")


def _without_impression(report: str) -> str:
    """The report as a reporting system sends it: the IMPRESSION section left empty."""
    head, sep, _ = report.partition("IMPRESSION:")
    return f"{head}{sep}\n" if sep else report


def synthetic_records(n: int, seed: int = 0) -> list[Record]:
    """n synthetic reports with context: export.corpus when present, else a few templates."""
    try:
        from export.corpus import generate_cases, render_report
    except ImportError:
        return _template_records(n, seed)
    records: list[Record] = []
    for case in generate_cases(n, seed=seed, split="test"):
        patient = case.get("patient") or {}
        report = Report(
            _without_impression(render_report(case)),
            radiologist_id=f"dr_{len(records) % 5}",
            exam=case.get("exam"),
            patient_sex=patient.get("sex"),
            patient_age=None if patient.get("age") is None else str(patient["age"]),
        )
        records.append(Record(str(case["id"]), report))
    return records


def _template_records(n: int, seed: int) -> list[Record]:
    rng = random.Random(seed)
    records: list[Record] = []
    for index in range(n):
        pick = rng.randrange(len(_FALLBACK_FINDINGS))
        findings = _FALLBACK_FINDINGS[pick].format(
            n=rng.randint(3, 30), side=rng.choice(("left", "right"))
        )
        exam = _FALLBACK_EXAMS[pick]
        text = f"EXAM: {exam}\nCOMPARISON: None.\nFINDINGS:\n{findings}\nIMPRESSION:\n"
        report = Report(
            text,
            exam=_FALLBACK_EXAMS[pick],
            patient_sex=rng.choice("FM"),
            patient_age=str(rng.randint(20, 90)),
        )
        records.append(Record(f"synthetic-{seed}-{index:06d}", report))
    return records


def write_jsonl(records: list[Record], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            row: dict[str, Any] = {"id": record.id, "report_text": record.report.report_text}
            for name in ("radiologist_id", "exam", "patient_sex", "patient_age"):
                row[name] = getattr(record.report, name)
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def naive_loop(records: list[Record], url: str) -> BulkStats:
    """What a first script does: one blocking request at a time."""
    stats = BulkStats(total=len(records))
    started = time.perf_counter()
    with ImpressionsClient(url, protocol="grpc") as client:
        for record in records:
            t0 = time.perf_counter()
            try:
                client.summarize(record.report)
                stats.done += 1
                stats.latencies_ms.append((time.perf_counter() - t0) * 1000)
            except ImpressionsError:
                stats.failed += 1
    stats.wall_s = time.perf_counter() - started
    return stats


async def _bulk(records: list[Record], out: Path, url: str, concurrency: int) -> BulkStats:
    from clients.client_grpc_aio import AsyncImpressionsClient

    async with AsyncImpressionsClient(url) as client:
        stats = await run_bulk(records, out, client, concurrency=concurrency, progress=False)
    stats.total = len(records)
    return stats


def compare(records: list[Record], url: str, concurrency: int, workdir: Path) -> str:
    """Run both ways on the same records; return the printed table."""
    with ImpressionsClient(url, protocol="grpc") as client:  # warm-up: first-call costs out
        for record in records[:8]:
            client.summarize(record.report)
    naive = naive_loop(records, url)
    bulk = asyncio.run(_bulk(records, workdir / "bulk_out.jsonl", url, concurrency))
    lines = [
        f"{len(records)} synthetic reports, server {url} (gRPC)",
        "",
        "| runner | wall s | reports/s | p50 ms | p95 ms | p99 ms | failed |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, stats in (("naive sequential loop", naive), (f"bulk, {concurrency} in flight", bulk)):
        latency = LatencySummary.of(stats.latencies_ms)
        lines.append(
            f"| {name} | {stats.wall_s:.1f} | {stats.throughput:.1f} | {latency.p50_ms:.0f} "
            f"| {latency.p95_ms:.0f} | {latency.p99_ms:.0f} | {stats.failed} |"
        )
    speedup = naive.wall_s / bulk.wall_s if bulk.wall_s else float("nan")
    lines += ["", f"speed-up (naive wall / bulk wall): {speedup:.1f}x"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clients.bulk_bench", description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="reports (default 1000)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--url", help="gRPC host:port of a running server (else start one)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    records = synthetic_records(args.n, args.seed)
    from clients.load import serving

    with serving(args.url) as urls, tempfile.TemporaryDirectory() as tmp:
        print(compare(records, urls.grpc, args.concurrency, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
