"""Scale-out mode: the same job service with PostgreSQL state and a Redis queue, both real
servers the test starts, and two worker processes against two tritonservers (as on two
machines). Jobs spread over both workers; a SIGKILLed worker's job is finished by the other
with every record exactly once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

from clients.server import free_port
from jobs.client import JobsClient
from jobs.harness import ServiceProcesses
from tests.conftest import start_server

pytest_plugins = ["tests.postgres_server"]
pytestmark = pytest.mark.integration


def _required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("IMPRESSIONS_REQUIRE_POSTGRES") == "1"


class RedisServer:
    """A throw-away redis-server on a free loopback port, nothing persisted."""

    def __init__(self, binary: str) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="impressions-redis-")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        import redis

        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server not installed (make test-deps installs it)"
        if _required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    server = RedisServer(binary)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def second_triton(triton_server) -> Iterator[str]:
    """Another tritonserver, as the second machine's."""
    server = start_server("jobs-second", triton_server.style_db_url)
    try:
        yield server.grpc_url
    finally:
        server.stop()


@pytest.fixture
def scaled_out(
    triton_server, second_triton: str, redis_server: RedisServer, postgres_url: str, tmp_path
) -> Iterator[ServiceProcesses]:
    svc = ServiceProcesses(
        data_dir=tmp_path / "node-a",
        triton_url=triton_server.grpc_url,
        db_url=postgres_url,
        queue_url=redis_server.url,
        store_dir=tmp_path / "shared-store",
        lease_s=3.0,
        job_threads=1,
    )
    try:
        svc.start_api()
        svc.start_worker()
        svc.start_worker(triton_url=second_triton)
        yield svc
    finally:
        svc.stop()


def _body(n: int, prefix: str) -> bytes:
    text = "EXAM: CT chest. FINDINGS: {} mm nodule in the left lower lobe. No effusion."
    return b"".join(
        json.dumps({"id": f"{prefix}{i}", "report_text": text.format(3 + i % 7)}).encode() + b"\n"
        for i in range(n)
    )


def test_jobs_spread_over_workers_on_postgres_and_redis(scaled_out: ServiceProcesses) -> None:
    with JobsClient(scaled_out.url) as client:
        ids = [client.submit(_body(40, f"j{j}-"))["job_id"] for j in range(4)]
        for job_id in ids:
            final = client.wait(job_id, timeout=120)
            assert final["status"] == "succeeded"
            assert final["counts"] == {"total": 40, "done": 40, "failed": 0}
            lines = [json.loads(line) for line in client.results(job_id)]
            assert len(lines) == 40 and len({line["id"] for line in lines}) == 40
    ran = [scaled_out.worker_log(i).count("run 1 started") for i in range(2)]
    assert sum(ran) == 4 and min(ran) >= 1, ran


def test_killed_worker_job_is_finished_by_the_other(scaled_out: ServiceProcesses) -> None:
    with JobsClient(scaled_out.url) as client:
        job_id = client.submit(_body(200, "k"))["job_id"]
        deadline = time.monotonic() + 60
        while client.status(job_id)["counts"]["done"] < 30:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        owner = 0 if "run 1 started" in scaled_out.worker_log(0) else 1
        scaled_out.kill(scaled_out.workers[owner])
        final = client.wait(job_id, timeout=180)
        assert final["status"] == "succeeded" and final["runs"] == 2
        lines = [json.loads(line) for line in client.results(job_id)]
        assert [line["id"] for line in lines] == [f"k{i}" for i in range(200)]
    assert "run 2 started" in scaled_out.worker_log(1 - owner)
