"""The exam in front of the findings: one format for training, serving and evaluation, chosen by
the checkpoint's own tokenizer."""

from __future__ import annotations

from collections import Counter

from export.corpus import generate_cases
from export.evaluate import prepare_cases
from export.tiny_model import build_tokenizer
from export.tokenizer_train import add_exam_tokens, add_placeholder_tokens
from export.train import NO_EXAM_SHARE, source_text, training_exam
from python_models.exam_input import (
    EXAM_TOKEN,
    FINDINGS_TOKEN,
    tokenizer_reads_exam,
    with_exam,
)
from python_models.preprocess import PreparedReport, Preprocessor, RawReport


def exam_tokenizer():
    tok = build_tokenizer()
    add_placeholder_tokens(tok)
    assert add_exam_tokens(tok) == 2 and add_exam_tokens(tok) == 0
    return tok


def test_the_slot_is_empty_without_an_exam() -> None:
    assert with_exam("Lungs clear.", "CT  CHEST\n") == "<exam> CT CHEST <findings> Lungs clear."
    assert with_exam("Lungs clear.", None) == with_exam("Lungs clear.", "  ")
    assert with_exam("Lungs clear.", None) == f"{EXAM_TOKEN} {FINDINGS_TOKEN} Lungs clear."


def test_a_model_without_the_markers_is_served_the_findings_alone() -> None:
    plain = build_tokenizer()
    assert not tokenizer_reads_exam(plain)
    (done,) = Preprocessor(plain).prepare([RawReport(b"EXAM: CT CHEST\nFINDINGS: 7 mm nodule.")])
    assert isinstance(done, PreparedReport)
    assert EXAM_TOKEN not in plain.decode(done.input_ids)


def test_serving_and_evaluation_feed_what_training_fed() -> None:
    tok = exam_tokenizer()
    assert tokenizer_reads_exam(tok)
    cases = generate_cases(6, seed=3, split="test")
    for case, done in zip(cases, prepare_cases(cases, tok), strict=True):
        assert done.input_ids == tok(source_text(case, reads_exam=True))["input_ids"]
        assert source_text(case, reads_exam=True).startswith(f"{EXAM_TOKEN} {case['exam']} ")


def test_the_exam_input_overrides_the_header_and_either_may_be_absent() -> None:
    tok = exam_tokenizer()
    pre = Preprocessor(tok)
    sent, header, neither = pre.prepare(
        [
            RawReport(b"EXAM: XR CHEST\nFINDINGS: Lungs clear.", exam=b"CT CHEST"),
            RawReport(b"EXAM: XR CHEST\nFINDINGS: Lungs clear."),
            RawReport(b"FINDINGS: Lungs clear."),
        ]
    )

    def fed(exam: str | None) -> list[int]:
        return tok(with_exam("Lungs clear.", exam))["input_ids"]

    assert sent.input_ids == fed("CT CHEST") != fed("XR CHEST")
    assert header.input_ids == fed("XR CHEST")
    assert neither.input_ids == fed(None)


def test_training_varies_how_the_exam_is_written_and_sometimes_leaves_it_out() -> None:
    cases = generate_cases(400, seed=5, split="train")
    exams = [training_exam(c) for c in cases]
    assert exams == [training_exam(c) for c in cases]  # the same case, the same variant
    missing = sum(e is None for e in exams) / len(exams)
    assert abs(missing - NO_EXAM_SHARE) < 0.06
    changed = Counter(e != c["exam"] for c, e in zip(cases, exams, strict=True) if e)
    assert changed[True] > 40 and changed[False] > 100
    val = generate_cases(20, seed=5, split="val")
    assert [training_exam(c) for c in val] == [c["exam"] for c in val]
