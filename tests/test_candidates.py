"""Candidates: one id row per report (eos-separated), and postprocess keeping the safest one."""

from __future__ import annotations

from typing import Any

import pytest

from export.tiny_model import build_tokenizer
from python_models.candidates import (
    blocking_count,
    choose_candidate,
    join_candidates,
    split_candidates,
)
from python_models.postprocess import Postprocessor
from python_models.safety import run_checks_for_context

EOS, PAD = 1, 0


@pytest.mark.parametrize(
    "candidates",
    [[[5, 6, 7]], [[5, 6], [7, 8, 9], [10]], [[5], [], [6]], [[4, 4, 4], [4]]],
)
def test_candidates_survive_one_row(candidates: list[list[int]]) -> None:
    row = join_candidates(candidates, EOS)
    assert split_candidates(row, EOS, PAD) == candidates
    assert split_candidates(row + [PAD, PAD], EOS, PAD) == candidates  # split() pads rows


def test_a_single_output_row_is_one_candidate() -> None:
    assert split_candidates([5, 6, 7, EOS], EOS, PAD) == [[5, 6, 7]]  # eos at the end
    assert split_candidates([5, 6, 7, EOS, PAD, PAD], EOS, PAD) == [[5, 6, 7]]
    assert split_candidates([], EOS, PAD) == [[]]


def _w(*severities: str) -> list[dict[str, str]]:
    return [{"code": "X", "severity": s} for s in severities]


def test_fewest_blocking_warnings_win_and_ties_keep_model_order() -> None:
    warnings = {"a": _w("block", "block"), "b": _w("warn", "block"), "c": _w("block"), "d": []}
    assert blocking_count(warnings["b"]) == 1
    assert choose_candidate(["a", "b", "c"], warnings.__getitem__) == 1
    assert choose_candidate(["a", "d", "c"], warnings.__getitem__) == 1
    # warn-level warnings do not count: saying less must not win
    assert (
        choose_candidate(
            ["b", "c"], lambda c: _w("warn", "warn", "block") if c == "b" else _w("block")
        )
        == 0
    )


def test_a_single_candidate_is_not_checked() -> None:
    def fail(_: Any) -> list:
        raise AssertionError("checked")

    assert choose_candidate(["only"], fail) == 0


class _NoStyle:
    def apply(self, impression: str, radiologist_id: Any, modality: Any) -> tuple[str, list]:
        return impression, []


def test_postprocess_keeps_the_candidate_the_checks_accept() -> None:
    tokenizer = build_tokenizer()
    post = Postprocessor(tokenizer, _NoStyle(), run_checks_for_context)

    def ids(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    context = {"findings": "Small left pleural effusion. No pneumothorax.", "warnings": []}
    flipped, right = ids("Small right pleural effusion."), ids("Small left pleural effusion.")
    negation_flip = ids("Pneumothorax.")
    eos = tokenizer.eos_token_id
    first, second, single = post.finish(
        [
            (join_candidates([flipped, negation_flip, right], eos), dict(context)),
            (join_candidates([right, flipped], eos), dict(context)),
            (flipped + [eos], dict(context)),
        ]
    )
    assert first.impression == "Small left pleural effusion." and first.candidate == 2
    assert not [w for w in first.warnings if w["severity"] == "block"]
    assert second.impression == "Small left pleural effusion." and second.candidate == 0
    # one candidate: kept as it is, and its problem still reported
    assert single.impression == "Small right pleural effusion." and single.candidate == 0
    assert "LAT_CONTRA" in [w["code"] for w in single.warnings]


def test_all_candidates_flagged_keeps_the_models_first() -> None:
    tokenizer = build_tokenizer()
    post = Postprocessor(tokenizer, _NoStyle(), run_checks_for_context)
    context = {"findings": "Small left pleural effusion.", "warnings": []}
    a = tokenizer("Small right pleural effusion.", add_special_tokens=False)["input_ids"]
    b = tokenizer("Large right pleural effusion.", add_special_tokens=False)["input_ids"]
    (done,) = post.finish([(join_candidates([a, b], tokenizer.eos_token_id), context)])
    assert done.impression == "Small right pleural effusion." and done.candidate == 0
    assert "LAT_CONTRA" in [w["code"] for w in done.warnings]
