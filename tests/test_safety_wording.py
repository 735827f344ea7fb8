"""The generic-reading checks of report_check (`python_models.safety.wording`): wording no
lexicon table names is still held to the findings."""

from __future__ import annotations

import pytest

from python_models.reading.doc import read_report
from python_models.safety.checks import run_checks
from python_models.safety.mentions import parse
from python_models.safety.wording import check_wording


def codes(findings: str, impression: str) -> set[str]:
    return {w["code"] for w in run_checks(findings, impression, read_wording=True)}


def test_a_statement_sharing_no_word_with_the_findings_is_ungrounded() -> None:
    findings = "No acute fracture or dislocation. Soft tissue swelling over the lateral malleolus."
    assert "UNGROUNDED" in codes(findings, "Lateral soft tissue swelling. Plantar calcaneal spur.")
    assert "UNGROUNDED" not in codes(findings, "Lateral soft tissue swelling.")


@pytest.mark.parametrize(
    "impression",
    [
        "Findings called to the ordering physician at 10:40.",  # the reporting itself
        "Follow-up radiographs in 6 weeks.",
        "BI-RADS 2.",
        "Possible stress reaction.",  # a hedge may name what the findings describe
    ],
)
def test_statements_about_the_reporting_hedges_and_incidentals_pass(impression: str) -> None:
    findings = "Healing distal radius fracture with callus. Joint spaces preserved."
    assert "UNGROUNDED" not in codes(findings, impression)


def test_an_old_finding_named_in_other_words_is_left_to_the_reader() -> None:
    findings = "Scattered periventricular white matter T2/FLAIR hyperintensities. No hemorrhage."
    assert codes(findings, "Chronic microvascular ischemic change.") == set()


def test_a_denial_of_one_listed_thing_the_findings_affirm_is_a_flip() -> None:
    findings = "Testes symmetric with normal flow. Large left hydrocele. No varicocele."
    assert "NEG_FLIP" in codes(findings, "Normal testicular flow. No hydrocele or varicocele.")
    assert "NEG_FLIP" not in codes(findings, "Large left hydrocele. No varicocele.")


def generic(findings: str, impression: str) -> dict[str, list[dict[str, object]]]:
    return check_wording(read_report(findings), parse(findings), parse(impression))


def test_a_header_side_and_a_narrowing_word_keep_a_denial_honest() -> None:
    findings = "Right femoral head: subchondral collapse. Left femoral head: no collapse."
    assert not generic(findings, "1. Right: collapse.\n2. Left: no collapse.")["NEG_FLIP"]
    assert generic(findings, "1. Right: no collapse.")["NEG_FLIP"]
    stable = "Stable small right pleural effusion."
    assert "NEG_FLIP" not in codes(stable, "No new effusion. Stable small right effusion.")


def test_a_team_or_protocol_name_is_no_finding() -> None:
    findings = "Abrupt occlusion of the left M1 segment of the middle cerebral artery."
    assert "CRIT_UNGROUNDED" not in codes(findings, "Left M1 occlusion. Stroke team notified.")


def test_mural_thrombus_of_an_aneurysm_is_no_venous_thrombosis() -> None:
    findings = "Infrarenal aortic aneurysm measuring 5.2 cm with mural thrombus."
    assert "CRIT_MISS" not in codes(findings, "5.2 cm infrarenal aortic aneurysm.")


def test_the_served_pipelines_checks_leave_the_generic_reading_to_the_findings_gate() -> None:
    findings = "No acute fracture or dislocation. Soft tissue swelling over the lateral malleolus."
    impression = "Lateral soft tissue swelling. Plantar calcaneal spur."
    assert "UNGROUNDED" not in {w["code"] for w in run_checks(findings, impression)}


def test_a_finding_of_a_structure_its_own_section_states_normal_is_a_flip() -> None:
    findings = (
        "ACL: Intact with normal fiber orientation and signal.\n"
        "MCL: Thickened with surrounding edema, compatible with a grade 2 sprain.\n"
        "Menisci: Intact."
    )
    flipped = codes(findings, "1. Partial-thickness ACL tear. 2. Grade 2 MCL sprain.")
    assert "NEG_FLIP" in flipped
    # the structure the findings do call abnormal, and a hedge, are no flip
    assert "NEG_FLIP" not in codes(findings, "Grade 2 MCL sprain.")
    assert "NEG_FLIP" not in codes(findings, "Possible subtle ACL sprain, not excluded.")
