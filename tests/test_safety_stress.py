"""Adversarial 128 KiB inputs complete and still give the right answer.

Timings are printed by `impressions check-eval --stress`, never asserted here; these tests pin
that the linear-time parsing (bisected scopes, cached searches) reads huge texts the same way
it reads short ones.
"""

from __future__ import annotations

import pytest

from python_models.facts import extract_facts
from python_models.safety import run_checks
from python_models.safety.checks import MAX_SPANS
from python_models.safety.mentions import parse
from python_models.safety.stress import DEFAULT_STRESS_BYTES, adversarial_inputs

SIZE = DEFAULT_STRESS_BYTES


def test_inputs_are_the_advertised_size() -> None:
    inputs = adversarial_inputs(SIZE)
    assert len(inputs) >= 8
    for text in inputs.values():
        assert SIZE - 200 < len(text.encode()) <= SIZE


@pytest.mark.parametrize("name", list(adversarial_inputs(256)))
def test_adversarial_text_agrees_with_itself(name: str) -> None:
    """The same huge text as findings and impression: nothing contradicts, nothing is missing."""
    text = adversarial_inputs(SIZE)[name]
    assert run_checks(text, text) == []


def test_every_repeated_negation_is_negated() -> None:
    text = adversarial_inputs(SIZE)["repeated negations"]  # "no effusion, " repeated
    parsed = parse(text)
    assert len(parsed.findings()) == text.count("effusion")
    assert all(m.negated for m in parsed.findings())
    warnings = run_checks(text, "Small pleural effusion.")
    assert [w["code"] for w in warnings] == ["NEG_FLIP"]


def test_negation_scope_still_ends_at_a_positive_clause_in_a_huge_sentence() -> None:
    text = "no pneumothorax " * 8000 + ", small left effusion"
    facts = extract_facts(text)
    assert facts.negations == ("pneumothorax",)
    assert facts.findings == ("pleural effusion",)
    assert facts.sides == (("pleural effusion", "left"),)


def test_post_negation_in_a_huge_sentence() -> None:
    text = adversarial_inputs(SIZE)["post-negations, no punctuation"]
    assert all(m.negated for m in parse(text).findings())
    assert extract_facts(text).findings == ()


@pytest.mark.parametrize("name", ["side words and findings", "one huge sentence"])
def test_huge_text_has_the_facts_of_a_short_one(name: str) -> None:
    """Side binding and negation are local, so 128 KiB of a pattern reads like 3 repeats."""
    text = adversarial_inputs(SIZE)[name]
    unit = adversarial_inputs(1)[name]
    huge, short = extract_facts(text), extract_facts(unit * 3)
    assert huge.sides == short.sides and huge.sides
    assert (huge.negations, huge.findings) == (short.negations, short.findings)


def test_many_flips_are_counted_but_spans_are_bounded() -> None:
    findings = "no effusion, " * 10000
    impression = "effusion, " * 10000
    (warning,) = [w for w in run_checks(findings, impression) if w["code"] == "NEG_FLIP"]
    assert warning["message"].startswith("10000 ")
    assert len(warning["spans"]) == MAX_SPANS


def test_measurements_in_huge_text() -> None:
    text = adversarial_inputs(SIZE)["repeated measurements"]  # "1.2 x 3.4 x 5 cm nodule, 7 mm, "
    mm = extract_facts(text).measurements
    assert set(mm) == {7.0, 12.0, 34.0, 50.0}
    assert len(mm) == 4 * text.count("nodule")
    chain = adversarial_inputs(SIZE)["one measurement chain"]  # "1 x 2 by 3 to ... cm"
    assert set(extract_facts(chain).measurements) == {10.0, 20.0, 30.0}
    codes = {w["code"] for w in run_checks(text, text.replace("7 mm", "7 cm"))}
    assert "NUM_MISMATCH" in codes


def test_followup_and_recommendation_in_huge_text() -> None:
    nodules = "8 mm solid nodule in the right upper lobe, " * 3000
    assert {w["code"] for w in run_checks(nodules, "8 mm right upper lobe nodule.")} == {
        "FOLLOWUP_MISSING"
    }
    far = "8 mm right upper lobe nodule. CT " + "chest " * 10000 + "in 1 month"
    assert run_checks(nodules, far) == []
    split = "8 mm right upper lobe nodule. CT chest. In 1 month"  # "." breaks "CT ... month"
    assert {w["code"] for w in run_checks(nodules, split)} == {"FOLLOWUP_MISSING"}
