"""The JSON a client sees for a job: status, counts, progress, timings, URLs (no PHI)."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from jobs.db import Job


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat() if ts else None


def job_view(job: Job, base_url: str = "", attempts: list[dict[str, Any]] | None = None) -> dict:
    """Everything about a job that is safe to show and to send in a webhook."""
    row = job.row
    total = row["total"]
    finished = row["done"] + row["failed"]
    end = row["finished_at"] or time.time()
    started = row["started_at"]
    run_s = (end - started) if started else None
    view: dict[str, Any] = {
        "job_id": row["id"],
        "status": row["status"],
        "model": row["model"],
        "counts": {"total": total, "done": row["done"], "failed": row["failed"]},
        "progress": round(finished / total, 4) if total else (1.0 if total == 0 else 0.0),
        "created_at": _iso(row["created_at"]),
        "started_at": _iso(started),
        "finished_at": _iso(row["finished_at"]),
        "timings": {
            "queued_s": round(started - row["created_at"], 3) if started else None,
            "run_s": round(run_s, 3) if run_s is not None else None,
            "total_s": round(row["finished_at"] - row["created_at"], 3)
            if row["finished_at"]
            else None,
            "cold_start_s": row["cold_start_s"],
        },
        "throughput_rps": round(finished / run_s, 2) if run_s and finished else None,
        "runs": row["runs"],
        "retries": row["retries"],
        "error": row["error"],
        "result_uri": row["result_uri"],
        "status_url": f"{base_url}/v1/jobs/{row['id']}",
        "results_url": f"{base_url}/v1/jobs/{row['id']}/results",
        "payload_uri": row["payload_uri"],
    }
    if row["webhook_url"]:
        view["webhook"] = {
            "host": urlsplit(row["webhook_url"]).hostname,
            "state": row["webhook_state"],
            "attempts": attempts or [],
        }
    return view
