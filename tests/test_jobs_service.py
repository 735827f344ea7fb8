"""The job service over HTTP against the session's real tritonserver (API and worker are real
processes): submit, status, results, cancel, webhooks, idempotency, auth, and a SIGKILLed
worker whose job resumes with every record exactly once."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from clients.server import free_port
from jobs.client import JobsClient, JobsError
from jobs.harness import ServiceProcesses
from jobs.webhooks import verify

pytestmark = pytest.mark.integration

SECRET = "test-webhook-secret"
SENTINEL = "Zebulon Sentinelson MRN 55501234"
FINDINGS = [
    "EXAM: CT chest. FINDINGS: {n} mm solid nodule in the right upper lobe. No pneumothorax.",
    "EXAM: CT head. FINDINGS: No acute intracranial hemorrhage. Chronic small vessel disease.",
    "EXAM: CT abdomen. FINDINGS: {n} mm simple cyst in the left kidney. No hydronephrosis.",
    "EXAM: Chest radiograph. FINDINGS: Small left pleural effusion. Heart size normal.",
]


def records(n: int, prefix: str = "r", sentinel: bool = False) -> list[dict[str, str]]:
    out = []
    for i in range(n):
        text = FINDINGS[i % len(FINDINGS)].format(n=3 + i % 9)
        if sentinel:
            text += f" Patient {SENTINEL}."
        out.append({"id": f"{prefix}{i}", "report_text": text})
    return out


def jsonl(rows: list[dict]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def result_lines(client: JobsClient, job_id: str) -> list[dict]:
    return [json.loads(line) for line in client.results(job_id)]


class Receiver:
    """A local webhook receiver that answers 500 to its first `fail_first` calls."""

    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((dict(self.headers), body))
                self.send_response(500 if len(receiver.calls) <= receiver.fail_first else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def service(triton_server, tmp_path_factory) -> Iterator[ServiceProcesses]:
    svc = ServiceProcesses(
        data_dir=tmp_path_factory.mktemp("jobs"),
        triton_url=triton_server.grpc_url,
        webhook_secret=SECRET,
        webhook_hosts=("127.0.0.1",),
        lease_s=3.0,
    )
    try:
        svc.start_api()
        svc.start_worker()
        yield svc
    finally:
        svc.stop()


@pytest.fixture
def client(service: ServiceProcesses) -> Iterator[JobsClient]:
    with JobsClient(service.url) as jobs_client:
        yield jobs_client


def test_submit_status_results_with_bad_records_kept(client: JobsClient) -> None:
    rows = records(12, sentinel=True)
    body = jsonl(rows[:5]) + b"{broken json\n" + jsonl([{"id": "empty", "report_text": ""}])
    body += jsonl(rows[5:])
    started = time.monotonic()
    answer = client.submit(body)
    assert time.monotonic() - started < 5
    assert set(answer) >= {"job_id", "status_url"} and answer["created"] is True
    first = client.status(answer["job_id"])
    assert first["status"] in ("queued", "running", "succeeded")
    assert first["counts"]["total"] == 14

    final = client.wait(answer["job_id"], timeout=120)
    assert final["status"] == "succeeded"
    assert final["counts"] == {"total": 14, "done": 12, "failed": 2}
    assert final["progress"] == 1.0 and final["throughput_rps"] > 0
    assert final["result_uri"] == f"store://results/{answer['job_id']}.jsonl"
    assert final["timings"]["queued_s"] >= 0 and final["timings"]["run_s"] > 0

    lines = result_lines(client, answer["job_id"])
    assert [line["id"] for line in lines] == (
        [r["id"] for r in rows[:5]] + [None, "empty"] + [r["id"] for r in rows[5:]]
    )
    good = [line for line in lines if "error" not in line]
    assert len(good) == 12
    assert all(isinstance(g["impression"], str) and g["impression"] for g in good)
    assert all(isinstance(g["warnings"], list) for g in good)
    bad = [line for line in lines if "error" in line]
    assert [b["line"] for b in bad] == [6, 7]
    assert all(SENTINEL not in json.dumps(b["error"]) for b in bad)
    listed = [j["job_id"] for j in client.list()]
    assert answer["job_id"] in listed


def test_csv_payload_and_report_check(client: JobsClient, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "id,report_text,exam,patient_sex\n"
        'c1,"FINDINGS: Right lower lobe pneumonia. IMPRESSION: Left lower lobe pneumonia.",'
        "Chest radiograph,F\n"
        "c2,FINDINGS: No acute abnormality. IMPRESSION: Normal chest.,Chest radiograph,\n"
        "c3,,Chest radiograph,M\n"
    )
    answer = client.submit(path, model="report_check")
    final = client.wait(answer["job_id"], timeout=60)
    assert final["model"] == "report_check" and final["status"] == "succeeded"
    assert final["counts"] == {"total": 3, "done": 2, "failed": 1}
    lines = result_lines(client, answer["job_id"])
    assert [line["id"] for line in lines] == ["c1", "c2", "c3"]
    assert all("impression" not in line for line in lines)
    assert isinstance(lines[0]["warnings"], list) and "error" in lines[2]
    assert any(w["code"] == "LAT_CONTRA" for w in lines[0]["warnings"])


def test_payload_already_in_the_store(client: JobsClient, service: ServiceProcesses) -> None:
    put = httpx.put(f"{service.url}/v1/payloads/batch-1.jsonl", content=jsonl(records(3, "p")))
    assert put.status_code == 201
    uri = put.json()["payload_uri"]
    answer = client.submit(payload_uri=uri)
    final = client.wait(answer["job_id"], timeout=60)
    assert final["counts"] == {"total": 3, "done": 3, "failed": 0}
    for bad in ("store://payloads/../jobs.sqlite", "/etc/passwd", "store://payloads/none.jsonl"):
        with pytest.raises(JobsError) as caught:
            client.submit(payload_uri=bad)
        assert caught.value.status in (404, 422)


def test_refusals_say_why(client: JobsClient, service: ServiceProcesses) -> None:
    wrong_type = httpx.post(f"{service.url}/v1/jobs", content=b"x", headers={"Content-Type": "a/b"})
    assert wrong_type.status_code == 415
    for kwargs in ({"model": "nope"}, {"webhook": "http://evil.example/h"}):
        with pytest.raises(JobsError) as caught:
            client.submit(jsonl(records(1)), **kwargs)
        assert caught.value.status == 422
    with pytest.raises(JobsError) as empty:
        client.submit(b"\n\n")
    assert empty.value.status == 422
    with pytest.raises(JobsError) as missing:
        client.status("0" * 24)
    assert missing.value.status == 404


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_large_payload_is_streamed_not_held_in_memory(
    client: JobsClient, service: ServiceProcesses, tmp_path: Path
) -> None:
    path = tmp_path / "large.jsonl"
    filler = "No acute abnormality. " * 90  # ~2 KB a report
    with path.open("w") as handle:
        for i in range(32_000):
            handle.write(json.dumps({"id": f"L{i}", "report_text": f"FINDINGS: {filler}"}) + "\n")
    size_mb = path.stat().st_size / 2**20
    assert size_mb > 60
    assert service.api is not None
    before = _rss_mb(service.api.pid)
    answer = client.submit(path)
    client.cancel(answer["job_id"])
    grown = _rss_mb(service.api.pid) - before
    assert client.status(answer["job_id"])["counts"]["total"] == 32_000
    assert grown < size_mb / 3, f"API grew {grown:.0f} MB for a {size_mb:.0f} MB payload"


def test_idempotent_resubmission_gives_the_same_job(client: JobsClient) -> None:
    body = jsonl(records(4, "i"))
    first = client.submit(body, idempotency_key="nightly-2026-12-04")
    again = client.submit(body, idempotency_key="nightly-2026-12-04")
    assert again["job_id"] == first["job_id"] and again["created"] is False
    client.wait(first["job_id"], timeout=60)
    after = client.submit(body, idempotency_key="nightly-2026-12-04")
    assert after["job_id"] == first["job_id"]
    other = client.submit(body, idempotency_key="nightly-2026-12-05")
    assert other["job_id"] != first["job_id"]
    assert len(result_lines(client, first["job_id"])) == 4


def test_webhook_signed_retried_and_recorded(client: JobsClient) -> None:
    receiver = Receiver(fail_first=1)
    try:
        answer = client.submit(jsonl(records(3, "w", sentinel=True)), webhook=receiver.url)
        client.wait(answer["job_id"], timeout=60)
        deadline = time.monotonic() + 30
        while len(receiver.calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        receiver.close()
    assert len(receiver.calls) == 2
    for headers, body in receiver.calls:
        assert verify(SECRET, headers, body)
        assert not verify("wrong-secret", headers, body)
        assert SENTINEL.encode() not in body and b"report_text" not in body
    event = json.loads(receiver.calls[1][1])
    assert event["event"] == "job.succeeded" and event["job_id"] == answer["job_id"]
    assert event["counts"] == {"total": 3, "done": 3, "failed": 0}
    status = client.status(answer["job_id"])
    deadline = time.monotonic() + 10
    while status["webhook"]["state"] != "delivered" and time.monotonic() < deadline:
        time.sleep(0.2)
        status = client.status(answer["job_id"])
    attempts = status["webhook"]["attempts"]
    assert [a["status_code"] for a in attempts] == [500, 204]
    assert status["webhook"]["state"] == "delivered"


def test_cancel_stops_a_running_job(client: JobsClient) -> None:
    answer = client.submit(jsonl(records(400, "x")))
    deadline = time.monotonic() + 60
    while client.status(answer["job_id"])["counts"]["done"] < 5:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    cancelled = client.cancel(answer["job_id"])
    assert cancelled["status"] == "cancelled"
    time.sleep(2)
    later = client.status(answer["job_id"])
    assert later["status"] == "cancelled"
    lines = result_lines(client, answer["job_id"])
    assert 5 <= len(lines) < 400
    assert len({line["id"] for line in lines}) == len(lines)
    with pytest.raises(JobsError):
        client.cancel("f" * 24)


def test_sigkilled_worker_resumes_with_every_record_once(
    client: JobsClient, service: ServiceProcesses
) -> None:
    rows = records(160, "k")
    answer = client.submit(jsonl(rows))
    deadline = time.monotonic() + 90
    while client.status(answer["job_id"])["counts"]["done"] < 30:
        assert time.monotonic() < deadline, "job made no progress"
        time.sleep(0.1)
    for proc in list(service.workers):
        service.kill(proc)
    killed_at = client.status(answer["job_id"])
    assert killed_at["status"] == "running" and killed_at["counts"]["done"] < 160
    service.start_worker()
    final = client.wait(answer["job_id"], timeout=180)
    assert final["status"] == "succeeded" and final["runs"] == 2
    assert final["counts"] == {"total": 160, "done": 160, "failed": 0}
    lines = result_lines(client, answer["job_id"])
    assert [line["id"] for line in lines] == [r["id"] for r in rows]


def test_api_key_required_when_configured_and_loopback_rule(triton_server, tmp_path: Path) -> None:
    with ServiceProcesses(tmp_path / "keyed", triton_server.grpc_url, api_key="k-123") as svc:
        svc.start_api()
        assert httpx.get(f"{svc.url}/v1/jobs").status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.get(f"{svc.url}/v1/jobs", headers=wrong).status_code == 401
        with JobsClient(svc.url, api_key="k-123") as keyed:
            assert keyed.list() == []
            keyed.submit(jsonl(records(1)))
        assert httpx.get(f"{svc.url}/openapi.json").status_code == 200
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "jobs.cli",
            "serve",
            "--host",
            "0.0.0.0",
            "--no-start-triton",
            "--data-dir",
            str(tmp_path / "open"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "API key" in refused.stderr


def test_no_report_text_in_logs_or_job_metadata(service: ServiceProcesses) -> None:
    """Runs after the jobs above (their reports carry a sentinel name and MRN)."""
    assert SENTINEL not in service.log_text()
    db = sqlite3.connect(service.data_dir / "jobs.sqlite")
    try:
        for table in ("jobs", "job_webhook_attempts"):
            dump = json.dumps(db.execute(f"SELECT * FROM {table}").fetchall())
            assert SENTINEL not in dump and "FINDINGS" not in dump
    finally:
        db.close()
