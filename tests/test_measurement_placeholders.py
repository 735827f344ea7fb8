"""Measurement placeholders: masking rules, exact round trips, and the pre/postprocess wiring."""

from __future__ import annotations

import re
from typing import Any

import pytest

from export.corpus import generate_cases
from export.tiny_model import build_tokenizer
from export.tokenizer_train import add_placeholder_tokens
from export.train import plain_source_text, plain_target_text, source_text, target_text
from python_models.measurement_placeholders import (
    PLACEHOLDER_COUNT,
    UNRESOLVED,
    mask_measurements,
    mask_target,
    tokenizer_uses_placeholders,
    unmask,
)
from python_models.postprocess import validate_context
from python_models.preprocess import PreparedReport, Preprocessor, RawReport
from python_models.request_fields import InvalidRequest
from tests.postprocess_helpers import slots_only

_MEASURED = re.compile(r"\b\d+(?:\.\d+)?(?=(?:\s*x\s*\d+(?:\.\d+)?)*\s*(?:mm|cm)\b)")


def test_measurements_are_numbered_by_first_appearance_and_reused() -> None:
    text = "Kidney 11.6 cm. Stone (8 mm), previously 7mm. Mass 5.1 x 4.1 x 3 cm. Again 8 mm."
    masked, values = mask_measurements(text)
    assert values == ["11.6 cm", "8 mm", "7 mm", "5.1 x 4.1 x 3 cm"]
    assert masked == "Kidney <n0>. Stone (<n1>), previously <n2>. Mass <n3>. Again <n1>."
    assert unmask(masked, values)[0] == text.replace("7mm", "7 mm")  # one canonical spelling


def test_spellings_of_one_measurement_share_a_slot() -> None:
    masked, values = mask_measurements("Cyst 2.1X1.4CM, unchanged from 2.1 x 1.4 cm.")
    assert (masked, values) == ("Cyst <n0>, unchanged from <n0>.", ["2.1 x 1.4 cm"])


def test_numbers_that_are_not_measurements_stay_literal() -> None:
    text = "Grade 1 anterolisthesis at L4-L5. Modic type 2. Fleischner 2017: CT at 3-6 months."
    assert mask_measurements(text) == (text, [])


@pytest.mark.parametrize("split", ["train", "test"])
def test_corpus_round_trips_and_every_reference_value_is_masked(split: str) -> None:
    for case in generate_cases(300, seed=7, split=split):
        plain = plain_source_text(case)
        masked, values = mask_measurements(plain)
        assert unmask(masked, values) == (plain, 0)
        assert masked == source_text(case)
        target = target_text(case)
        assert not _MEASURED.search(target), "a reference measurement the findings lack"
        assert unmask(target, values) == (plain_target_text(case), 0)


def test_user_text_cannot_address_a_slot() -> None:
    masked, values = mask_measurements("Literal <n0> and <n1>. Nodule 6 mm.")
    assert values == ["6 mm"]
    assert masked.count("<n0>") == 1 and "<n1>" not in masked
    assert unmask(masked, values)[0] == "Literal < n0> and < n1>. Nodule 6 mm."


def test_values_beyond_the_slot_count_stay_literal() -> None:
    sizes = [f"{i + 1} mm" for i in range(PLACEHOLDER_COUNT + 3)]
    masked, values = mask_measurements(". ".join(sizes))
    assert len(values) == PLACEHOLDER_COUNT
    assert masked.endswith(
        f"<n{PLACEHOLDER_COUNT - 1}>. {PLACEHOLDER_COUNT + 1} mm. "
        f"{PLACEHOLDER_COUNT + 2} mm. {PLACEHOLDER_COUNT + 3} mm"
    )
    assert unmask(masked, values)[0] == ". ".join(sizes)


def test_target_masks_only_values_the_source_has() -> None:
    assert mask_target("1. 8 mm nodule, previously 7 mm. 2. 9 mm cyst.", ["7 mm", "8 mm"]) == (
        "1. <n1> nodule, previously <n0>. 2. 9 mm cyst."
    )


def test_decoded_space_before_punctuation_is_dropped() -> None:
    assert unmask(
        "1. <n0> nodule, previously <n1> . 2. Duct measuring <n0> ;", ["8 mm", "7 mm"]
    ) == (
        "1. 8 mm nodule, previously 7 mm. 2. Duct measuring 8 mm;",
        0,
    )


def test_unknown_slot_is_shown_and_counted() -> None:
    assert unmask("<n0> and <n5>", ["4 mm"]) == (f"4 mm and {UNRESOLVED}", 1)


@pytest.fixture(scope="module")
def slot_tokenizer() -> Any:
    tok = build_tokenizer()
    assert not tokenizer_uses_placeholders(tok)
    assert add_placeholder_tokens(tok) == PLACEHOLDER_COUNT
    assert add_placeholder_tokens(tok) == 0
    assert tokenizer_uses_placeholders(tok)
    return tok


def test_preprocess_masks_for_a_slot_tokenizer_only(slot_tokenizer: Any) -> None:
    report = RawReport(b"FINDINGS: Right lower lobe nodule (7 mm). Cyst 2.1 x 1.4 cm.")
    (with_slots,) = Preprocessor(slot_tokenizer).prepare([report])
    assert isinstance(with_slots, PreparedReport)
    assert with_slots.context["measurement_values"] == ["7 mm", "2.1 x 1.4 cm"]
    tokens = slot_tokenizer.convert_ids_to_tokens(with_slots.input_ids)
    assert {"<n0>", "<n1>"} <= set(tokens) and "<n2>" not in tokens
    (plain,) = Preprocessor(build_tokenizer()).prepare([report])
    assert isinstance(plain, PreparedReport) and "measurement_values" not in plain.context


def test_postprocess_puts_values_back_and_flags_unknown_slots(slot_tokenizer: Any) -> None:
    post = slots_only(slot_tokenizer)
    good = slot_tokenizer("<n1> right lower lobe nodule.")["input_ids"]
    bad = slot_tokenizer("<n9> cyst.")["input_ids"]
    context = {"findings": "x", "measurement_values": ["2.1 x 1.4 cm", "7 mm"], "warnings": []}
    first, second = post.finish([(good, dict(context)), (bad, dict(context))])
    assert first.impression == "7 mm right lower lobe nodule." and first.warnings == []
    assert second.impression == f"{UNRESOLVED} cyst."
    assert [w["code"] for w in second.warnings] == ["MEASUREMENT_UNRESOLVED"]
    assert second.warnings[0]["severity"] == "block"


@pytest.mark.parametrize("values", ["7", [7], [None], {"a": "7"}])
def test_context_rejects_malformed_values(values: Any) -> None:
    with pytest.raises(InvalidRequest, match="measurement_values"):
        validate_context({"measurement_values": values})
