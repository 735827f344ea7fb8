"""The `report_check` model on the real tritonserver, over HTTP and gRPC."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from tritonclient.utils import InferenceServerException

from tests.triton_calls import PROTOCOLS, client_for, string_inputs

pytestmark = pytest.mark.integration

MODEL = "report_check"
REPORT = (
    "EXAM: CT chest without contrast\nCOMPARISON: None.\nFINDINGS:\n"
    "There is a 7 mm solid nodule in the right lower lobe. Small left pleural effusion. "
    "No pneumothorax.\nIMPRESSION:\n"
    "1. 7 mm right lower lobe nodule. Recommend CT in 6-12 months.\n"
    "2. Small {side} pleural effusion.\n3. No pneumothorax."
)
GOOD = REPORT.format(side="left")
SWAPPED = REPORT.format(side="right")


def check(protocol: str, server: Any, reports: list[str | bytes], **context: Any) -> list[list]:
    client = client_for(protocol, server)
    try:
        result = client.infer(MODEL, string_inputs(protocol, report_text=reports, **context))
    finally:
        client.close()
    return [json.loads(v) for v in result.as_numpy("warnings").reshape(-1)]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_side_swap_is_caught(protocol: str, triton_server: Any) -> None:
    good, swapped = check(
        protocol, triton_server, [GOOD, SWAPPED], patient_sex=["F", "F"], patient_age=["60", "60"]
    )
    assert good == []
    assert [w["code"] for w in swapped] == ["LAT_CONTRA"]
    assert swapped[0]["severity"] == "block"
    span = swapped[0]["spans"][0]
    assert span["source"] == "impression" and span["end"] > span["start"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_context_inputs_reach_the_checks(protocol: str, triton_server: Any) -> None:
    report = GOOD.replace("3. No pneumothorax.", "3. The prostate is enlarged.")
    (warnings,) = check(protocol, triton_server, [report], patient_sex=["F"], exam=["CT chest"])
    assert {"SEX_MISMATCH", "EXAM_MISMATCH"} <= {w["code"] for w in warnings}


@pytest.mark.parametrize(
    ("report", "fragment"),
    [
        ("", "empty"),
        ("FINDINGS: Small left pleural effusion.", "IMPRESSION"),
        ("IMPRESSION: Small left pleural effusion.", "FINDINGS"),
        ("FINDINGS: effusion.\nIMPRESSION: " + "x" * (128 * 1024), "the limit is 131072"),
        (b"FINDINGS: \xff\xfe\nIMPRESSION: x", "UTF-8"),
    ],
)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_invalid_report_is_invalid_arg(
    protocol: str, triton_server: Any, report: str | bytes, fragment: str
) -> None:
    with pytest.raises(InferenceServerException) as info:
        check(protocol, triton_server, [report])
    assert fragment in info.value.message()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_bad_context_is_invalid_arg(protocol: str, triton_server: Any) -> None:
    with pytest.raises(InferenceServerException) as info:
        check(protocol, triton_server, [GOOD], patient_age=["not an age"])
    assert "patient_age" in info.value.message()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_one_bad_request_in_a_server_batch(protocol: str, triton_server: Any) -> None:
    """Concurrent requests are batched by the server; only the bad one fails."""
    reports = [GOOD, SWAPPED, "FINDINGS: no impression here", GOOD, SWAPPED, GOOD, SWAPPED, GOOD]

    def one(report: str) -> list | InferenceServerException:
        try:
            return check(protocol, triton_server, [report])[0]
        except InferenceServerException as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(reports)) as pool:
        answers = list(pool.map(one, reports))
    errors = [a for a in answers if isinstance(a, InferenceServerException)]
    assert len(errors) == 1 and answers[2] is errors[0]
    for report, answer in zip(reports, answers, strict=True):
        if report is GOOD:
            assert answer == []
        elif report is SWAPPED:
            assert [w["code"] for w in answer] == ["LAT_CONTRA"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_wrong_type_is_rejected(protocol: str, triton_server: Any) -> None:
    import numpy as np
    import tritonclient.grpc as grpcclient
    import tritonclient.http as httpclient

    module = httpclient if protocol == "http" else grpcclient
    tensor = module.InferInput("report_text", [1, 1], "INT32")
    tensor.set_data_from_numpy(np.array([[7]], dtype=np.int32))
    client = client_for(protocol, triton_server)
    try:
        with pytest.raises(InferenceServerException):
            client.infer(MODEL, [tensor])
    finally:
        client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_adversarial_report_at_the_limit_is_answered(protocol: str, triton_server: Any) -> None:
    """128 KiB of repeated negations (quadratic before parsing was bisected) is checked."""
    header = "EXAM: CT chest\nFINDINGS:\n"
    body = "No pleural effusion, " * ((128 * 1024 - len(header) - 60) // 21)
    report = header + body + "\nIMPRESSION:\nSmall left pleural effusion."
    assert len(report.encode()) <= 128 * 1024
    (warnings,) = check(protocol, triton_server, [report])
    assert [w["code"] for w in warnings] == ["NEG_FLIP"]
