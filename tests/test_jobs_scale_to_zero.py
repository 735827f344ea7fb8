"""`impressions jobs serve` on its own: it starts a tritonserver when none answers, stops it
after the idle limit ("scale to zero"), starts it again for the next job and reports that
cold start in the job's timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from clients.server import PROJECT_ROOT, free_port
from jobs.client import JobsClient
from jobs.supervisor import triton_answers
from tests.conftest import require_artifacts

pytestmark = pytest.mark.integration

REPORT = "EXAM: CT chest. FINDINGS: 6 mm nodule in the right upper lobe. No effusion."


def _body(n: int) -> bytes:
    return b"".join(
        json.dumps({"id": f"z{i}", "report_text": REPORT}).encode() + b"\n" for i in range(n)
    )


def _wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_serve_starts_triton_and_scales_to_zero(tmp_path: Path) -> None:
    require_artifacts()
    grpc_url = f"127.0.0.1:{free_port()}"
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPRESSIONS_JOBS_")}
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobs.cli",
            "serve",
            f"--port={port}",
            f"--triton-url={grpc_url}",
            f"--data-dir={tmp_path / 'data'}",
            "--idle-stop-minutes=0.05",
            "--lease-s=5",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=PROJECT_ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def api_up() -> bool:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for(api_up, 120, "the job API")
        with JobsClient(url) as client:
            first = client.wait(client.submit(_body(3))["job_id"], timeout=400)
            assert first["status"] == "succeeded" and first["counts"]["done"] == 3
            # the server serve started was still loading when the job came: a cold start
            assert first["timings"]["cold_start_s"] is not None
            _wait_for(lambda: not triton_answers(grpc_url), 120, "the idle stop")
            second = client.wait(client.submit(_body(3))["job_id"], timeout=400)
            assert second["status"] == "succeeded" and second["counts"]["done"] == 3
            assert second["timings"]["cold_start_s"] > 1.0
    finally:
        serve.terminate()
        try:
            serve.wait(timeout=60)
        finally:
            log.close()
    assert not triton_answers(grpc_url), "serve left its tritonserver running"
    text = (tmp_path / "serve.log").read_text()
    assert "scale to zero" in text and "scale from zero" in text
