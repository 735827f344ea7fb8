"""A spinal level is a place (`python_models.safety.level_checks`): each impression clause at a
level is held to what the findings say at that level."""

from __future__ import annotations

from python_models.safety.level_checks import check_levels
from python_models.safety.mentions import parse
from tests.report_check_helpers import severities as codes

LUMBAR = """L2-L3: No disc herniation or stenosis.
L3-L4: Mild disc bulge. No significant canal stenosis.
L4-L5: Disc bulge and facet hypertrophy causing moderate canal stenosis.
L5-S1: Small central protrusion. No stenosis."""


def test_a_finding_affirmed_at_a_level_the_findings_deny_it_at_is_a_flip() -> None:
    # stenosis is affirmed at L4-L5, so a polarity per finding alone would let this pass
    found = codes(LUMBAR, "1. Moderate L4-5 canal stenosis.\n2. Severe canal stenosis at L3-L4.")
    assert found.get("NEG_FLIP") == "block"


def test_a_lesser_degree_than_a_narrowed_denial_at_the_level_is_no_flip() -> None:
    # "no significant stenosis" leaves a mild one alone
    assert codes(LUMBAR, "Moderate L4-L5 canal stenosis. Mild canal stenosis at L3-L4.") == {}


def test_statements_at_their_own_levels_pass_whatever_the_spelling() -> None:
    impression = "1. Moderate L4-5 canal stenosis.\n2. No stenosis at L5-S1 or L2-3."
    assert codes(LUMBAR, impression) == {}


def test_a_finding_at_a_level_the_findings_never_name_is_ungrounded() -> None:
    found = codes(LUMBAR, "Moderate L4-L5 canal stenosis. Schmorl node at L1.")
    assert found.get("UNGROUNDED") == "warn"
    assert "NEG_FLIP" not in found


def test_a_finding_at_a_level_whose_findings_share_none_of_its_words_is_ungrounded() -> None:
    findings = "L2-L3: Right foraminal disc protrusion.\nL3-L4: Normal disc. No stenosis."
    found = check_levels(parse(findings), parse("1. Moderate canal stenosis at L2-L3."))
    assert found["UNGROUNDED"] and not found["NEG_FLIP"]
    assert check_levels(parse(findings), parse("Right foraminal protrusion at L2-3.")) == {
        "NEG_FLIP": [],
        "UNGROUNDED": [],
    }


def test_a_nerve_root_named_by_its_vertebra_is_grounded_by_the_disc_level() -> None:
    findings = "L5-S1: Left paracentral protrusion contacting the descending left S1 nerve root."
    assert codes(findings, "L5-S1 left paracentral protrusion contacting the left S1 root.") == {}


def test_a_slip_names_its_disc_level() -> None:
    findings = "Grade 1 degenerative anterolisthesis of L4 on L5 (5 mm). L5-S1: No stenosis."
    assert codes(findings, "Grade 1 degenerative anterolisthesis at L4-5.") == {}


def test_a_narrowed_denial_of_what_the_level_shows_severe_is_a_flip() -> None:
    findings = (
        "L3-L4: Mild canal narrowing.\n"
        "L4-L5: Facet arthropathy resulting in severe central canal stenosis."
    )
    found = codes(findings, "No significant central canal stenosis at L4-5.")
    assert found.get("NEG_FLIP") == "block"
