"""Candidates: one id row per report (eos-separated), and postprocess keeping the safest one."""

from __future__ import annotations

from typing import Any

import pytest

from export.tiny_model import build_tokenizer
from python_models.candidates import (
    MAX_CANDIDATES,
    Assessment,
    blocking_count,
    check_separator,
    choose_candidate,
    join_candidates,
    keeps_supported,
    split_candidates,
    supported_count,
)
from python_models.facts import extract_facts
from python_models.postprocess import Postprocessor, validate_ids
from python_models.request_fields import InvalidRequest
from python_models.safety import checker_for_context
from tests.postprocess_helpers import NoStyle

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


def test_padding_never_makes_candidates_even_when_pad_is_eos() -> None:
    assert split_candidates([2, 5, EOS, EOS, EOS], EOS, EOS) == [[2, 5]]
    assert split_candidates([2, 5, EOS, 6, EOS, EOS], EOS, EOS) == [[2, 5], [6]]


def _w(*severities: str) -> list[dict[str, str]]:
    return [{"code": "X", "severity": s} for s in severities]


def _a(blocking: int, *, empty: bool = False, keeps: bool = True) -> Assessment:
    return Assessment(empty=empty, blocking=blocking, keeps_first=keeps)


def test_fewest_blocking_warnings_win_and_ties_keep_model_order() -> None:
    assert blocking_count(_w("warn", "block", "warn")) == 1
    assert choose_candidate([_a(2), _a(1), _a(1)]) == 1
    assert choose_candidate([_a(2), _a(0), _a(0)]) == 1
    assert choose_candidate([_a(0), _a(0)]) == 0
    assert choose_candidate([_a(1)]) == 0


def test_a_candidate_that_drops_what_the_first_got_right_cannot_win() -> None:
    assert choose_candidate([_a(1), _a(0, keeps=False)]) == 0
    assert choose_candidate([_a(1), _a(0, keeps=False), _a(0)]) == 2


def test_an_empty_candidate_wins_only_when_all_are_empty() -> None:
    assert choose_candidate([_a(3), _a(0, empty=True), _a(3)]) == 0
    assert choose_candidate([_a(0, empty=True), _a(2)]) == 1
    assert choose_candidate([_a(0, empty=True), _a(0, empty=True)]) == 0


def test_keeps_supported_compares_only_what_the_findings_state() -> None:
    findings = extract_facts("Small left pleural effusion. 7 mm nodule in the right upper lobe.")
    first = extract_facts("Small right pleural effusion. 7 mm right upper lobe nodule.")
    assert keeps_supported(
        first, extract_facts("Small left pleural effusion. 7 mm nodule."), findings
    )
    assert not keeps_supported(first, extract_facts("7 mm right upper lobe nodule."), findings)
    assert not keeps_supported(first, extract_facts("Left pleural effusion. Nodule."), findings)
    hallucinated = extract_facts("Pneumothorax. Small left pleural effusion. 7 mm nodule.")
    assert keeps_supported(
        hallucinated, extract_facts("Small left pleural effusion. 7 mm nodule."), findings
    )


def test_postprocess_keeps_the_candidate_the_checks_accept() -> None:
    tokenizer = build_tokenizer()
    post = Postprocessor(
        tokenizer, NoStyle(), checker_for_context, ground_items=False, hold_to_findings=False
    )

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
    (replaced,) = [w for w in first.warnings if w["code"] == "CANDIDATE_REPLACED"]
    assert replaced["severity"] == "warn" and "candidate 3 of 3" in replaced["message"]
    assert second.impression == "Small left pleural effusion." and second.candidate == 0
    # one candidate: kept as it is, and its problem still reported
    assert single.impression == "Small right pleural effusion." and single.candidate == 0
    assert "LAT_CONTRA" in [w["code"] for w in single.warnings]


def test_all_candidates_flagged_keeps_the_models_first() -> None:
    tokenizer = build_tokenizer()
    post = Postprocessor(
        tokenizer, NoStyle(), checker_for_context, ground_items=False, hold_to_findings=False
    )
    context = {"findings": "Small left pleural effusion.", "warnings": []}
    a = tokenizer("Small right pleural effusion.", add_special_tokens=False)["input_ids"]
    b = tokenizer("Large right pleural effusion.", add_special_tokens=False)["input_ids"]
    (done,) = post.finish([(join_candidates([a, b], tokenizer.eos_token_id), context)])
    assert done.impression == "Small right pleural effusion." and done.candidate == 0
    assert "LAT_CONTRA" in [w["code"] for w in done.warnings]


def test_a_fix_is_never_bought_by_leaving_a_finding_out() -> None:
    """The review case: the second beam fixes the side by dropping the effusion altogether;
    the first (flagged) is served, so the radiologist still sees the problem."""
    tokenizer = build_tokenizer()
    post = Postprocessor(
        tokenizer, NoStyle(), checker_for_context, ground_items=False, hold_to_findings=False
    )
    context = {"findings": "Small left pleural effusion. No pneumothorax.", "warnings": []}
    flipped = tokenizer("Small right pleural effusion. No pneumothorax.", add_special_tokens=False)
    dropped = tokenizer("No pneumothorax.", add_special_tokens=False)
    row = join_candidates([flipped["input_ids"], dropped["input_ids"]], tokenizer.eos_token_id)
    (done,) = post.finish([(row, context)])
    assert done.candidate == 0 and done.impression.startswith("Small right pleural effusion")
    assert "LAT_CONTRA" in [w["code"] for w in done.warnings]


def test_direct_callers_cannot_send_unbounded_candidates() -> None:
    many = join_candidates([[5]] * (MAX_CANDIDATES + 1), EOS)
    with pytest.raises(InvalidRequest, match="candidates"):
        validate_ids(many, 100, EOS, PAD)
    assert validate_ids(join_candidates([[5]] * MAX_CANDIDATES, EOS), 100, EOS, PAD)
    assert validate_ids(many, 100) == many  # a tokenizer without eos: one candidate


def test_generator_and_tokenizer_must_agree_on_the_separator() -> None:
    check_separator(1, 1)
    with pytest.raises(ValueError, match="num_candidates"):
        check_separator(None, 1)
    with pytest.raises(ValueError, match="eos"):
        check_separator(2, 1)


def test_findings_are_prepared_once_per_report_for_all_candidates() -> None:
    """Every candidate and the styled answer are checked against one parse of the findings."""
    tokenizer = build_tokenizer()
    prepared: list[str] = []
    checked: list[str] = []

    def counting_checker(findings: str, context: dict) -> Any:
        prepared.append(findings)
        check = checker_for_context(findings, context)

        def run(impression: str) -> list:
            checked.append(impression)
            return check(impression)

        return run

    post = Postprocessor(
        tokenizer, NoStyle(), counting_checker, ground_items=False, hold_to_findings=False
    )
    context = {"findings": "Small left pleural effusion.", "warnings": []}
    cands = [
        tokenizer(t, add_special_tokens=False)["input_ids"]
        for t in ("Small right pleural effusion.", "Large left pleural effusion.", "Effusion.")
    ]
    row = join_candidates(cands, tokenizer.eos_token_id)
    post.finish([(row, dict(context)), (row, dict(context))])
    assert len(prepared) == 2  # one per report, not one per candidate
    assert len(checked) == 2 * (3 + 1)  # three candidates and the styled answer, per report


def test_a_checker_that_fails_gives_check_error_per_item_not_a_failed_batch() -> None:
    tokenizer = build_tokenizer()

    def broken_checker(findings: str, context: dict) -> Any:
        if "effusion" in findings:
            raise ValueError("cannot parse")
        return checker_for_context(findings, context)

    post = Postprocessor(
        tokenizer, NoStyle(), broken_checker, ground_items=False, hold_to_findings=False
    )
    ids = tokenizer("Small left pleural effusion.", add_special_tokens=False)["input_ids"]
    row = join_candidates([ids, ids], tokenizer.eos_token_id)
    bad, good = post.finish(
        [
            (row, {"findings": "Small left pleural effusion.", "warnings": []}),
            (row, {"findings": "Normal study.", "warnings": []}),
        ]
    )
    assert bad.impression == "Small left pleural effusion." and bad.candidate == 0
    assert [w["code"] for w in bad.warnings if w["severity"] == "block"] == ["CHECK_ERROR"]
    assert "CHECK_ERROR" not in [w["code"] for w in good.warnings]


def test_equally_safe_candidates_prefer_the_one_inventing_less() -> None:
    assert choose_candidate([_a(0), Assessment(False, 0, True, ungrounded=0)]) == 0
    first_invents = Assessment(False, 0, True, ungrounded=1)
    assert choose_candidate([first_invents, _a(0)]) == 1
    assert choose_candidate([first_invents, _a(0, keeps=False)]) == 0  # never by omission
    assert choose_candidate([_a(0), Assessment(False, 1, True, ungrounded=0)]) == 0


def test_postprocess_drops_an_invented_finding_when_a_candidate_without_it_exists() -> None:
    tokenizer = build_tokenizer()
    post = Postprocessor(
        tokenizer, NoStyle(), checker_for_context, ground_items=False, hold_to_findings=False
    )
    context = {"findings": "Small left pleural effusion.", "warnings": []}
    invented = tokenizer(
        "Small left pleural effusion. Right hilar lymphadenopathy.", add_special_tokens=False
    )["input_ids"]
    plain = tokenizer("Small left pleural effusion.", add_special_tokens=False)["input_ids"]
    (done,) = post.finish([(join_candidates([invented, plain], tokenizer.eos_token_id), context)])
    assert done.impression == "Small left pleural effusion." and done.candidate == 1
    (replaced,) = [w for w in done.warnings if w["code"] == "CANDIDATE_REPLACED"]
    assert "1 finding(s) the findings do not mention" in replaced["message"]


def test_among_equally_safe_candidates_the_one_leaving_less_out_wins() -> None:
    assert (
        supported_count(
            extract_facts("Small left pleural effusion. 7 mm right upper lobe nodule."),
            extract_facts("Small left pleural effusion. A 7 mm nodule in the right upper lobe."),
        )
        == 3
    )  # two findings and one measurement
    full = Assessment(empty=False, blocking=0, keeps_first=True, supported=3)
    short = Assessment(empty=False, blocking=0, keeps_first=True, supported=1)
    assert choose_candidate([short, full]) == 1
    invented = Assessment(empty=False, blocking=0, keeps_first=True, ungrounded=1, supported=3)
    assert choose_candidate([short, invented]) == 0  # inventing outweighs covering
    unsafe = Assessment(empty=False, blocking=1, keeps_first=True, supported=3)
    assert choose_candidate([short, unsafe]) == 0


def test_postprocess_serves_the_beam_that_keeps_the_finding_the_first_left_out() -> None:
    tokenizer = build_tokenizer()
    post = Postprocessor(
        tokenizer, NoStyle(), checker_for_context, ground_items=False, hold_to_findings=False
    )
    context = {"findings": "Small left pleural effusion. Mild cardiomegaly.", "warnings": []}
    short = tokenizer("Small left pleural effusion.", add_special_tokens=False)["input_ids"]
    full = tokenizer(
        "1. Small left pleural effusion. 2. Mild cardiomegaly.", add_special_tokens=False
    )["input_ids"]
    (done,) = post.finish([(join_candidates([short, full], tokenizer.eos_token_id), context)])
    assert done.candidate == 1 and "cardiomegaly" in done.impression
    (replaced,) = [w for w in done.warnings if w["code"] == "CANDIDATE_REPLACED"]
    assert "candidate 2 of 2" in replaced["message"]
