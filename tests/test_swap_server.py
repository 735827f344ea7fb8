"""Zero-downtime swap and rollback on a real tritonserver in explicit model-control mode.

Load runs over HTTP and gRPC the whole time while release version 2 is activated, rolled back,
and a version whose generator cannot load is tried: no request may fail, /metrics must show the
answers coming from the version just activated, and the failed load must leave the previous
version serving with Triton's reason in the error.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.grpc as grpcclient

from release.activate import ActivationError, Server, activate, active_stack
from release.build import RENDERED_CONFIG, release
from release.cli import release_main, rollback_main
from release.render import pin_versions, served_versions
from release.repository import RELEASED_MODELS
from tests.conftest import start_server
from tests.test_release import DATA_DIR, copy_repository, demo_checkpoint
from tests.test_warning_metrics import FINDINGS, warning_counts

pytestmark = pytest.mark.integration

REPORT = (
    "EXAM: CT chest. FINDINGS: 7 mm solid nodule in the right upper lobe. No pneumothorax. "
    "No pleural effusion."
)


class Load:
    """Closed-loop clients (HTTP and gRPC) sending one report after another until stopped."""

    def __init__(self, server: Any, per_protocol: int = 2) -> None:
        self.server = server
        self.ok: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(p,), daemon=True)
            for p in ("http", "grpc")
            for _ in range(per_protocol)
        ]

    def _http_once(self) -> None:
        """One KServe v2 JSON request (urllib: thread-safe, unlike gevent-based clients)."""
        body = json.dumps(
            {
                "inputs": [
                    {"name": "report_text", "shape": [1, 1], "datatype": "BYTES", "data": [REPORT]}
                ]
            }
        ).encode()
        request = urllib.request.Request(
            f"http://{self.server.http_url}/v2/models/impression/infer",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.loads(response.read())
        assert answer["outputs"][0]["data"][0]

    def _run(self, protocol: str) -> None:
        client = grpcclient.InferenceServerClient(self.server.grpc_url)
        data = np.array([[REPORT.encode()]], dtype=np.object_)
        while not self._stop.is_set():
            try:
                if protocol == "http":
                    self._http_once()
                else:
                    tensor = grpcclient.InferInput("report_text", [1, 1], "BYTES")
                    tensor.set_data_from_numpy(data)
                    result = client.infer("impression", [tensor])
                    assert result.as_numpy("impression").reshape(-1)[0]
                with self._lock:
                    self.ok[protocol] += 1
            except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                with self._lock:
                    self.failed[protocol] += 1
                    self.errors.append(f"{protocol}: {str(exc)[:300]}")
        client.close()

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self.ok)

    def total(self) -> int:
        with self._lock:
            return sum(self.ok.values())

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)


def successes(metrics_url: str) -> dict[tuple[str, str], float]:
    """(model, version) -> nv_inference_request_success for the versions loaded now."""
    text = urllib.request.urlopen(metrics_url, timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("nv_inference_request_success{"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}", 1)[0]))
            out[(labels["model"], labels["version"])] = float(line.split()[-1])
    return out


def _wait_answers(load: Load, n: int) -> None:
    seen, deadline = load.total(), time.monotonic() + 120
    while load.total() < seen + n and time.monotonic() < deadline:
        time.sleep(0.2)


def _settled(server: Any, load: Load, version: int) -> dict[tuple[str, str], float]:
    """A /metrics snapshot once every other version of the released models is unloaded (Triton
    drops an unloaded version's series), so any answer after it comes from `version`."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        snapshot = successes(server.metrics_url)
        others = [k for k in snapshot if k[0] in RELEASED_MODELS and k[1] != str(version)]
        if not others:
            return snapshot
        _wait_answers(load, 1)
    raise AssertionError(f"other versions still loaded after 180 s: {others}")


def answered_by(server: Any, load: Load, version: int) -> None:
    """While load runs, every other version of the released models gets unloaded, and then
    the answers come from `version`: its counters grow (and no other version's)."""
    first = _settled(server, load, version)
    by_protocol = load.counts()
    _wait_answers(load, 4)
    later = successes(server.metrics_url)
    phase = load.counts() - by_protocol
    assert phase["http"] + phase["grpc"] >= 4, phase
    for model in RELEASED_MODELS:
        for (name, listed), count in later.items():
            if name != model:
                continue
            grew = count - first.get((name, listed), 0)
            if listed == str(version):
                assert grew >= 1, (model, version, first, later)
            else:
                assert grew == 0, f"{model} version {listed} still answered: {first} {later}"
        assert (model, str(version)) in later, (model, version, later)


def _warning_codes(server: Any) -> list[str]:
    client = grpcclient.InferenceServerClient(server.grpc_url)
    tensor = grpcclient.InferInput("report_text", [1, 1], "BYTES")
    tensor.set_data_from_numpy(np.array([[FINDINGS.encode()]], dtype=np.object_))
    result = client.infer("impression", [tensor])
    client.close()
    return [w["code"] for w in json.loads(result.as_numpy("warnings").reshape(-1)[0])]


def broken_release(repository: Path, source: int, version: int) -> None:
    """A copy of release `source` as `version` whose generator engine cannot load."""
    for model in RELEASED_MODELS:
        shutil.copytree(repository / model / str(source), repository / model / str(version))
    generator = repository / "generator" / str(version)
    (generator / "model.onnx").write_bytes(b"not an onnx graph")
    config = generator / RENDERED_CONFIG
    config.write_text(pin_versions(config.read_text(), [version]))


@pytest.fixture(scope="module")
def released_server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("swap")
    repository = copy_repository(root / "repo")
    checkpoint = demo_checkpoint(
        root / "ckpt",
        {  # the gate is tested in test_release.py: a quick one here
            "quality.external": [],
            "quality.synthetic": {"n": 20, "thresholds": {"rougeL": {"min": 0.5}}},
        },
    )
    outcome = release(checkpoint, repository, DATA_DIR)
    assert outcome.passed and outcome.version == 2
    server = start_server(
        "swap", f"sqlite:///{root / 'styles.sqlite'}", repository, model_control="explicit"
    )
    yield repository, server
    server.stop()


def test_swap_rollback_and_failed_load_under_load(released_server) -> None:
    repository, server = released_server
    admin = Server(server.http_url)
    with Load(server) as load:
        answered_by(server, load, 1)

        # the command line: serve the release made before, then roll it back
        common = ["--repository", str(repository), "--url", server.http_url]
        assert release_main(["--activate", "--version", "2", *common]) == 0
        assert active_stack(repository)[-1]["previous"] == dict.fromkeys(RELEASED_MODELS, 1)
        answered_by(server, load, 2)

        assert rollback_main(common) == 0
        answered_by(server, load, 1)
        assert active_stack(repository) == []

        broken_release(repository, 2, 3)
        before = {m: (repository / m / "config.pbtxt").read_text() for m in RELEASED_MODELS}
        with pytest.raises(ActivationError) as failed:
            activate(repository, 3, admin)
        message = str(failed.value)
        assert "generator version 3 failed to load" in message
        assert "previous version keeps serving" in message
        assert "onnx" in message.lower() or "protobuf" in message.lower(), message
        after = {m: (repository / m / "config.pbtxt").read_text() for m in RELEASED_MODELS}
        assert after == before  # configs restored on disk
        for model in RELEASED_MODELS:
            assert served_versions(after[model], [1, 2, 3]) == [1]
        answered_by(server, load, 1)

        activate(repository, 2, admin)  # a good release still activates after a bad one
        answered_by(server, load, 2)
        # the warning counters follow the release too (labels: model, version, code)
        codes = _warning_codes(server)
        assert codes, "the report should draw at least one warning"
        counts = warning_counts(server.metrics_url)
        for code in codes:
            assert counts.get(("postprocess", "2", code), 0) >= 1, (code, counts)
    assert load.failed == Counter(), load.errors[:5]
    assert load.ok["http"] > 0 and load.ok["grpc"] > 0
    print(f"\nswap test: answered {dict(load.ok)}, failed {dict(load.failed)}")


def test_two_servers_on_one_repository_move_together(released_server, tmp_path: Path) -> None:
    """Beyond one machine: two servers sharing the repository (as pods share a volume) are
    rolled back and activated by one command with repeated --url, under load, 0 failed."""
    repository, server_a = released_server
    assert active_stack(repository), "runs after the swap test, which leaves version 2 active"
    server_b = start_server(
        "swap-b", f"sqlite:///{tmp_path / 'styles.sqlite'}", repository, model_control="explicit"
    )
    pairs = []
    try:
        with Load(server_a, per_protocol=1) as load_a, Load(server_b, per_protocol=1) as load_b:
            pairs = [(server_a, load_a), (server_b, load_b)]
            for server, load in pairs:  # B started on the live configs: version 2
                answered_by(server, load, 2)
            urls = ["--url", server_a.http_url, "--url", server_b.http_url]
            common = ["--repository", str(repository), *urls]
            assert rollback_main(common) == 0
            for server, load in pairs:
                answered_by(server, load, 1)
            assert release_main(["--activate", "--version", "2", *common]) == 0
            for server, load in pairs:
                answered_by(server, load, 2)
    finally:
        server_b.stop()
    for _, load in pairs:
        assert load.failed == Counter(), load.errors[:5]
        assert load.ok["http"] > 0 and load.ok["grpc"] > 0


@pytest.mark.parametrize(
    ("mode", "flags"),
    [
        (None, []),
        ("explicit", ["--model-control-mode=explicit", "--load-model=*"]),
        ("poll", ["--model-control-mode=poll", "--repository-poll-secs=5"]),
    ],
)
def test_launcher_model_control_is_opt_in(
    mode: str | None, flags: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from clients.server import TritonServer

    monkeypatch.delenv("IMPRESSIONS_MODEL_CONTROL", raising=False)
    monkeypatch.setenv("TRITONSERVER", "/bin/true")  # no backend folder is prepared
    command = TritonServer(model_control=mode).command()
    assert [a for a in command if "model-control" in a or "load-model" in a or "poll" in a] == (
        flags
    )
    monkeypatch.setenv("IMPRESSIONS_MODEL_CONTROL", "explicit")
    assert "--model-control-mode=explicit" in TritonServer().command()


def test_launcher_refuses_unknown_model_control() -> None:
    from clients.server import ServerError, TritonServer

    with pytest.raises(ServerError):
        TritonServer(model_control="sometimes")
