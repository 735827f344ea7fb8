"""Bilateral merge: one finding stated left and right becomes one bilateral item."""

from __future__ import annotations

from typing import Any

import pytest

from export.tiny_model import build_tokenizer
from python_models import bilateral_merge
from python_models.bilateral_merge import merge_bilateral, plural
from python_models.postprocess import Postprocessor
from python_models.safety import checker_for_context, run_checks
from tests.postprocess_helpers import NoStyle, finish


@pytest.mark.parametrize(
    ("noun", "out"),
    [
        ("pleural effusion", "pleural effusions"),
        ("hydronephrosis", "hydronephrosis"),
        ("ground-glass opacities", "ground-glass opacities"),
        ("pneumothorax", "pneumothoraces"),
        ("hypodensity", "hypodensities"),
        ("calculi", "calculi"),
        ("emphysema", "emphysema"),
        ("subdural hematoma", "subdural hematomas"),
    ],
)
def test_plural_of_a_finding_noun(noun: str, out: str) -> None:
    assert plural(noun) == out


def test_a_left_and_a_right_item_become_one_bilateral_item_in_the_first_ones_place() -> None:
    text = (
        "1. Large left pleural effusion. 2. Endotracheal tube tip 5.1 cm above the carina. "
        "3. Large right pleural effusion."
    )
    done = merge_bilateral(text)
    assert done.merged == 1
    assert done.impression == (
        "1. Large bilateral pleural effusions. 2. Endotracheal tube tip 5.1 cm above the carina."
    )
    findings = "Large right pleural effusion. Large left pleural effusion. ETT 5.1 cm above carina."
    assert not [w for w in run_checks(findings, done.impression) if w["code"] == "LAT_CONTRA"]


def test_capitalised_side_and_an_uncountable_finding() -> None:
    done = merge_bilateral("1. Severe left hydronephrosis. 2. Severe right hydronephrosis.")
    assert done.impression == "Severe bilateral hydronephrosis."
    done = merge_bilateral("1. Right ground-glass opacities. 2. Left ground-glass opacities.")
    assert done.impression == "Bilateral ground-glass opacities."


@pytest.mark.parametrize(
    "text",
    [
        "1. Small left pneumothorax. 2. Moderate right pneumothorax.",  # severities differ
        "1. 3 mm left lower lobe nodule. 2. 3 mm right lower lobe nodule.",  # sizes stay apart
        "1. New moderate left hydronephrosis. 2. Moderate right hydronephrosis.",
        "1. Left pleural effusion. 2. Left pleural effusion.",  # same side: not a pair
        "1. No left pneumothorax. 2. No right pneumothorax.",  # negatives are not merged
        "1. Left pleural effusion. Recommend follow-up. 2. Right pleural effusion.",
        "Moderate left pleural effusion.",
    ],
)
def test_items_that_differ_in_more_than_the_side_stay_as_they_are(text: str) -> None:
    assert merge_bilateral(text) == bilateral_merge.MergeResult(text, 0)


FINDINGS = "Pleura: There is a moderate right pleural effusion. Moderate left pleural effusion."
MODEL = "1. Moderate left pleural effusion. 2. Moderate right pleural effusion."


def test_postprocess_merges_with_a_warn_level_warning_and_the_switch_turns_it_off() -> None:
    tokenizer = build_tokenizer()
    post = Postprocessor(tokenizer, NoStyle(), checker_for_context)
    done = finish(post, MODEL, FINDINGS)
    assert done.impression == "Moderate bilateral pleural effusions."
    (merged,) = [w for w in done.warnings if w["code"] == "SIDES_MERGED"]
    assert merged["severity"] == "warn" and "effusion" not in merged["message"]
    assert not [w for w in done.warnings if w["severity"] == "block"]
    off = Postprocessor(tokenizer, NoStyle(), checker_for_context, merge_bilateral=False)
    assert finish(off, MODEL, FINDINGS).impression == MODEL


def test_a_failing_merge_keeps_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(bilateral_merge, "merge_bilateral", broken)
    post = Postprocessor(build_tokenizer(), NoStyle(), checker_for_context)
    done = finish(post, MODEL, FINDINGS)
    assert done.impression == MODEL
    assert "SIDES_MERGED" not in {w["code"] for w in done.warnings}


@pytest.mark.parametrize(
    "text",
    [
        "1. Two right rib fractures. 2. Two left rib fractures.",  # counts would halve
        "1. Single right renal cyst. 2. Single left renal cyst.",
        "1. A right renal cyst. 2. A left renal cyst.",
        "1. Right hepatic lobe lesion. 2. Left hepatic lobe lesion.",  # one organ
        "1. Subdural hematoma on the right. 2. Subdural hematoma on the left.",
        "1. Right-sided pleural effusion. 2. Left-sided pleural effusion.",
        "1. Right pleural effusion is seen. 2. Left pleural effusion is seen.",
        "1. Right PICC tip in the SVC. 2. Left PICC tip in the SVC.",
    ],
)
def test_no_merge_where_bilateral_would_change_a_count_an_organ_or_the_grammar(
    text: str,
) -> None:
    assert merge_bilateral(text).merged == 0


@pytest.mark.parametrize(
    ("noun", "out"),
    [("breast mass", "breast masses"), ("abscess", "abscesses"), ("calculus", "calculi")],
)
def test_plural_of_nouns_ending_in_s(noun: str, out: str) -> None:
    assert plural(noun) == out
