"""The dictation habits of the synthetic corpus (export/corpus_dictation.py)."""

from __future__ import annotations

import random
import re

import pytest

from export.corpus import generate_cases
from export.corpus_catalog_more import MORE_EXAMS
from export.corpus_dictation import (
    DEID,
    copy_unseen_word,
    deidentify_normal,
    hedge_normal,
    shorthand_normal,
)
from export.train import training_pair


def test_no_dictation_gives_the_plain_corpus_case_for_case() -> None:
    plain = generate_cases(200, seed=3, split="test")
    assert generate_cases(200, seed=3, split="test", dictation=0.0) == plain
    mixed = generate_cases(200, seed=3, split="test", dictation=0.4)
    kept = sum(a == b for a, b in zip(plain, mixed, strict=True))
    # the cases not drawn for dictation are the plain ones, exactly
    assert 80 <= kept < 200


def test_dictation_share_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="dictation"):
        generate_cases(1, dictation=1.5)


def test_dictated_cases_draw_the_new_exams_and_plain_ones_never_do() -> None:
    dictated = generate_cases(600, seed=1, split="train", dictation=1.0)
    plain = generate_cases(600, seed=1, split="train")
    assert {c["exam_key"] for c in dictated} & set(MORE_EXAMS)
    assert not {c["exam_key"] for c in plain} & set(MORE_EXAMS)


def test_header_lines_inside_the_findings_never_reach_the_model() -> None:
    cases = generate_cases(400, seed=2, split="train", dictation=1.0)
    with_headers = [
        c for c in cases if re.search(r"^(Technique|Comparison):", c["findings_text"], re.M)
    ]
    assert with_headers
    for case in with_headers:
        source, _ = training_pair(case)
        assert "Technique:" not in source and "Comparison:" not in source
        assert source.strip()


def test_a_made_up_word_is_copied_from_the_findings_into_the_impression() -> None:
    # "nodule" is the one word the impression copies that may be swapped ("right" never is)
    lines = ["Lungs: There is a 6 mm nodule in the right lung.", "Pleura: No effusion."]
    case = {"impression": "6 mm right nodule.", "impression_items": ["6 mm right nodule."]}
    new_lines, new_case = copy_unseen_word(lines, case, random.Random(0))
    (made_up,) = set(re.findall(r"[a-z]+", new_case["impression"].lower())) - {"mm", "right"}
    assert made_up != "nodule"
    assert made_up in new_lines[0].lower()
    assert "nodule" not in new_case["impression"].lower()
    assert new_case["impression_items"] == [new_case["impression"]]
    assert "right" in new_case["impression"]  # sides are never swapped


def test_normal_statements_stay_denials() -> None:
    assert hedge_normal("No focal consolidation.") == "No definite focal consolidation."
    assert hedge_normal("There is a mass.") == "There is a mass."
    assert shorthand_normal("No pleural effusion or pneumothorax.") == "No effusion or PTX."
    assert shorthand_normal("Small left pneumothorax.") == "Small left pneumothorax."
    rng = random.Random(4)
    for _ in range(50):
        out = deidentify_normal("No pleural effusion or pneumothorax.", rng)
        assert out.startswith("No ")
        assert out.count(DEID) <= 1
    abnormal = "There is a small left pleural effusion."
    assert all(deidentify_normal(abnormal, rng) == abnormal for _ in range(20))


def test_corpus_command_writes_dictated_cases_and_refuses_a_bad_share(tmp_path, capsys) -> None:
    from export.corpus_cmd import main

    out = tmp_path / "cases.jsonl"
    assert main(["--n", "40", "--dictation", "1", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 40
    assert main(["--n", "1", "--dictation", "2", "--out", str(out)]) == 2
    assert "--dictation" in capsys.readouterr().err
