"""What `impressions jobs serve` runs beside the API: Triton and the worker processes.

It starts a tritonserver when none answers at the configured URL, restarts worker processes
that die (a SIGKILLed worker's job resumes in its successor once its lease expires), and, with
an idle limit, stops the Triton it started after that many idle minutes and starts it again
when a job is waiting ("scale to zero"; the worker records the wait as the job's cold start).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from clients.server import DEFAULT_REPOSITORY, TritonServer, free_port, missing_artifacts
from jobs.config import Settings, settings_env
from jobs.db import JobDB

log = logging.getLogger("impressions.jobs")


def triton_answers(url: str, timeout_s: float = 2.0) -> bool:
    """True when a Triton server answers gRPC health at `url`."""
    import tritonclient.grpc as grpcclient

    try:
        client = grpcclient.InferenceServerClient(url)
        try:
            return bool(client.is_server_live(client_timeout=timeout_s))
        finally:
            client.close()
    except Exception:
        return False


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class ManagedTriton:
    """A tritonserver this service started (and may stop when idle)."""

    def __init__(
        self, settings: Settings, repository: Path = DEFAULT_REPOSITORY, log_dir: Path | None = None
    ) -> None:
        host, _, port = settings.triton_url.rpartition(":")
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError("only a Triton on this machine can be started here")
        grpc = int(port)
        http = grpc - 1 if _port_free(grpc - 1) else free_port()
        metrics = grpc + 1 if _port_free(grpc + 1) else free_port()
        self.log_dir = log_dir or settings.data_dir / "logs"
        self.server = TritonServer(
            repository,
            http_port=http,
            grpc_port=grpc,
            metrics_port=metrics,
            log_file=self.log_dir / "tritonserver.log",
        )
        self.repository = repository
        self.lock = threading.Lock()
        self.starts = 0
        self.started_at = 0.0

    def start(self, wait: bool = True) -> float:
        """Start the server; returns seconds until ready (0 when not waited for)."""
        missing = missing_artifacts(self.repository)
        if missing:
            raise RuntimeError(f"model artifacts missing {missing}: run `make artifacts`")
        with self.lock:
            if self.server.is_running():
                return 0.0
            self.server = TritonServer(
                self.repository,
                http_port=self.server.http_port,
                grpc_port=self.server.grpc_port,
                metrics_port=self.server.metrics_port,
                log_file=self.server.log_path,
            )
            started = time.perf_counter()
            self.server.start()
            self.starts += 1
            self.started_at = time.time()
        if wait:
            self.server.wait_ready(("impression", "report_check"), timeout=600)
            return time.perf_counter() - started
        return 0.0

    def running(self) -> bool:
        return self.server.is_running()

    def stop(self) -> None:
        with self.lock:
            self.server.stop()


class Supervisor:
    """Keeps `workers` worker processes alive and applies the idle policy to Triton."""

    def __init__(self, settings: Settings, workers: int, triton: ManagedTriton | None) -> None:
        self.settings = settings
        self.n_workers = workers
        self.triton = triton
        self.db = JobDB(settings.resolved_db_url)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.restarts = 0
        self._stop = threading.Event()
        self._idle_since = time.time()

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, **settings_env(self.settings)}
        env["IMPRESSIONS_JOBS_PARENT_PID"] = str(os.getpid())  # the worker ends with serve
        cmd = [
            sys.executable,
            "-m",
            "jobs.cli",
            "worker",
            "--concurrency",
            str(self.settings.concurrency),
            "--job-threads",
            str(self.settings.job_threads),
            "--lease-s",
            str(self.settings.lease_s),
        ]
        return subprocess.Popen(cmd, env=env)

    def start(self) -> None:
        self.procs = [self._spawn() for _ in range(self.n_workers)]
        threading.Thread(target=self._loop, daemon=True).start()

    def worker_pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def tick(self) -> None:
        for i, proc in enumerate(self.procs):
            if proc.poll() is not None:
                log.warning("worker %d exited (%s): restarting", proc.pid, proc.returncode)
                self.procs[i] = self._spawn()
                self.restarts += 1
        if self.triton is None or self.settings.idle_stop_minutes is None:
            return
        active, last_end = self.db.activity()
        now = time.time()
        if active:
            self._idle_since = now
            if not self.triton.running():
                log.info("jobs waiting: starting tritonserver (scale from zero)")
                threading.Thread(target=self._start_triton, daemon=True).start()
            return
        idle_since = max(self._idle_since, last_end or 0.0, self.triton.started_at)
        limit_s = self.settings.idle_stop_minutes * 60
        if (
            self.triton.running()
            and now - idle_since > limit_s
            and triton_answers(self.settings.triton_url)  # never stop one still loading
        ):
            log.info("idle %.0f s: stopping tritonserver (scale to zero)", now - idle_since)
            self.triton.stop()

    def _start_triton(self) -> None:
        try:
            assert self.triton is not None
            self.triton.start()
        except Exception as exc:
            log.error("tritonserver did not start: %s", exc)

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.tick()
            except Exception as exc:
                log.warning("supervisor: %s", type(exc).__name__)

    def stop(self) -> None:
        self._stop.set()
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.db.close()
