"""An ICA stenosis grade is held to the velocities of its side (SRU consensus criteria)."""

from __future__ import annotations

import pytest

from python_models.safety.carotid_grades import MILD, MODERATE, SEVERE, findings_grades
from tests.report_check_helpers import severities as codes

DUPLEX = (
    "Right: Minimal plaque. ICA PSV 92 cm/s, EDV 21 cm/s, ICA/CCA ratio 1.1.\n"
    "Left: Heterogeneous plaque at the bulb. CCA PSV 70 cm/s. ICA PSV 288 cm/s, EDV 104 cm/s, "
    "ICA/CCA ratio 4.9.\n"
    "Vertebral arteries: antegrade flow bilaterally."
)


def test_velocities_grade_each_side() -> None:
    assert findings_grades(DUPLEX) == {"right": MILD, "left": SEVERE}
    headed = "Right ICA:\nPSV 180 cm/s, EDV 40 cm/s.\nLeft ICA: PSV 80 cm/s."
    assert findings_grades(headed) == {"right": MODERATE, "left": MILD}
    # another vessel's velocity grades nothing
    assert findings_grades("Right: CCA PSV 260 cm/s. Plaque in the ICA.") == {}


@pytest.mark.parametrize(
    ("impression", "code"),
    [
        ("1. 70-99% left ICA stenosis.\n2. Less than 50% right ICA stenosis.", None),
        ("Severe (70% or greater) stenosis of the left internal carotid artery.", None),
        ("1. 70% or greater stenosis of the right ICA.\n2. <50% left ICA stenosis.", "LAT_CONTRA"),
        ("Left ICA stenosis of 50-69%.", "NUM_MISMATCH"),
    ],
)
def test_a_stated_grade_is_held_to_its_sides_velocities(impression: str, code: str | None) -> None:
    found = codes(DUPLEX, impression)
    if code is None:
        assert "LAT_CONTRA" not in found and "NUM_MISMATCH" not in found
    else:
        assert code in found
