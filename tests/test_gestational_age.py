"""A gestational age in the impression is held to the ages the findings give."""

from __future__ import annotations

import pytest

from tests.report_check_helpers import severities as codes

FINDINGS = (
    "Single intrauterine gestation. CRL 21.0 mm, corresponding to 8 weeks 5 days. FHR 168 bpm."
)


@pytest.mark.parametrize(
    ("impression", "mismatch"),
    [
        ("Single live intrauterine pregnancy at 8 weeks 5 days by CRL.", False),
        ("Live IUP, 8w5d.", False),
        ("Live IUP at 8+5 weeks.", False),
        ("Live intrauterine pregnancy of 8 weeks' gestation.", False),
        ("Single live intrauterine pregnancy at 9 weeks 5 days by CRL.", True),
        ("Live IUP, 8w1d.", True),
        ("Live intrauterine pregnancy of 9 weeks' gestation.", True),
        # a follow-up interval is no age
        ("Live IUP at 8w5d. Follow-up in 6 weeks.", False),
    ],
)
def test_an_impression_age_must_be_a_findings_age(impression: str, mismatch: bool) -> None:
    assert ("NUM_MISMATCH" in codes(FINDINGS, impression)) is mismatch


def test_no_findings_age_no_judgement() -> None:
    assert "NUM_MISMATCH" not in codes("Single live intrauterine gestation.", "IUP at 10w2d.")
