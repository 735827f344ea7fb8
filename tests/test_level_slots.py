"""Spinal levels as copy slots (<lK>): masking, training pairs, and the pre/postprocess wiring."""

from __future__ import annotations

from typing import Any

import pytest

from export.corpus import generate_cases
from export.tiny_model import build_tokenizer
from export.tokenizer_train import add_placeholder_tokens
from export.train import plain_source_text, plain_target_text, training_pair
from python_models.measurement_placeholders import (
    LEVELS,
    MEASUREMENTS,
    UNRESOLVED,
    mask_slots,
    mask_target,
    slot_kinds_of,
    unmask,
)
from python_models.postprocess import validate_context
from python_models.preprocess import PreparedReport, Preprocessor, RawReport
from python_models.request_fields import InvalidRequest
from tests.postprocess_helpers import slots_only


def test_levels_and_measurements_get_their_own_slots() -> None:
    text = "Acute L2 compression fracture. Protrusion at L4-5 (6 mm). T2 hyperintense cord at L2."
    masked, values = mask_slots(text, (MEASUREMENTS, LEVELS))
    assert values == {"measurement_values": ["6 mm"], "level_values": ["L2", "L4-L5"]}
    assert masked == (
        "Acute <l0> compression fracture. Protrusion at <l1> (<n0>). T2 hyperintense cord at <l0>."
    )
    text_back, unresolved = unmask(
        unmask(masked, values["measurement_values"])[0], ["L2", "L4-L5"], LEVELS
    )
    assert unresolved == 0 and text_back == text.replace("L4-5", "L4-L5")


def test_typed_slots_are_defused_and_unknown_level_slots_are_flagged() -> None:
    masked, values = mask_slots("Literal <l0> and <n1>. Fracture of T11.", (MEASUREMENTS, LEVELS))
    assert masked == "Literal < l0> and < n1>. Fracture of <l0>."
    assert values["level_values"] == ["T11"]
    assert unmask("<l0> and <l3>", ["T11"], LEVELS) == (f"T11 and {UNRESOLVED}", 1)


def test_a_target_level_the_findings_lack_stays_text() -> None:
    values = {"measurement_values": ["4 mm"], "level_values": ["L4-L5"]}
    target = mask_target("1. Protrusion at L4-L5 (4 mm). 2. Old L1 fracture.", values)
    assert target == "1. Protrusion at <l0> (<n0>). 2. Old L1 fracture."


def test_training_pairs_with_level_slots_round_trip() -> None:
    cases = [c for c in generate_cases(400, 3, "train") if "L4-L5" in c["impression"]][:20]
    assert cases
    for case in cases:
        source, target = training_pair(case, kinds=(MEASUREMENTS, LEVELS))
        assert "<l" in source and "L4-L5" not in target
        _, values = mask_slots(plain_source_text(case), (MEASUREMENTS, LEVELS))
        back = unmask(target, values["measurement_values"])[0]
        assert unmask(back, values["level_values"], LEVELS) == (plain_target_text(case), 0)


@pytest.fixture(scope="module")
def level_tokenizer() -> Any:
    tok = build_tokenizer()
    add_placeholder_tokens(tok)
    assert slot_kinds_of(tok) == (MEASUREMENTS,)
    assert add_placeholder_tokens(tok, LEVELS) == LEVELS.count
    assert slot_kinds_of(tok) == (MEASUREMENTS, LEVELS)
    return tok


def test_preprocess_sends_levels_to_postprocess_which_puts_them_back(level_tokenizer: Any) -> None:
    report = RawReport(b"FINDINGS: Acute compression fracture of L3. Disc bulge at L4-5.")
    (done,) = Preprocessor(level_tokenizer).prepare([report])
    assert isinstance(done, PreparedReport)
    assert done.context["level_values"] == ["L3", "L4-L5"]
    assert {"<l0>", "<l1>"} <= set(level_tokenizer.convert_ids_to_tokens(done.input_ids))
    post = slots_only(level_tokenizer)
    good = level_tokenizer("Acute <l0> compression fracture.")["input_ids"]
    bad = level_tokenizer("Acute <l5> compression fracture.")["input_ids"]
    first, second = post.finish([(good, dict(done.context)), (bad, dict(done.context))])
    assert first.impression == "Acute L3 compression fracture."
    assert [w["code"] for w in second.warnings] == ["LEVEL_UNRESOLVED"]
    assert second.warnings[0]["severity"] == "block" and UNRESOLVED in second.impression


def test_context_rejects_malformed_level_values() -> None:
    with pytest.raises(InvalidRequest, match="level_values"):
        validate_context({"level_values": "L4-L5"})


def test_new_level_slots_start_from_the_measurement_slots(level_tokenizer: Any) -> None:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    from export.train import seed_slot_embeddings

    torch.manual_seed(0)
    model = T5ForConditionalGeneration(
        T5Config(
            vocab_size=len(level_tokenizer),
            d_model=32,
            d_kv=8,
            d_ff=64,
            num_layers=1,
            num_heads=4,
            decoder_start_token_id=0,
        )
    )
    assert seed_slot_embeddings(model, level_tokenizer, torch) == LEVELS.count
    weight, vocab = model.get_input_embeddings().weight, level_tokenizer.get_vocab()
    for k in range(LEVELS.count):
        level, measure = weight[vocab[LEVELS.slot(k)]], weight[vocab[MEASUREMENTS.slot(k)]]
        assert torch.cosine_similarity(level, measure, dim=0) > 0.9
        assert not torch.equal(level, measure)  # a little apart, so the two kinds can part
    assert seed_slot_embeddings(model, build_tokenizer(), torch) == 0  # no level slots: nothing
