"""Facts: equal for the same clinical content however it is formatted, different otherwise."""

from __future__ import annotations

import pytest

from python_models.facts import Facts, extract_facts

NUMBERED = "1. Right lower lobe nodule measuring 1.2 cm.\n2. No pneumothorax or effusion."
SAME_FACTS = [
    "Right lower lobe nodule measuring 12 mm. No pneumothorax or pleural effusion.",
    "- RIGHT LOWER LOBE NODULE MEASURING 12 MM\n- NO PNEUMOTHORAX OR EFFUSION",
    "1) right lower lobe nodule, 1.2 centimeters\n2) no PTX or pleural effusion",
    "* Right lower lobe nodule measuring 12 millimeters.\n* No pneumothorax. No effusion.",
]
DIFFERENT_FACTS = [
    "1. Left lower lobe nodule measuring 1.2 cm.\n2. No pneumothorax or effusion.",
    "1. Right lower lobe nodule measuring 1.2 mm.\n2. No pneumothorax or effusion.",
    "1. Right lower lobe nodule measuring 1.3 cm.\n2. No pneumothorax or effusion.",
    "1. Right lower lobe nodule measuring 1.2 cm.\n2. Pneumothorax. No effusion.",
    "1. Right lower lobe nodule measuring 1.2 cm.\n2. No pneumothorax.",
    "1. Right lower lobe nodule measuring 1.2 cm.",
]


@pytest.mark.parametrize("text", SAME_FACTS)
def test_formatting_does_not_change_facts(text: str) -> None:
    assert extract_facts(text) == extract_facts(NUMBERED)


@pytest.mark.parametrize("text", DIFFERENT_FACTS)
def test_clinical_changes_change_facts(text: str) -> None:
    assert extract_facts(text) != extract_facts(NUMBERED)


def test_fields_of_a_numbered_impression() -> None:
    facts = extract_facts(NUMBERED)
    assert facts.measurements == (12.0,)
    assert ("nodule", "right") in facts.sides
    assert facts.negations == ("pleural effusion", "pneumothorax")
    assert facts.findings == ("nodule",)


def test_facts_are_frozen_and_hashable() -> None:
    facts = extract_facts(NUMBERED)
    assert {facts: 1}[extract_facts(SAME_FACTS[0])] == 1
    with pytest.raises(AttributeError):
        facts.measurements = ()  # type: ignore[misc]


def test_dimensions_and_ranges_take_the_trailing_unit() -> None:
    assert extract_facts("Mass 1.2 x 0.8 x 3 cm.").measurements == (8.0, 12.0, 30.0)
    assert extract_facts("Nodes 5-7 mm.").measurements == (5.0, 7.0)
    assert extract_facts("Stone 4mm and 1.5-cm cyst.").measurements == (4.0, 15.0)
    assert extract_facts("Follow-up in 3 months.").measurements == ()


def test_negation_scope_ends_at_a_new_positive_clause() -> None:
    facts = extract_facts("No pneumothorax, small left effusion.")
    assert facts.negations == ("pneumothorax",)
    assert facts.findings == ("pleural effusion",)
    assert facts.sides == (("pleural effusion", "left"),)


def test_negation_covers_a_list_and_post_cues() -> None:
    facts = extract_facts("No focal consolidation, pleural effusion, or pneumothorax.")
    assert facts.negations == ("consolidation", "pleural effusion", "pneumothorax")
    assert extract_facts("Pneumothorax is not seen.").negations == ("pneumothorax",)
    assert extract_facts("PTX has resolved.").negations == ("pneumothorax",)
    assert extract_facts("Pneumothorax cannot be excluded.").negations == ()
    assert extract_facts("No change in the left effusion.").negations == ()


def test_sides_bind_to_what_they_modify() -> None:
    facts = extract_facts("Pneumothorax on the right and effusion on the left.")
    assert facts.sides == (("pleural effusion", "left"), ("pneumothorax", "right"))
    both = extract_facts("Small pleural effusions bilaterally.")
    assert both.sides == (("pleural effusion", "bilateral"),)
    assert extract_facts("Left and right pleural effusions.").sides == both.sides


def test_empty_text_has_no_facts() -> None:
    assert extract_facts("") == Facts()
