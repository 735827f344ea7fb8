"""Preprocessor: validation per report, one tokenizer call per batch, truncation warnings."""

from __future__ import annotations

from typing import Any

import pytest

from export.tiny_model import build_tokenizer
from python_models.preprocess import (
    PreparedReport,
    Preprocessor,
    RawReport,
    model_input_text,
    normalise_text,
)
from python_models.request_fields import InvalidRequest


class CountingTokenizer:
    """Wraps a real tokenizer and counts calls, to prove a batch is tokenized at once."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0

    def __call__(self, texts: list[str], **kwargs: Any) -> Any:
        self.calls += 1
        return self.inner(texts, **kwargs)


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return build_tokenizer()


def test_batch_is_tokenized_once_and_bad_rows_fail_alone(tokenizer: Any) -> None:
    counting = CountingTokenizer(tokenizer)
    pre = Preprocessor(counting, max_input_tokens=64)
    batch = [
        RawReport(b"FINDINGS: 7 mm nodule in the right upper lobe. No pneumothorax."),
        RawReport(b""),
        RawReport("EXAM: CT head\nIMPRESSION: Normal."),
        RawReport(b"Small left pleural effusion.", patient_sex=b"F", patient_age=b"71"),
        RawReport(b"No acute findings.", patient_sex=b"dragon"),
    ]
    out = pre.prepare(batch)
    assert counting.calls == 1
    assert isinstance(out[0], PreparedReport) and out[0].input_ids
    assert isinstance(out[1], InvalidRequest) and "empty" in str(out[1])
    assert isinstance(out[2], InvalidRequest) and "FINDINGS" in str(out[2])
    assert isinstance(out[3], PreparedReport)
    assert out[3].context["patient_sex"] == "female" and out[3].context["patient_age"] == 71
    assert isinstance(out[4], InvalidRequest) and "patient_sex" in str(out[4])


def test_same_findings_same_ids_whatever_the_headers(tokenizer: Any) -> None:
    pre = Preprocessor(tokenizer)
    a, b = pre.prepare(
        [
            RawReport(b"EXAM: XR chest\nFINDINGS:\nLungs   clear.\nNo effusion.\nIMPRESSION: x"),
            RawReport(b"Lungs clear. No effusion."),
        ]
    )
    assert isinstance(a, PreparedReport) and isinstance(b, PreparedReport)
    assert a.input_ids == b.input_ids
    assert a.context["exam"] == "XR chest" and b.context["exam"] is None


def test_the_indication_travels_to_postprocess_but_not_to_the_model(tokenizer: Any) -> None:
    pre = Preprocessor(tokenizer)
    a, b = pre.prepare(
        [
            RawReport(b"EXAM: CT chest\nHISTORY: Former smoker.\nFINDINGS: 6 mm nodule."),
            RawReport(b"EXAM: CT chest\nFINDINGS: 6 mm nodule."),
        ]
    )
    assert isinstance(a, PreparedReport) and isinstance(b, PreparedReport)
    assert a.context["indication"] == "Former smoker." and b.context["indication"] is None
    assert a.input_ids == b.input_ids  # guideline applicability is postprocess's, not the model's


def test_long_findings_are_truncated_with_a_warning(tokenizer: Any) -> None:
    pre = Preprocessor(tokenizer, max_input_tokens=32)
    (out,) = pre.prepare([RawReport(("No pneumothorax. " * 50).encode())])
    assert isinstance(out, PreparedReport)
    assert len(out.input_ids) == 32
    assert out.input_ids[-1] == tokenizer.eos_token_id
    assert [w["code"] for w in out.context["warnings"]] == ["INPUT_TRUNCATED"]


def test_oversized_report_is_rejected_by_size(tokenizer: Any) -> None:
    pre = Preprocessor(tokenizer, max_report_bytes=1000)
    (out,) = pre.prepare([RawReport(b"x" * 1001)])
    assert isinstance(out, InvalidRequest)
    assert "1001 bytes" in str(out) and "limit is 1000" in str(out)


def test_normalisation_keeps_non_ascii() -> None:
    assert normalise_text("Kein  Erguss\u00a0–  Lunge frei ü") == "Kein Erguss - Lunge frei ü"
    assert model_input_text(" a\n\nb ") == "a b"
