"""NEG_FLIP for a denial of what the findings show under another name: a member of a generic
term, or the specific signs of a diagnosis."""

from __future__ import annotations

import pytest

from python_models.safety import run_checks
from python_models.safety.checks import CheckContext


def codes(findings: str, impression: str, exam: str) -> set[str]:
    return {w["code"] for w in run_checks(findings, impression, CheckContext(exam=exam))}


@pytest.mark.parametrize(
    ("findings", "impression", "exam"),
    [
        (
            "Thin left subdural hematoma along the convexity.",
            "No intracranial hemorrhage.",
            "CT head",
        ),
        ("Focus of restricted diffusion in the right thalamus.", "No acute infarct.", "MRI brain"),
        (
            "Gallbladder wall thickening with pericholecystic fluid and gallstones.",
            "No cholecystitis. Cholelithiasis.",
            "US RUQ",
        ),
    ],
)
def test_a_denial_of_what_the_findings_show_under_another_name_flips(
    findings: str, impression: str, exam: str
) -> None:
    assert "NEG_FLIP" in codes(findings, impression, exam)


@pytest.mark.parametrize(
    ("findings", "impression", "exam"),
    [
        (
            "Superficial venous thrombosis of the right great saphenous vein.",
            "1. Superficial venous thrombosis of the right great saphenous vein. "
            "2. No deep venous thrombosis in the right lower extremity.",
            "US venous duplex right leg",
        ),
        (
            "Right lower lobe consolidation, likely atelectasis.",
            "Atelectasis. No pneumonia.",
            "XR chest",
        ),
        (
            "Left subdural hematoma.",
            "Left subdural hematoma. No hemorrhage on the right.",
            "CT head",
        ),
    ],
)
def test_no_flip_for_a_sibling_a_nonspecific_sign_or_the_other_side(
    findings: str, impression: str, exam: str
) -> None:
    assert "NEG_FLIP" not in codes(findings, impression, exam)
