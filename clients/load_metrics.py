"""Triton's Prometheus `/metrics`: where a request's time goes, per model, between two scrapes.

perf_analyzer measures what the client sees; the counters below say which model of the ensemble
queued and which computed, so a latency knee in the sweep can be pinned on one step.
"""

from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass

COUNTERS = (
    "nv_inference_request_success",
    "nv_inference_count",
    "nv_inference_exec_count",
    "nv_inference_request_duration_us",
    "nv_inference_queue_duration_us",
    "nv_inference_compute_input_duration_us",
    "nv_inference_compute_infer_duration_us",
    "nv_inference_compute_output_duration_us",
)
_LINE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)\{(?P<labels>[^}]*)\}\s+(?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

Snapshot = dict[tuple[str, str], float]


def parse_metrics(text: str) -> Snapshot:
    """{(counter, model): value} for the per-model inference counters, summed over versions."""
    out: Snapshot = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match or match["name"] not in COUNTERS:
            continue
        labels = dict(_LABEL.findall(match["labels"]))
        model = labels.get("model")
        if model is None:
            continue
        key = (match["name"], model)
        out[key] = out.get(key, 0.0) + float(match["value"])
    return out


def scrape(metrics_url: str, timeout_s: float = 10.0) -> Snapshot:
    with urllib.request.urlopen(metrics_url, timeout=timeout_s) as response:
        return parse_metrics(response.read().decode("utf-8", errors="replace"))


@dataclass(frozen=True)
class ModelTimes:
    """Average per request over a window, in milliseconds, for one model."""

    model: str
    requests: int
    avg_batch: float
    queue_ms: float
    compute_ms: float
    request_ms: float


def breakdown(before: Snapshot, after: Snapshot) -> list[ModelTimes]:
    """Per-model averages of the requests that finished between the two snapshots."""

    def delta(counter: str, model: str) -> float:
        return after.get((counter, model), 0.0) - before.get((counter, model), 0.0)

    models = sorted({model for _, model in after})
    rows: list[ModelTimes] = []
    for model in models:
        requests = delta("nv_inference_request_success", model)
        if requests <= 0:
            continue
        executions = delta("nv_inference_exec_count", model)
        compute_us = sum(
            delta(f"nv_inference_compute_{part}_duration_us", model)
            for part in ("input", "infer", "output")
        )
        rows.append(
            ModelTimes(
                model=model,
                requests=int(requests),
                avg_batch=delta("nv_inference_count", model) / executions if executions else 0.0,
                queue_ms=delta("nv_inference_queue_duration_us", model) / requests / 1000,
                compute_ms=compute_us / requests / 1000,
                request_ms=delta("nv_inference_request_duration_us", model) / requests / 1000,
            )
        )
    return rows
