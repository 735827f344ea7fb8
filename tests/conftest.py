"""Shared fixtures: one real tritonserver per test session, on free ports.

The server runs the project's own `model_repository/` (artifacts built by `make artifacts`),
with a throw-away style store, and its log is kept under build/test-logs/ and printed on failure.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clients.server import (
    DEFAULT_REPOSITORY,
    PROJECT_ROOT,
    TritonServer,
    free_port,
    missing_artifacts,
)

LOG_DIR = PROJECT_ROOT / "build" / "test-logs"


@dataclass
class RunningServer:
    """What tests need to reach the session's server."""

    server: TritonServer
    style_db_url: str

    @property
    def http_url(self) -> str:
        return self.server.http_url

    @property
    def grpc_url(self) -> str:
        return self.server.grpc_url

    @property
    def metrics_url(self) -> str:
        return self.server.metrics_url

    @property
    def log_path(self) -> Path:
        assert self.server.log_path is not None
        return self.server.log_path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def require_artifacts(repository: Path = DEFAULT_REPOSITORY) -> None:
    missing = missing_artifacts(repository)
    if missing:
        pytest.fail(
            f"model artifacts missing {missing}: run `make artifacts` (make test does)",
            pytrace=False,
        )


def start_server(
    log_name: str, style_db_url: str, repository: Path = DEFAULT_REPOSITORY, **kwargs: object
) -> TritonServer:
    """Start a server on free ports and wait until every model is ready."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    server = TritonServer(
        repository,
        http_port=free_port(),
        grpc_port=free_port(),
        metrics_port=free_port(),
        log_file=LOG_DIR / f"{log_name}-{os.getpid()}-{int(time.time())}.log",
        env={"IMPRESSIONS_STYLE_DB": style_db_url},
        **kwargs,  # type: ignore[arg-type]
    )
    server.start()
    try:
        server.wait_ready(("impression",), timeout=420)
    except Exception:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def triton_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """The real tritonserver serving model_repository/ for the whole session."""
    require_artifacts()
    style_db = tmp_path_factory.mktemp("style") / "styles.sqlite"
    style_db_url = f"sqlite:///{style_db}"
    server = start_server("session", style_db_url)
    running = RunningServer(server, style_db_url)
    yield running
    server.stop()
    if request.session.testsfailed:
        tail = "\n".join(running.log_text().splitlines()[-60:])
        print(f"\n--- tritonserver log ({running.log_path}), last lines ---\n{tail}")
