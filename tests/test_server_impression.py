"""The `impression` ensemble on a real tritonserver, over HTTP and gRPC."""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any

import pytest
from tritonclient.utils import InferenceServerException

from tests.triton_calls import PROTOCOLS, client_for, decode, string_inputs, summarize

pytestmark = pytest.mark.integration

NORMAL_REPORT = (
    "EXAM: CT chest without contrast\nCOMPARISON: None.\nFINDINGS:\n"
    "There is a 7 mm solid nodule in the right upper lobe. No pneumothorax. "
    "No pleural effusion. The heart is normal in size.\nIMPRESSION:"
)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_normal_report_gets_an_impression(protocol: str, triton_server: Any) -> None:
    answer = summarize(
        protocol,
        triton_server,
        [NORMAL_REPORT],
        radiologist_id=["dr_test"],
        exam=["CT chest"],
        patient_sex=["F"],
        patient_age=["61"],
    )
    assert len(answer.impression) == 1
    assert answer.impression[0].strip()
    assert isinstance(answer.warnings[0], list)
    for warning in answer.warnings[0]:
        assert set(warning) >= {"code", "severity", "message"}
        assert warning["severity"] in {"block", "warn", "info"}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_client_side_batch(protocol: str, triton_server: Any) -> None:
    reports = [NORMAL_REPORT, "Lungs are clear. No pneumothorax.", "Small left pleural effusion."]
    answer = summarize(protocol, triton_server, reports)
    assert len(answer.impression) == 3 and all(i.strip() for i in answer.impression)
    single = summarize(protocol, triton_server, [reports[1]])
    assert single.impression[0] == answer.impression[1]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_non_ascii_report(protocol: str, triton_server: Any) -> None:
    report = "FINDINGS: Pleuraerguss rechts – kein Pneumothorax. Épanchement pleural. 肺"
    answer = summarize(protocol, triton_server, [report], exam=["Röntgen Thorax"])
    assert isinstance(answer.impression[0], str)
    json.dumps(answer.warnings)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_report_without_findings_header_is_all_findings(protocol: str, triton_server: Any) -> None:
    answer = summarize(protocol, triton_server, ["Lungs are clear. No pneumothorax."])
    assert answer.impression[0].strip()


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        ("", "report_text is empty"),
        ("   \n ", "report_text is empty"),
        ("EXAM: CT head\nIMPRESSION: Normal.", "no FINDINGS text"),
        ("x" * (1024 * 1024), "the limit is"),
    ],
    ids=["empty", "blank", "no-findings", "1MB"],
)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_bad_reports_get_clear_errors(
    protocol: str, report: str, expected: str, triton_server: Any
) -> None:
    with pytest.raises(InferenceServerException, match=expected):
        summarize(protocol, triton_server, [report])
    # the server is still healthy afterwards
    assert summarize(protocol, triton_server, ["No pneumothorax."]).impression[0]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_bad_optional_input_is_a_clear_error(protocol: str, triton_server: Any) -> None:
    with pytest.raises(InferenceServerException, match="patient_age must be"):
        summarize(protocol, triton_server, [NORMAL_REPORT], patient_age=["two hundred"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_long_report_is_truncated_with_warning(protocol: str, triton_server: Any) -> None:
    report = "FINDINGS: " + "There is no pleural effusion or pneumothorax. " * 300
    answer = summarize(protocol, triton_server, [report])
    assert "INPUT_TRUNCATED" in [w["code"] for w in answer.warnings[0]]


def model_counter(server: Any, metric: str, model: str) -> float:
    """One Prometheus counter of one model from the server's /metrics."""
    with urllib.request.urlopen(server.metrics_url, timeout=10) as resp:
        body = resp.read().decode()
    prefix = f'{metric}{{model="{model}",version="1"}} '
    return sum(float(line[len(prefix) :]) for line in body.splitlines() if line.startswith(prefix))


def _burst_with_one_bad(protocol: str, triton_server: Any) -> tuple[int, int]:
    """Send 24 good reports and one empty one at once; check every answer. Returns (generator
    executions, good requests) for the batching check."""
    execs_before = model_counter(triton_server, "nv_inference_exec_count", "generator")
    reports = [f"{n} mm nodule in the left lower lobe. No pneumothorax." for n in range(3, 27)]
    reports.insert(3, "")
    results: dict[int, Any] = {}
    client = client_for(protocol, triton_server, concurrency=len(reports))
    done = threading.Event()
    lock = threading.Lock()

    def callback(index: int, result: Any, error: Any) -> None:
        with lock:
            results[index] = error if error is not None else decode(result)
            if len(results) == len(reports):
                done.set()

    try:
        if protocol == "http":
            futures = [
                client.async_infer("impression", string_inputs(protocol, report_text=[r]))
                for r in reports
            ]
            for index, future in enumerate(futures):
                try:
                    callback(index, future.get_result(), None)
                except InferenceServerException as exc:
                    callback(index, None, exc)
        else:
            for index, report in enumerate(reports):
                client.async_infer(
                    "impression",
                    string_inputs(protocol, report_text=[report]),
                    callback=lambda result, error, i=index: callback(i, result, error),
                )
            assert done.wait(120), f"only {len(results)} answers"
    finally:
        client.close()
    assert isinstance(results[3], InferenceServerException)
    assert "report_text is empty" in str(results[3])
    good = [results[i] for i in range(len(reports)) if i != 3]
    assert all(not isinstance(r, Exception) and r.impression[0] for r in good)
    execs = model_counter(triton_server, "nv_inference_exec_count", "generator") - execs_before
    return execs, len(good)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_concurrent_requests_one_bad(protocol: str, triton_server: Any) -> None:
    """Requests batched together: the bad one fails alone, every other one is answered."""
    # Batches form only from requests that queue while the generator is busy (queue delay 0),
    # so a fast model may serve one burst without coalescing; three bursts must show it.
    seen = [_burst_with_one_bad(protocol, triton_server) for _ in range(3)]
    assert all(execs >= 1 for execs, _ in seen)
    assert any(execs < good for execs, good in seen), f"no burst shared a batch: {seen}"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_server_and_models_ready(protocol: str, triton_server: Any) -> None:
    client = client_for(protocol, triton_server)
    try:
        assert client.is_server_live() and client.is_server_ready()
        for model in ("impression", "preprocess", "generator", "postprocess"):
            assert client.is_model_ready(model), model
        metadata = client.get_model_metadata("impression")
        names = (
            {i["name"] for i in metadata["inputs"]}
            if protocol == "http"
            else {i.name for i in metadata.inputs}
        )
        assert names == {"report_text", "radiologist_id", "exam", "patient_sex", "patient_age"}
    finally:
        client.close()


def test_metrics_endpoint_reports_inference(triton_server: Any) -> None:
    summarize("grpc", triton_server, [NORMAL_REPORT])
    with urllib.request.urlopen(triton_server.metrics_url, timeout=10) as resp:
        body = resp.read().decode()
    assert 'nv_inference_request_success{model="impression"' in body
    assert 'model="generator"' in body


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_printed_serve_example_works(protocol: str, triton_server: Any) -> None:
    """The one-line report `impressions serve` prints (inline headers) is summarized."""
    from clients.serve_cmd import EXAMPLE_REPORT

    answer = summarize(protocol, triton_server, [EXAMPLE_REPORT], radiologist_id=["dr_default"])
    assert answer.impression[0].strip()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_measurements_come_back_exactly_as_dictated(protocol: str, triton_server: Any) -> None:
    """Measured values travel as <nK> placeholders: none may leak, and every measurement in an
    impression must be one the findings hold (or be flagged MEASUREMENT_UNRESOLVED)."""
    from export.corpus import generate_cases, render_report
    from export.evaluate import measurements

    def values(text: str) -> set[str]:
        return {m.replace(" ", "") for m in measurements(text)}

    cases = [c for c in generate_cases(60, seed=11, split="test") if measurements(c["impression"])]
    reports = [render_report(c) for c in cases[:8]]
    answer = summarize(protocol, triton_server, reports)
    with_values = 0
    for report, impression, warnings in zip(
        reports, answer.impression, answer.warnings, strict=True
    ):
        assert "<n" not in impression
        codes = {w["code"] for w in warnings}
        said = values(impression)
        with_values += bool(said)
        if "MEASUREMENT_UNRESOLVED" not in codes:
            assert said <= values(report)
    assert with_values >= 4, "the demo model should state most of these measurements"
