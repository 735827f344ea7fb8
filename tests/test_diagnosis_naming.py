"""Diagnosis naming: the diagnosis the findings' signs state leads the impression."""

from __future__ import annotations

import pytest

from python_models.diagnosis_naming import name_diagnoses
from python_models.reading.doc import read_report


def named(impression: str, findings: str, exam: str = "CT abdomen pelvis") -> str:
    return name_diagnoses(impression, read_report(findings, exam)).impression


def test_signs_of_appendicitis_name_it_first() -> None:
    findings = "The appendix is dilated to 11 mm with periappendiceal fat stranding. No free air."
    out = named("Dilated appendix with periappendiceal fat stranding.", findings)
    assert out.startswith("1. Findings consistent with acute appendicitis.")
    assert "2. Dilated appendix with periappendiceal fat stranding." in out


@pytest.mark.parametrize(
    ("findings", "exam", "name"),
    [
        (
            "Dilated small bowel loops with a transition point in the pelvis.",
            "CT abdomen",
            "small bowel obstruction",
        ),
        (
            "Enlarged right ovary with a whirlpool sign of the pedicle.",
            "US pelvis",
            "ovarian torsion",
        ),
        ("Restricted diffusion in the left MCA territory.", "MRI brain", "acute infarct"),
        ("Intimal flap in the descending thoracic aorta.", "CTA chest", "aortic dissection"),
    ],
)
def test_the_name_follows_the_organ_of_the_signs(findings: str, exam: str, name: str) -> None:
    assert f"Findings consistent with {name}." in named("Abnormal study.", findings, exam)


@pytest.mark.parametrize(
    "findings",
    [
        "No transition point. Normal caliber bowel.",  # the sign denied
        "Possible periappendiceal stranding.",  # hedged
        "Patchy consolidation in the right lower lobe.",  # pneumonia or atelectasis: not named
        "Periappendiceal stranding. No evidence of appendicitis.",  # the diagnosis denied
    ],
)
def test_nothing_is_named_without_an_affirmed_specific_sign(findings: str) -> None:
    impression = "1. Finding. 2. Another finding."
    assert name_diagnoses(impression, read_report(findings, "CT abdomen")).named == []


def test_a_named_diagnosis_is_not_named_twice() -> None:
    findings = "Dilated appendix with periappendiceal stranding."
    done = name_diagnoses("Acute appendicitis.", read_report(findings, "CT abdomen"))
    assert done.named == [] and done.impression == "Acute appendicitis."
