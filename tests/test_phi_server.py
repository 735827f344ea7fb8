"""PHI never reaches the server log or /metrics, for good requests and failing ones.

Reports carrying sentinel names, MRNs, accession numbers and dates go through the real server
(the `impression` ensemble and `report_check`, HTTP and gRPC), with verbose logging switched on
so that every log line our models and Triton can write is exercised. Then the log and the
metrics text are searched for every sentinel.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from tests.triton_calls import PROTOCOLS, client_for, string_inputs

pytestmark = pytest.mark.integration

NAME = "Quorbly Zyxwend"
MRN = "MRN 48213377"
ACCESSION = "ACC9Q4X7Z2"
DOB = "1961-03-17"
DATE_US = "07/29/2023"
SENTINELS = (NAME, "Quorbly", "Zyxwend", "48213377", ACCESSION, DOB, DATE_US)

REPORT = (
    f"PATIENT: {NAME}  {MRN}  DOB {DOB}  ACCESSION {ACCESSION}\n"
    "EXAM: CT chest without contrast\n"
    f"COMPARISON: CT chest {DATE_US}.\n"
    f"FINDINGS:\nMr. {NAME} has a 7 mm solid nodule in the right lower lobe. Small left pleural "
    f"effusion. No pneumothorax. Discussed with Dr. {NAME} on {DATE_US}.\n"
    f"IMPRESSION:\n1. 7 mm right lower lobe nodule ({MRN}).\n2. Small right pleural effusion."
)
OVERSIZED = REPORT + "\n" + (f"{NAME} {MRN} " * 40000)  # > 1 MiB


def _expect_error(call: Any) -> None:
    with pytest.raises(InferenceServerException):
        call()


def _send_all(protocol: str, server: Any) -> int:
    """Every kind of request, good and bad, to both models; returns how many were sent."""
    sent = 0

    def infer(model: str, **columns: Any) -> Any:
        nonlocal sent
        sent += 1
        client = client_for(protocol, server)
        try:
            return client.infer(model, string_inputs(protocol, **columns))
        finally:
            client.close()

    # Good requests, with PHI in the report and in every optional text input.
    context = {"patient_sex": ["F"], "patient_age": ["62"], "radiologist_id": ["dr_phi_test"]}
    result = infer("impression", report_text=[REPORT], exam=[f"CT chest {NAME}"], **context)
    assert result.as_numpy("impression").shape == (1, 1)
    result = infer("report_check", report_text=[REPORT], patient_sex=["F"], patient_age=["62"])
    codes = {w["code"] for w in json.loads(result.as_numpy("warnings")[0, 0])}
    assert "LAT_CONTRA" in codes  # the report's impression swapped the effusion's side
    # Failing requests: empty, oversized, missing sections, PHI in invalid optional inputs.
    for model in ("impression", "report_check"):
        _expect_error(lambda m=model: infer(m, report_text=[""]))
        _expect_error(lambda m=model: infer(m, report_text=[OVERSIZED]))
        _expect_error(lambda m=model: infer(m, report_text=[REPORT], patient_sex=[NAME]))
        _expect_error(lambda m=model: infer(m, report_text=[REPORT], patient_age=[DOB]))
        _expect_error(lambda m=model: infer(m, report_text=[REPORT.encode() + b"\xff"]))
    _expect_error(lambda: infer("report_check", report_text=[f"FINDINGS: {NAME} {MRN}"]))
    _expect_error(lambda: infer("impression", report_text=[REPORT], radiologist_id=[NAME]))
    # Wrong types and shapes, rejected by Triton itself before any model runs.
    module = httpclient if protocol == "http" else grpcclient
    for model in ("impression", "report_check"):
        wrong = module.InferInput("report_text", [1, 1], "INT32")
        wrong.set_data_from_numpy(np.array([[48213377]], dtype=np.int32))
        # Triton's log echoes input NAMES (and request ids), never values: names stay neutral.
        extra = module.InferInput("unexpected_input", [1, 1], "BYTES")
        extra.set_data_from_numpy(np.array([[REPORT.encode()]], dtype=np.object_))
        for inputs in ([wrong], string_inputs(protocol, report_text=[REPORT]) + [extra]):
            client = client_for(protocol, server)
            try:
                sent += 1
                _expect_error(lambda m=model, i=inputs, c=client: c.infer(m, i))
            finally:
                client.close()
    return sent


def _raw_http(server: Any) -> None:
    """Malformed HTTP bodies carrying PHI (Triton's own JSON parser answers these)."""
    bodies = [
        b'{"inputs": [{"name": "report_text", "datatype": "BYTES", "shape": [1, 1], "data": ["'
        + REPORT.encode()[:200].replace(b"\n", b" ")
        + b'"',  # truncated JSON
        json.dumps(
            {"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1], "data": [MRN]}]}
        ).encode(),
    ]
    for model in ("impression", "report_check"):
        for body in bodies:
            request = urllib.request.Request(
                f"http://{server.http_url}/v2/models/{model}/infer",
                data=body,
                headers={"Content-Type": "application/json"},
            )
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(request, timeout=60)


@pytest.fixture
def verbose_log(triton_server: Any) -> Iterator[Any]:
    """Verbose logging on for the test (the logging API), back to the previous level after."""
    client = httpclient.InferenceServerClient(triton_server.http_url)
    previous = client.get_log_settings().get("log_verbose_level", 0)
    client.update_log_settings({"log_verbose_level": 1})
    try:
        yield triton_server
    finally:
        client.update_log_settings({"log_verbose_level": previous})
        client.close()


def _wait_for_line(server: Any, needle: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = server.log_text()
        if needle in text or time.monotonic() > deadline:
            return text
        time.sleep(0.5)


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [s for s in SENTINELS if s.lower() in lowered]


def test_no_phi_in_log_or_metrics(verbose_log: Any) -> None:
    server = verbose_log
    start = len(server.log_text())
    sent = sum(_send_all(protocol, server) for protocol in PROTOCOLS)
    _raw_http(server)
    log = _wait_for_line(server, "report_check requests=")[start:]
    # The log really was written at verbose level by our models, so silence proves nothing.
    assert "report_check requests=" in log and "failed_requests=1" in log
    assert sent > 20
    assert _leaks(log) == [], "PHI sentinel found in the server log"
    with urllib.request.urlopen(server.metrics_url, timeout=10) as resp:
        metrics = resp.read().decode()
    assert 'nv_inference_request_failure{model="report_check"' in metrics
    assert _leaks(metrics) == [], "PHI sentinel found in /metrics"
