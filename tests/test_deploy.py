"""Kubernetes manifests, validated offline: `kubectl kustomize` builds each overlay (skipped
with a message where kubectl is absent), every resource passes kubernetes-validate's strict
schema, the pieces agree with each other (HPA metric = adapter rule, PDB = pod labels, probes
= the probe script), and the probe script judges a server the way the docs say."""

from __future__ import annotations

import http.server
import importlib.util
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from clients.server import PROJECT_ROOT

K8S = PROJECT_ROOT / "deploy" / "k8s"
OVERLAYS = ("cpu", "gpu")
KUBE_VERSION = "1.32.0"  # the kubectl client here; the schema checked against
KUBECTL = shutil.which("kubectl")


def kustomize(path: Path) -> list[dict[str, Any]]:
    if KUBECTL is None:
        pytest.skip("kubectl is not installed here: `kubectl kustomize` not run (raw files only)")
    out = subprocess.run(
        [KUBECTL, "kustomize", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def validate(doc: dict[str, Any]) -> None:
    import kubernetes_validate

    kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, kustomize(K8S / "overlays" / request.param)


def test_raw_resources_validate_without_kubectl() -> None:
    """The base's resource files on their own (what is checked where kubectl is absent)."""
    base = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    for name in base["resources"]:
        for doc in yaml.safe_load_all((K8S / "base" / name).read_text()):
            validate(doc)


def test_overlay_builds_and_every_resource_validates(overlay) -> None:
    name, docs = overlay
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted(
        ["ConfigMap"] * 4
        + ["Deployment", "HorizontalPodAutoscaler", "PersistentVolumeClaim"]
        + ["PodDisruptionBudget", "Service"]
    ), kinds
    for doc in docs:
        validate(doc)


def test_pieces_agree(overlay) -> None:
    name, docs = overlay
    deployment = by_kind(docs, "Deployment")
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    args = container["args"]
    assert "--model-control-mode=explicit" in args and "--model-repository=/models" in args
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/models"]["readOnly"] is True
    assert container["readinessProbe"]["exec"]["command"][:3] == [
        "python3",
        "/probes/probe.py",
        "ready",
    ]
    assert container["livenessProbe"]["exec"]["command"][2] == "live"
    probes = next(d for d in docs if d["metadata"]["name"].startswith("impressions-probes"))
    assert probes["data"]["probe.py"] == (K8S / "base" / "probe.py").read_text()
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["probes"]["configMap"]["name"] == probes["metadata"]["name"]

    labels = pod["metadata"]["labels"]
    pdb = by_kind(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = by_kind(docs, "Service")
    assert service["spec"]["selector"].items() <= labels.items()

    hpa = by_kind(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    metric = hpa["spec"]["metrics"][0]["pods"]["metric"]["name"]
    adapter = next(d for d in docs if d["metadata"]["name"].endswith("adapter-rules"))
    rules = yaml.safe_load(adapter["data"]["config.yaml"])["rules"]
    assert [r["name"]["as"] for r in rules] == [metric]
    assert "nv_inference_queue_duration_us" in rules[0]["metricsQuery"]

    scrape = next(d for d in docs if d["metadata"]["name"].endswith("prometheus-scrape"))
    jobs = yaml.safe_load(scrape["data"]["prometheus.yml"])["scrape_configs"]
    assert jobs[0]["kubernetes_sd_configs"] == [{"role": "pod"}]
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == "8002"

    gpus = container["resources"].get("limits", {}).get("nvidia.com/gpu")
    assert (gpus == 1) if name == "gpu" else gpus is None


def test_dashboard_shows_latency_throughput_queue_and_warnings() -> None:
    dashboard = json.loads((K8S / "monitoring" / "grafana-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for series in (
        "nv_inference_request_duration_us",
        "nv_inference_request_success",
        "nv_inference_queue_duration_us",
        "impressions_warnings_total",
    ):
        assert series in exprs, series
    assert "sum by (model, version, code) (rate(impressions_warnings_total" in exprs
    assert "CRIT_MISS|GROUNDING_EDIT" in exprs


# ----------------------------------------------------------------------------- probe script
def _probe_module():
    spec = importlib.util.spec_from_file_location("k8s_probe", K8S / "base" / "probe.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


class _FakeTriton(http.server.BaseHTTPRequestHandler):
    """Answers like Triton: `behaviour` picks the canary's fate."""

    behaviour = "ok"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, code: int, body: dict | None = None) -> None:
        data = json.dumps(body or {}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        ready = self.behaviour != "not_ready" or self.path == "/v2/health/live"
        self._send(200 if ready else 400)

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.behaviour == "ok":
            self._send(200, {"outputs": [{"name": "impression", "data": ["No acute finding."]}]})
        elif self.behaviour == "dead_stub":
            self._send(400, {"error": "Stub process 'postprocess_0_0' is not healthy."})
        else:  # busy or not ready
            self._send(400, {"error": "Exceeds maximum queue size"})


@pytest.fixture
def fake_triton() -> Iterator[tuple[str, type[_FakeTriton]]]:
    handler = type("Handler", (_FakeTriton,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


@pytest.mark.parametrize(
    ("behaviour", "ready", "live"),
    [("ok", 0, 0), ("dead_stub", 1, 1), ("busy", 1, 0), ("not_ready", 1, 0)],
)
def test_probe_judgement(fake_triton, behaviour: str, ready: int, live: int) -> None:
    url, handler = fake_triton
    handler.behaviour = behaviour
    probe = _probe_module()
    assert probe.main(["ready", "--url", url]) == ready
    assert probe.main(["live", "--url", url]) == live


def test_probe_unreachable_server_fails() -> None:
    from clients.server import free_port

    probe = _probe_module()
    url = f"127.0.0.1:{free_port()}"
    assert probe.main(["ready", "--url", url, "--timeout", "2"]) == 1
    assert probe.main(["live", "--url", url, "--timeout", "2"]) == 1


@pytest.mark.integration
def test_probes_pass_on_the_real_server(triton_server: Any) -> None:
    probe = _probe_module()
    assert probe.main(["ready", "--url", triton_server.http_url]) == 0
    assert probe.main(["live", "--url", triton_server.http_url]) == 0
