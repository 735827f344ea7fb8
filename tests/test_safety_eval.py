"""`impressions check-eval` meets its targets on a modest corpus sample, in one run."""

from __future__ import annotations

import random

import pytest

from python_models.safety.checks import CheckContext
from python_models.safety.evaluate import (
    FP_TARGET,
    INJECTIONS,
    RECALL_TARGET,
    Pair,
    corpus_pairs,
    evaluate,
    main,
)

N, SEED = 400, 11


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    return corpus_pairs(N, seed=SEED, split="test")


def test_recall_and_false_positive_targets(pairs: list[Pair]) -> None:
    result = evaluate(pairs, seed=SEED)
    for name, row in result.rows.items():
        # Pertinent negatives are rare in corpus impressions: fewer negation pairs exist.
        assert row.applicable >= 10, f"too few {name} pairs to measure"
        assert row.rate >= RECALL_TARGET, f"{name}: recall {row.rate:.1%}"
    assert result.fp_rate <= FP_TARGET, f"false positives {result.fp_rate:.1%}"
    assert result.meets_targets()


def test_cli_prints_one_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-n", str(N), "--seed", str(SEED), "--split", "test"]) == 0
    out = capsys.readouterr().out
    assert out.count("| error type |") == 1
    for name in INJECTIONS:
        assert f"| {name} |" in out
    assert "| clean pairs (false positives) |" in out


def test_injectors_change_what_they_claim() -> None:
    pair = Pair(
        "7 mm solid nodule in the right lower lobe. No pneumothorax. Small left effusion.",
        "1. 7 mm right lower lobe nodule. Recommend CT in 6-12 months.\n"
        "2. No pneumothorax.\n3. Small left pleural effusion.",
        CheckContext(exam="CT chest", patient_sex="M", patient_age=60, comparison="None"),
    )
    rng = random.Random(0)
    swapped = INJECTIONS["side swap"][0](pair, rng)
    assert swapped is not None and swapped.impression != pair.impression
    assert swapped.impression.replace("left", "right") == pair.impression.replace("left", "right")
    unit = INJECTIONS["mm<->cm"][0](pair, rng)
    assert unit is not None and "7 cm" in unit.impression
    dropped = INJECTIONS["dropped negation"][0](pair, rng)
    assert dropped is not None and "No pneumothorax" not in dropped.impression
    added = INJECTIONS["critical never reported"][0](pair, rng)
    assert added is not None and added.impression == pair.impression
    assert len(added.findings) > len(pair.findings)
    organ = INJECTIONS["wrong-sex organ"][0](pair, rng)
    assert organ is not None and ("uterus" in organ.impression or "ovary" in organ.impression)
    no_sex = Pair(pair.findings, pair.impression, CheckContext())
    assert INJECTIONS["wrong-sex organ"][0](no_sex, rng) is None
