"""Start the job service as real processes (API, workers) on free ports: for tests and bench.

The API and each worker are separate processes so that a test can SIGKILL a worker (or the
API) and start another, as an operator or a process manager would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from clients.server import free_port


@dataclass
class ServiceProcesses:
    """One deployment: its settings as flags, its processes and their logs."""

    data_dir: Path
    triton_url: str
    db_url: str | None = None
    queue_url: str | None = None
    store_dir: Path | None = None
    api_key: str | None = None
    webhook_secret: str | None = None
    webhook_hosts: tuple[str, ...] = ()
    lease_s: float = 3.0
    concurrency: int = 16
    job_threads: int = 2
    webhook_retry_s: float = 0.2
    port: int = field(default_factory=free_port)
    api: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _flags(self, triton_url: str | None = None) -> list[str]:
        flags = [
            f"--data-dir={self.data_dir}",
            f"--triton-url={triton_url or self.triton_url}",
            f"--lease-s={self.lease_s}",
            f"--concurrency={self.concurrency}",
            f"--job-threads={self.job_threads}",
            f"--webhook-retry-s={self.webhook_retry_s}",
        ]
        if self.db_url:
            flags.append(f"--db-url={self.db_url}")
        if self.queue_url:
            flags.append(f"--queue-url={self.queue_url}")
        if self.store_dir:
            flags.append(f"--store-dir={self.store_dir}")
        if self.webhook_secret:
            flags.append(f"--webhook-secret={self.webhook_secret}")
        flags += [f"--webhook-host={h}" for h in self.webhook_hosts]
        return flags

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen[bytes]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.data_dir / f"{name}-{len(self._logs)}.log"
        self._logs.append(log)
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMPRESSIONS_JOBS_")}
        env["PYTHONUNBUFFERED"] = "1"
        with log.open("wb") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "jobs.cli", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=Path(__file__).resolve().parent.parent,
            )

    def start_api(self, timeout: float = 60) -> None:
        args = ["serve", *self._flags(), "--workers=0", "--no-start-triton", f"--port={self.port}"]
        if self.api_key:
            args.append(f"--api-key={self.api_key}")
        self.api = self._spawn(args, "api")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api.poll() is not None:
                raise RuntimeError(f"job API exited ({self.api.returncode}):\n{self.log_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"job API not up after {timeout}s:\n{self.log_text()}")

    def start_worker(self, triton_url: str | None = None) -> subprocess.Popen[bytes]:
        """A worker process (against another Triton with `triton_url`: scale-out)."""
        proc = self._spawn(["worker", *self._flags(triton_url)], "worker")
        self.workers.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes] | None) -> None:
        """SIGKILL: no cleanup, no goodbye — the crash the service must survive."""
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)

    def stop(self) -> None:
        for proc in [*self.workers, self.api]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers, self.api]:
            if proc is None:
                continue
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self._logs if p.exists())

    def worker_log(self, index: int) -> str:
        """The log of the index-th worker started."""
        logs = [p for p in self._logs if p.name.startswith("worker-")]
        return logs[index].read_text(errors="replace")

    def __enter__(self) -> ServiceProcesses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
