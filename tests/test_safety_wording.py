"""The generic-reading checks of report_check (`python_models.safety.wording`): wording no
lexicon table names is still held to the findings."""

from __future__ import annotations

import pytest

from python_models.reading.doc import read_report
from python_models.safety.checks import run_checks
from python_models.safety.mentions import parse
from python_models.safety.reading import NORMAL, POSITIVE, read
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


# --- reading rules for wording the lexicon tables do not hold --------------------------------


def test_a_normal_word_is_read_whole_not_by_its_stem() -> None:
    # "congruent" states normality; "compresses" is no "compressible"
    findings = "Oblique fracture of the lateral malleolus. The tibiotalar joint is congruent."
    impression = "Lateral malleolar fracture with intact tibiotalar joint."
    assert "NEG_FLIP" not in codes(findings, impression)
    chunks = read(parse("Retropulsion compresses the conus. Veins compressible.")).chunks
    assert [c.polarity for c in chunks] == [POSITIVE, NORMAL]


def test_a_normal_predicate_is_said_of_each_conjunct_before_it() -> None:
    findings = "Renal cortical thickness adequate and normal. No hydronephrosis."
    assert "NEG_FLIP" not in codes(findings, "Normal renal cortical thickness.")
    # a conjunct naming a finding keeps its own polarity
    findings = "Small pleural effusion and lungs otherwise clear."
    assert "NEG_FLIP" in codes(findings, "No pleural effusion.")


def test_a_denial_narrowed_to_active_bleeding_leaves_a_hematoma_alone() -> None:
    findings = "Left retroperitoneal hemorrhage tracking along the psoas. No contrast blush."
    assert "NEG_FLIP" not in codes(findings, "Left retroperitoneal hemorrhage. No active bleed.")
    assert "NEG_FLIP" in codes(findings, "No retroperitoneal hemorrhage.")


def test_a_findings_denial_of_the_acute_kind_leaves_an_old_finding_alone() -> None:
    findings = "Encephalomalacia in the left frontal lobe. No acute infarct or hemorrhage."
    assert "NEG_FLIP" not in codes(findings, "Chronic left frontal infarct.")
    assert "NEG_FLIP" in codes(findings, "Left frontal infarct.")
    # a statement of the denied kind itself is still a flip, whatever else it says
    assert "NEG_FLIP" in codes(findings, "Improving acute left frontal infarct.")


def test_a_duct_said_to_be_dilated_is_dilation_in_either_spelling() -> None:
    findings = "The common bile duct is dilated to 11 mm. No gallstones."
    assert "NEG_FLIP" in codes(findings, "No biliary ductal dilatation.")
    assert "UNGROUNDED" not in codes(findings, "Biliary ductal dilatation to 11 mm.")


def test_an_aorta_called_aneurysmal_is_an_aneurysm_with_its_size() -> None:
    findings = (
        "The suprarenal aorta measures 2.0 cm. The infrarenal aorta is aneurysmal, "
        "measuring 5.1 cm, with laminar thrombus."
    )
    assert codes(findings, "5.1 cm infrarenal aortic aneurysm.") == set()


def test_a_stone_takes_the_organ_it_lies_in() -> None:
    findings = "GALLBLADDER: Distended, no stones or sludge.\nKIDNEYS: Normal."
    assert "NEG_FLIP" in codes(findings, "Cholelithiasis.")
    findings = "Two nonobstructing stones in the lower pole of the left kidney."
    assert "NEG_FLIP" not in codes(findings, "Left nephrolithiasis. No cholelithiasis.")


def test_a_clot_in_an_artery_is_no_venous_thrombosis() -> None:
    findings = "Hyperdense right M2 branch of the middle cerebral artery. No hemorrhage."
    assert "CRIT_UNGROUNDED" not in codes(findings, "Right M2 thrombus. No hemorrhage.")
    findings = "Occlusive thrombus in the right interlobar pulmonary artery."
    assert "NEG_FLIP" in codes(findings, "No pulmonary embolism.")


@pytest.mark.parametrize(
    ("findings", "impression"),
    [
        (  # the sonographic appendix
            "Noncompressible, blind-ending tubular structure in the right lower quadrant, 11 mm.",
            "Acute appendicitis.",
        ),
        (  # verb forms of cord compression
            "Retropulsed fragment at T11 compresses the spinal cord with edema.",
            "T11 retropulsion with cord compression.",
        ),
        (  # blood in the pelvis is fluid with internal echoes
            "Moderate echogenic free fluid in the pelvis. Ovaries normal.",
            "Moderate hemoperitoneum.",
        ),
    ],
)
def test_a_diagnosis_named_from_its_signs_is_grounded(findings: str, impression: str) -> None:
    assert not {"CRIT_UNGROUNDED", "UNGROUNDED"} & codes(findings, impression)


def test_sinusitis_the_findings_never_describe_is_ungrounded() -> None:
    findings = "No intracranial hemorrhage or mass. Ventricles normal."
    assert "UNGROUNDED" in codes(findings, "Chronic right frontal sinusitis.")
    findings = "Mucosal thickening of the right frontal sinus. No intracranial hemorrhage."
    assert "UNGROUNDED" not in codes(findings, "Right frontal sinusitis.")


def test_a_sign_stated_diagnosis_needs_its_sign_or_name_in_the_impression() -> None:
    # the impression speaks of the testis but not of what its absent flow states
    findings = "The right testis is enlarged and heterogeneous with absent color flow."
    assert "CRIT_MISS" in codes(findings, "Heterogeneous right testis.")
    assert "CRIT_MISS" not in codes(findings, "Right testicular torsion.")
    # an impression sentence that denies the words does not speak of the finding
    findings = "The appendix is 12 mm with periappendiceal fat stranding. No abscess."
    assert "CRIT_MISS" in codes(findings, "No periappendiceal abscess.")
    findings = "Intimal flap in the descending thoracic aorta. Ascending aorta 3.6 cm."
    assert "CRIT_MISS" in codes(findings, "Ascending aorta 3.6 cm, descending aorta normal.")


def test_a_sentence_naming_one_side_gives_it_to_its_unsided_findings() -> None:
    findings = "Acute infarct with reduced diffusion in the left thalamus. No hemorrhage."
    assert "LAT_CONTRA" in codes(findings, "Acute right thalamic infarct.")
    assert "LAT_CONTRA" not in codes(findings, "Acute left thalamic infarct.")
    findings = "The left internal carotid artery shows an intimal flap at C2."
    assert "LAT_CONTRA" in codes(findings, "Right internal carotid artery dissection.")
    # a sentence whose finding carries its own side gives it to no other finding
    findings = "Patchy atelectasis and a right pleural effusion."
    assert "LAT_CONTRA" not in codes(findings, "Bibasilar atelectasis. Right pleural effusion.")


def test_a_denial_the_findings_make_in_the_same_words_is_no_flip() -> None:
    findings = (
        "BOWEL: Focal wall thickening of the cecum obstructing the appendiceal orifice. "
        "No bowel obstruction."
    )
    assert "NEG_FLIP" not in codes(findings, "Cecal wall thickening. No bowel obstruction.")


def test_an_unplaced_denial_is_broader_than_a_placed_one_in_the_findings() -> None:
    findings = "No enthesophyte at the left calcaneus. Plantar enthesophyte at the right calcaneus."
    assert "NEG_FLIP" in codes(findings, "No enthesophyte.")
    findings = "No left hilar calcification. Right hilar calcification."
    assert "NEG_FLIP" in codes(findings, "No hilar calcification.")
    assert "NEG_FLIP" not in codes(findings, "No left hilar calcification.")
