"""`impressions bulk` through the real server: resume, bad records, every id once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clients import bulk
from clients.bulk_bench import synthetic_records, write_jsonl
from clients.bulk_io import Record
from clients.client import Report

pytestmark = pytest.mark.integration


def output_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_bulk_resume_bad_records_and_all_ids(
    triton_server: Any, tmp_path: Path, capsys: Any
) -> None:
    records = synthetic_records(30, seed=3)
    records.insert(7, Record("bad-empty", Report("   ")))
    records.insert(20, Record("bad-age", Report("No pneumothorax.", patient_age="two hundred")))
    source, partial_source = tmp_path / "in.jsonl", tmp_path / "first.jsonl"
    write_jsonl(records, source)
    write_jsonl(records[:12], partial_source)
    out = tmp_path / "out.jsonl"
    common = ["--url", triton_server.grpc_url, "--no-progress", "--concurrency", "8"]

    # a first run that covered 12 records, then was killed in the middle of a line
    assert bulk.main([str(partial_source), str(out), *common]) == bulk.EXIT_FAILED_RECORDS
    first_lines = out.read_text(encoding="utf-8")
    with out.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "' + records[12].id + '", "impression": "half')
    capsys.readouterr()

    assert bulk.main([str(source), str(out), *common]) == bulk.EXIT_FAILED_RECORDS
    printed = capsys.readouterr()
    assert "torn last line" in printed.err
    assert "skipped (already in output)  12" in printed.out
    text = out.read_text(encoding="utf-8")
    assert text.startswith(first_lines)  # earlier results kept, not redone
    rows = output_rows(out)
    assert sorted(r["id"] for r in rows) == sorted(r.id for r in records)  # each id exactly once
    by_id = {r["id"]: r for r in rows}
    assert by_id["bad-empty"]["error"]["type"] == "InvalidReportError"
    assert "report_text is empty" in by_id["bad-empty"]["error"]["message"]
    assert "patient_age must be" in by_id["bad-age"]["error"]["message"]
    good = [r for r in rows if not r["id"].startswith("bad-")]
    assert all(r["error"] is None and r["impression"].strip() for r in good)
    assert all(isinstance(r["warnings"], list) and r["latency_ms"] > 0 for r in good)

    assert out.stat().st_mode & 0o777 == 0o600  # impressions are PHI

    # nothing left to do: a re-run adds no line, but the two error lines still mean exit 1
    capsys.readouterr()
    assert bulk.main([str(source), str(out), *common]) == bulk.EXIT_FAILED_RECORDS
    assert (
        f"2 of {len(records)} records carry an error (0 from this run)" in capsys.readouterr().err
    )
    assert out.read_text(encoding="utf-8") == text
    # --retry-failed re-runs only the two bad ones
    assert bulk.main([str(source), str(out), *common, "--retry-failed"]) == (
        bulk.EXIT_FAILED_RECORDS
    )
    again = output_rows(out)
    assert len(again) == len(records) and {r["id"] for r in again} == set(by_id)
