"""A full queue, seen by HTTP and gRPC clients alike: a server whose generator queue holds one
request gets a burst; every request must be answered or rejected as ServerBusyError (retryable,
"Exceeds maximum queue size"), whatever status code each protocol carries it in."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from clients.client import ImpressionsClient, ImpressionsError, Report, ServerBusyError
from clients.server import DEFAULT_REPOSITORY, TritonServer
from tests.conftest import require_artifacts, start_server

pytestmark = pytest.mark.integration

BURST = 48
REPORT = Report(
    "FINDINGS: Small left pleural effusion. 7 mm nodule in the right upper lobe. No pneumothorax.",
    exam="CT chest",
)


@pytest.fixture(scope="module")
def tiny_queue_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TritonServer]:
    """The project's repository, copied, with the generator queue cut to one request."""
    require_artifacts()
    repository = tmp_path_factory.mktemp("tiny-queue") / "model_repository"
    shutil.copytree(DEFAULT_REPOSITORY, repository, ignore=shutil.ignore_patterns("__pycache__"))
    config = repository / "generator" / "config.pbtxt"
    text = config.read_text()
    assert "max_queue_size: 512" in text
    config.write_text(text.replace("max_queue_size: 512", "max_queue_size: 1"))
    server = start_server(
        "tiny-queue", f"sqlite:///{repository.parent / 'styles.sqlite'}", repository
    )
    yield server
    server.stop()


def _burst(url: str, protocol: str) -> tuple[Counter[str], set[tuple[str, Any]]]:
    outcomes: Counter[str] = Counter()
    busy: set[tuple[str, Any]] = set()
    lock = threading.Lock()
    start = threading.Barrier(BURST)

    def one() -> None:
        with ImpressionsClient(url, protocol=protocol) as client:
            start.wait()
            try:
                client.summarize(REPORT)
                outcome = "answered"
            except ServerBusyError as exc:
                outcome = "rejected"
                with lock:
                    busy.add((exc.message, exc.status))
            except ImpressionsError as exc:
                outcome = f"other:{type(exc).__name__}:{exc.status}"
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=one) for _ in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return outcomes, busy


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_a_full_queue_is_a_retryable_busy_error(
    tiny_queue_server: TritonServer, protocol: str
) -> None:
    url = tiny_queue_server.http_url if protocol == "http" else tiny_queue_server.grpc_url
    outcomes, busy = _burst(url, protocol)
    print(
        f"\n{protocol} burst of {BURST}: {dict(outcomes)}; statuses {sorted({s for _, s in busy})}"
    )
    assert outcomes["answered"] + outcomes["rejected"] == BURST, dict(outcomes)
    assert outcomes["answered"] > 0 and outcomes["rejected"] > 0, dict(outcomes)
    assert all("exceeds maximum queue size" in message.lower() for message, _ in busy), busy
    with ImpressionsClient(url, protocol=protocol) as client:  # healthy afterwards
        assert client.summarize(REPORT).impression.strip()
