"""Warning counters per model, version and code: labels never carry text (unit), and a real
tritonserver's /metrics shows them after a request (integration)."""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

from python_models.warning_metrics import (
    FAMILY,
    OTHER,
    NoCounter,
    WarningCounter,
    counter_for,
    label_code,
)
from tests.triton_calls import client_for, string_inputs, summarize

SENTINEL = "Zebediah Quackenbush MRN 99887766"


class FakeMetric:
    def __init__(self, labels: dict[str, str]) -> None:
        self.labels, self.value = labels, 0.0

    def increment(self, n: float) -> None:
        self.value += n


class FakeFamily:
    COUNTER = "COUNTER"

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs, self.metrics = kwargs, []

    def Metric(self, labels: dict[str, str]) -> FakeMetric:  # noqa: N802 - the backend's name
        self.metrics.append(FakeMetric(labels))
        return self.metrics[-1]


def test_counts_per_code_and_keeps_text_out_of_labels() -> None:
    family = FakeFamily()
    counter = WarningCounter(family, "postprocess", "3")
    counter.count(["CRIT_MISS", "CRIT_MISS", "LAT_CONTRA", SENTINEL, None, "lower_case"])
    counter.count(["CRIT_MISS"])
    values = {m.labels["code"]: m.value for m in family.metrics}
    assert values == {"CRIT_MISS": 3, "LAT_CONTRA": 1, OTHER: 3}
    for metric in family.metrics:
        assert set(metric.labels) == {"model", "version", "code"}
        assert metric.labels["model"] == "postprocess" and metric.labels["version"] == "3"
    assert label_code(SENTINEL) == OTHER
    counter.close()


def test_counter_for_reads_triton_args_and_refuses_odd_labels() -> None:
    backend = SimpleNamespace(MetricFamily=FakeFamily)
    made = counter_for(backend, {"model_name": "report_check", "model_version": "1"})
    assert isinstance(made, WarningCounter)
    assert made._family.kwargs["name"] == FAMILY and made._family.kwargs["kind"] == "COUNTER"
    # a backend without the metrics API still serves: nothing is counted
    silent = counter_for(SimpleNamespace(), {"model_name": "report_check", "model_version": "1"})
    assert isinstance(silent, NoCounter)
    silent.count(["CRIT_MISS"])
    silent.close()
    with pytest.raises(ValueError):
        WarningCounter(FakeFamily(), "post process", "1")
    with pytest.raises(ValueError):
        WarningCounter(FakeFamily(), "postprocess", "v1")


def warning_counts(metrics_url: str) -> dict[tuple[str, str, str], float]:
    """(model, version, code) -> value of every warning counter on /metrics."""
    text = urllib.request.urlopen(metrics_url, timeout=10).read().decode()
    counts = {}
    for line in text.splitlines():
        if not line.startswith(FAMILY + "{"):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}", 1)[0]))
        counts[(labels["model"], labels["version"], labels["code"])] = float(line.split()[-1])
    return counts


REPORT = (
    "EXAM: CT chest without contrast\nFINDINGS:\n"
    "There is a 7 mm solid nodule in the right lower lobe. Small left pleural effusion. "
    "No pneumothorax.\nIMPRESSION:\n1. 7 mm right lower lobe nodule.\n"
    "2. Small right pleural effusion.\n3. No pneumothorax."
)
FINDINGS = (
    "EXAM: CT chest. FINDINGS: 7 mm solid nodule in the right upper lobe. "
    "Large right pneumothorax. No pleural effusion."
)


@pytest.mark.integration
def test_metrics_count_the_warnings_returned(triton_server: Any) -> None:
    before = warning_counts(triton_server.metrics_url)
    answer = summarize("grpc", triton_server, [FINDINGS, FINDINGS])
    returned = Counter(w["code"] for ws in answer.warnings for w in ws)
    client = client_for("http", triton_server)
    try:
        result = client.infer("report_check", string_inputs("http", report_text=[REPORT]))
    finally:
        client.close()
    checked = Counter(w["code"] for w in json.loads(result.as_numpy("warnings").reshape(-1)[0]))
    assert checked["LAT_CONTRA"] == 1
    after = warning_counts(triton_server.metrics_url)
    assert returned, "the test report should draw at least one warning"
    for code, n in returned.items():
        key = ("postprocess", "1", code)
        assert after.get(key, 0) - before.get(key, 0) == n, (code, before, after)
    for code, n in checked.items():
        key = ("report_check", "1", code)
        assert after.get(key, 0) - before.get(key, 0) == n, (code, before, after)
    assert SENTINEL not in urllib.request.urlopen(triton_server.metrics_url).read().decode()
