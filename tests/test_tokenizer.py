"""The demo tokenizer: digits one per token, exact round trips, T5 special ids, loadable files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from export.corpus import generate_cases
from export.tokenizer_train import save_tokenizer, train_tokenizer
from export.train import source_text, target_text

CHECKPOINT = Path(__file__).resolve().parent.parent / "export" / "checkpoints" / "demo"
SAMPLES = [
    "2.4 x 1.8 cm left upper lobe mass.",
    "1. New 17 mm RUL nodule, previously 9 mm. 2. No pneumothorax.",
    "Endotracheal tube tip 4.5 cm above the carina.",
    "Moderate spinal canal stenosis at L4-L5 and L5-S1 (0.6 cm).",
    "Fleischner 2017: CT at 6-12 months, then consider CT at 18-24 months.",
]


@pytest.fixture(scope="module")
def tokenizer():
    cases = generate_cases(300, seed=1, split="train")
    texts = [source_text(c) for c in cases] + [target_text(c) for c in cases]
    return train_tokenizer(texts, vocab_size=800)


def _check_round_trip(tok) -> None:
    for text in SAMPLES:
        ids = tok(text)["input_ids"]
        assert ids[-1] == tok.eos_token_id
        assert tok.decode(ids, skip_special_tokens=True) == text


def _check_digits_split(tok) -> None:
    tokens = tok.tokenize("measuring 1234 mm and 0.56 cm")
    digit_tokens = [t.lstrip("\u2581") for t in tokens if any(ch.isdigit() for ch in t)]
    assert digit_tokens == ["1", "2", "3", "4", "0", "5", "6"]


def test_special_ids_follow_t5(tokenizer) -> None:
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (0, 1, 2)


def test_numbers_round_trip_exactly(tokenizer) -> None:
    _check_round_trip(tokenizer)
    _check_digits_split(tokenizer)


def test_case_is_kept(tokenizer) -> None:
    assert tokenizer.decode(tokenizer("RUL rul Rul")["input_ids"], skip_special_tokens=True) == (
        "RUL rul Rul"
    )


def test_saved_files_load_as_fast_tokenizer(tokenizer, tmp_path) -> None:
    from transformers import PreTrainedTokenizerFast

    save_tokenizer(tokenizer, tmp_path)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    loaded = PreTrainedTokenizerFast.from_pretrained(str(tmp_path))
    assert loaded("6 mm nodule")["input_ids"] == tokenizer("6 mm nodule")["input_ids"]
    _check_round_trip(loaded)


@pytest.mark.skipif(not (CHECKPOINT / "tokenizer.json").exists(), reason="no demo checkpoint")
def test_committed_tokenizer_round_trips() -> None:
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast.from_pretrained(str(CHECKPOINT))
    assert (tok.pad_token_id, tok.eos_token_id) == (0, 1)
    _check_round_trip(tok)
    _check_digits_split(tok)
