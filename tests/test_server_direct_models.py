"""Composing models called directly (as a client may): malformed requests get a clear error
alone, and the well-formed requests batched with them are still answered."""

from __future__ import annotations

import importlib
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

pytestmark = pytest.mark.integration


def _tensor(name: str, array: np.ndarray, dtype: str) -> grpcclient.InferInput:
    tensor = grpcclient.InferInput(name, list(array.shape), dtype)
    tensor.set_data_from_numpy(array)
    return tensor


def _ids(rows: list[list[int]]) -> np.ndarray:
    return np.array(rows, dtype=np.int64)


def _context(value: Any) -> np.ndarray:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return np.array([[raw]], dtype=np.object_)


def _send_together(server: Any, model: str, requests: list[list[Any]]) -> list[Any]:
    """Send all requests at once (so the dynamic batcher groups them); result or exception."""
    client = grpcclient.InferenceServerClient(server.grpc_url)
    results: dict[int, Any] = {}
    done = threading.Event()

    def callback(index: int, result: Any, error: Any) -> None:
        results[index] = error if error is not None else result
        if len(results) == len(requests):
            done.set()

    try:
        for index, inputs in enumerate(requests):
            client.async_infer(
                model, inputs, callback=lambda result, error, i=index: callback(i, result, error)
            )
        assert done.wait(120), f"only {len(results)} of {len(requests)} answered"
    finally:
        client.close()
    return [results[i] for i in range(len(requests))]


def test_generator_rejects_bad_requests_alone(triton_server: Any) -> None:
    good = [
        _tensor("INPUT_IDS", _ids([[5, 6, 7, 1]]), "INT64"),
        _tensor("ATTENTION_MASK", _ids([[1, 1, 1, 1]]), "INT64"),
    ]
    out_of_vocab = [
        _tensor("INPUT_IDS", _ids([[5, 10**9, 1]]), "INT64"),
        _tensor("ATTENTION_MASK", _ids([[1, 1, 1]]), "INT64"),
    ]
    too_long = [
        _tensor("INPUT_IDS", _ids([[5] * 4000]), "INT64"),
        _tensor("ATTENTION_MASK", _ids([[1] * 4000]), "INT64"),
    ]
    mismatched = [
        _tensor("INPUT_IDS", _ids([[5, 6, 1]]), "INT64"),
        _tensor("ATTENTION_MASK", _ids([[1, 1]]), "INT64"),
    ]
    results = _send_together(
        triton_server, "generator", [good, out_of_vocab, too_long, mismatched, good]
    )
    assert results[0].as_numpy("OUTPUT_IDS").shape[0] == 1
    assert results[4].as_numpy("OUTPUT_IDS").tolist() == results[0].as_numpy("OUTPUT_IDS").tolist()
    for result, expected in zip(
        results[1:4], ["must lie in", "the limit is", "same shape"], strict=True
    ):
        assert isinstance(result, InferenceServerException), result
        assert expected in str(result)


def test_postprocess_rejects_bad_requests_alone(triton_server: Any) -> None:
    context = {"findings": "No pneumothorax.", "exam": "XR chest", "warnings": []}
    good = [
        _tensor("OUTPUT_IDS", _ids([[5, 6, 7]]), "INT64"),
        _tensor("CONTEXT", _context(context), "BYTES"),
    ]
    bad_ids = [
        _tensor("OUTPUT_IDS", _ids([[5, 2**40]]), "INT64"),
        _tensor("CONTEXT", _context(context), "BYTES"),
    ]
    bad_json = [
        _tensor("OUTPUT_IDS", _ids([[5]]), "INT64"),
        _tensor("CONTEXT", _context(b"[" * 100000), "BYTES"),
    ]
    bad_warnings = [
        _tensor("OUTPUT_IDS", _ids([[5]]), "INT64"),
        _tensor("CONTEXT", _context({**context, "warnings": 5}), "BYTES"),
    ]
    bad_type = [
        _tensor("OUTPUT_IDS", _ids([[5]]), "INT64"),
        _tensor("CONTEXT", _context({**context, "findings": ["x"]}), "BYTES"),
    ]
    results = _send_together(
        triton_server, "postprocess", [good, bad_ids, bad_json, bad_warnings, bad_type, good]
    )
    for index in (0, 5):
        assert results[index].as_numpy("IMPRESSION").shape == (1, 1)
        json.loads(results[index].as_numpy("WARNINGS")[0, 0])
    expected = ["OUTPUT_IDS must lie in", "not valid JSON", "CONTEXT.warnings", "CONTEXT.findings"]
    for result, message in zip(results[1:5], expected, strict=True):
        assert isinstance(result, InferenceServerException), result
        assert message in str(result)


def test_generator_sends_the_configured_number_of_candidates(triton_server: Any) -> None:
    """With num_candidates > 1 one OUTPUT_IDS row holds that many beams, eos-separated, which
    postprocess splits again (python_models.candidates)."""
    from export.evaluate import served_decoding
    from python_models.candidates import split_candidates
    from python_models.preprocess import PreparedReport, Preprocessor, RawReport
    from python_models.tokenizer_loader import load_tokenizer

    root = Path(__file__).resolve().parent.parent
    tokenizer = load_tokenizer(root / "model_repository/preprocess/1/tokenizer")
    report = RawReport(b"FINDINGS: Small left pleural effusion. No pneumothorax.")
    (prepared,) = Preprocessor(tokenizer).prepare([report])
    assert isinstance(prepared, PreparedReport)
    ids = _ids([prepared.input_ids])
    (result,) = _send_together(
        triton_server,
        "generator",
        [
            [
                _tensor("INPUT_IDS", ids, "INT64"),
                _tensor("ATTENTION_MASK", np.ones_like(ids), "INT64"),
            ]
        ],
    )
    (row,) = result.as_numpy("OUTPUT_IDS").tolist()
    candidates = split_candidates(row, tokenizer.eos_token_id, tokenizer.pad_token_id)
    expected = served_decoding(root / "model_repository/generator/config.pbtxt").num_candidates
    assert expected > 1, "the served config sends one candidate: this test needs several"
    assert len(candidates) == expected and all(candidates)


def _postprocess(
    triton_server: Any, protocol: str, ids: np.ndarray, context: np.ndarray
) -> tuple[str, list[dict[str, Any]]]:
    """One request straight to the served postprocess: its impression and warnings."""
    from tests.triton_calls import client_for

    module = importlib.import_module(f"tritonclient.{protocol}")
    inputs = []
    for name, array, dtype in (("OUTPUT_IDS", ids, "INT64"), ("CONTEXT", context, "BYTES")):
        tensor = module.InferInput(name, list(array.shape), dtype)
        tensor.set_data_from_numpy(array)
        inputs.append(tensor)
    client = client_for(protocol, triton_server)
    try:
        result = client.infer("postprocess", inputs)
    finally:
        client.close()
    return result.as_numpy("IMPRESSION")[0, 0].decode(), json.loads(
        result.as_numpy("WARNINGS")[0, 0]
    )


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_postprocess_adds_an_omitted_critical_finding_and_blocks(
    triton_server: Any, protocol: str
) -> None:
    """The served postprocess (complete_critical_findings on) puts back a critical finding the
    generated text left out, first and as dictated, and sends the answer to review."""
    from python_models.tokenizer_loader import load_tokenizer

    root = Path(__file__).resolve().parent.parent
    tokenizer = load_tokenizer(root / "model_repository/postprocess/1/tokenizer")
    ids = _ids([tokenizer("Small volume ascites.", add_special_tokens=False)["input_ids"]])
    findings = "Images show small volume ascites. There is small volume pneumoperitoneum."
    context = _context({"findings": findings, "exam": "CT abdomen and pelvis", "warnings": []})
    impression, warnings = _postprocess(triton_server, protocol, ids, context)
    # the default style may lay the items out one per line
    assert " ".join(impression.split()) == (
        "1. Small volume pneumoperitoneum. 2. Small volume ascites."
    )
    (added,) = [w for w in warnings if w["code"] == "CRIT_ADDED"]
    assert added["severity"] == "block"
    assert "CRIT_MISS" not in {w["code"] for w in warnings}


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_postprocess_merges_sides_and_answers_the_exams_question_without_blocking(
    triton_server: Any, protocol: str
) -> None:
    """The served postprocess (merge_bilateral and pertinent_negatives on) states one finding
    given left and right as one bilateral item and adds the PE study's negative answer that the
    findings give, each with a warn-level warning: the answer is not sent to review for it."""
    from python_models.tokenizer_loader import load_tokenizer

    root = Path(__file__).resolve().parent.parent
    tokenizer = load_tokenizer(root / "model_repository/postprocess/1/tokenizer")
    text = "1. Moderate left pleural effusion. 2. Moderate right pleural effusion."
    ids = _ids([tokenizer(text, add_special_tokens=False)["input_ids"]])
    findings = (
        "Pulmonary arteries: Pulmonary arterial opacification is adequate, with no embolus "
        "identified.\nPleura: There is a moderate right pleural effusion. Moderate left pleural "
        "effusion."
    )
    context = _context({"findings": findings, "exam": "CTA CHEST PE PROTOCOL", "warnings": []})
    impression, warnings = _postprocess(triton_server, protocol, ids, context)
    assert " ".join(impression.split()) == (
        "1. Moderate bilateral pleural effusions. 2. No pulmonary embolism."
    )
    codes = {w["code"]: w for w in warnings}
    assert codes["SIDES_MERGED"]["severity"] == "warn"
    assert codes["NEGATIVE_ADDED"]["severity"] == "warn"
    (span,) = codes["NEGATIVE_ADDED"]["spans"]
    assert "no embolus" in findings[span["start"] : span["end"]]
    assert not [w for w in warnings if w["severity"] == "block"]
