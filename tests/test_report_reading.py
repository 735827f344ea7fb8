"""Report wording the checks read the general way: headers answered by a denial, organ headers
that list sides, words that name a meeting rather than a finding, signs that speak for one
region, and sentences that state a criterion."""

from __future__ import annotations

import pytest

from python_models.safety.checks import CheckContext, run_checks
from python_models.safety.mentions import parse
from python_models.safety.reading import read
from tests.report_check_helpers import severities as codes


def test_a_header_answered_by_none_denies_its_finding() -> None:
    found = parse("Alignment: Normal.\nFractures: None.\nHemorrhage: absent.\nEffusion: Small.")
    assert [(m.head, m.negated) for m in found.findings()] == [
        ("fracture", True),
        ("hemorrhage", True),
        ("pleural effusion", False),
    ]
    findings = "Alignment: Grade 1 degenerative anterolisthesis of C4 on C5.\nFractures: None."
    assert codes(findings, "No acute fracture. Degenerative anterolisthesis at C4-5.") == {}


def test_a_finding_word_naming_a_meeting_is_no_finding() -> None:
    assert parse("Recommend multidisciplinary tumor board discussion.").findings() == []


def test_sides_opening_the_sentences_of_an_organ_header_are_the_organs() -> None:
    findings = "Testes: Right 4.6 x 2.8 x 3.0 cm (20 mL). Left 4.2 x 2.5 x 2.7 cm (15 mL)."
    (testis,) = [m for m in parse(findings).mentions if m.head == "testis"]
    assert testis.side_set == {"left", "right"}
    assert "LAT_CONTRA" not in codes(findings, "The left testis is smaller than the right.")


def test_an_infarcts_signs_speak_for_the_brain_only() -> None:
    findings = (
        "Liver: 24 mm observation with arterial hyperenhancement, washout and restricted diffusion."
    )
    impression = "2.4 cm LR-5 observation, definite HCC."
    assert "CRIT_MISS" not in codes(
        findings, impression, exam="MRI ABDOMEN WITH AND WITHOUT CONTRAST"
    )
    brain = "Restricted diffusion in the left corona radiata."
    assert "CRIT_MISS" in codes(brain, "No hemorrhage.", exam="MRI BRAIN WITHOUT CONTRAST")


def test_a_sentence_stating_a_criterion_is_not_held_to_the_findings() -> None:
    findings = "Endometrium: Thin, 3 mm. No focal thickening."
    impression = (
        "1. Thin endometrium (3 mm). A thickness of 4 mm or less carries a high negative "
        "predictive value for carcinoma."
    )
    assert codes(findings, impression) == {}


def test_an_anastomosis_is_no_abnormality() -> None:
    (chunk,) = read(parse("Main renal artery velocity 142 cm/s at the anastomosis")).chunks
    assert not chunk.abnormal
    (chunk,) = read(parse("Stenosis at the anastomosis")).chunks
    assert chunk.abnormal


def test_a_diagnosis_stated_by_its_sign_needs_the_sign_itself_in_the_impression() -> None:
    findings = (
        "T10: Pathologic compression fracture with 40% height loss. Epidural tumor extends from "
        "T9 to T11, compressing the spinal cord."
    )
    assert "CRIT_MISS" in codes(findings, "Pathologic T10 compression fracture.")
    assert "CRIT_MISS" not in codes(findings, "T10 fracture; epidural tumor compressing the cord.")


def test_a_transition_to_collapsed_bowel_states_an_obstruction_not_the_prostates_zone() -> None:
    bowel = "Dilated loops of jejunum with an abrupt transition to collapsed distal ileum."
    assert "CRIT_MISS" in codes(bowel, "Cholelithiasis.")
    prostate = "Transition zone: Nodular BPH changes. Peripheral zone: No focal lesion."
    assert "CRIT_MISS" not in codes(prostate, "BPH.")


def test_the_history_and_the_states_of_one_sex_are_held_to_the_patients_sex() -> None:
    findings = "Appendix normal. No free fluid."
    for sex, history in (("M", "RLQ pain. LMP 2 weeks ago."), ("F", "Metastatic prostate cancer.")):
        context = CheckContext(patient_sex=sex, indication=history)
        found = run_checks(findings, "Normal appendix.", context, read_wording=True)
        (warning,) = [w for w in found if w["code"] == "SEX_MISMATCH"]
        assert warning["spans"][0]["source"] == "indication"
    context = CheckContext(patient_sex="F", indication="RLQ pain. LMP 2 weeks ago.")
    assert "SEX_MISMATCH" not in {w["code"] for w in run_checks(findings, "Normal.", context)}


def test_a_length_the_findings_give_the_other_sides_part_is_a_side_contradiction() -> None:
    findings = "Right ovary: 5.6 x 4.8 x 5.0 cm cystic lesion with fat.\nLeft ovary: Normal."
    assert "LAT_CONTRA" in codes(findings, "5.6 cm left ovarian dermoid.")
    assert "LAT_CONTRA" not in codes(findings, "5.6 cm right ovarian dermoid.")


def test_intact_said_of_a_structure_its_own_header_describes_torn_is_a_flip() -> None:
    findings = "Supraspinatus: Full-thickness tear with 2.5 cm retraction.\nSubscapularis: Intact."
    assert codes(findings, "1. Supraspinatus tendon intact.").get("NEG_FLIP") == "block"
    assert "NEG_FLIP" not in codes(
        findings, "Full-thickness supraspinatus tear. Subscapularis intact."
    )


def test_a_stone_in_the_ureter_is_no_stone_in_the_kidney() -> None:
    assert [m.head for m in parse("5 mm stone at the left UVJ.").findings()] == [
        "ureteral calculus"
    ]
    findings = (
        "Left kidney: Moderate hydronephrosis. The proximal ureter is dilated. No renal calculus."
    )
    impression = "Left hydroureteronephrosis, suspicious for an obstructing distal ureteral stone."
    assert "NEG_FLIP" not in codes(findings, impression)
    assert codes(findings, "Left renal calculus.").get("NEG_FLIP") == "block"


def test_a_yolk_sac_in_the_adnexa_states_an_ectopic_pregnancy() -> None:
    findings = (
        "Uterus: No intrauterine gestational sac.\n"
        "Left adnexa: Separate from the ovary, a 2.2 cm ring-like structure containing a yolk sac."
    )
    assert "CRIT_UNGROUNDED" not in codes(findings, "Left tubal ectopic pregnancy.")
    assert "CRIT_MISS" in codes(findings, "No intrauterine pregnancy.")


def test_absent_before_a_noun_denies_that_noun_only() -> None:
    from python_models.reading.polarity import read_sentence

    reading = read_sentence("The left popliteal vein contains thrombus with absent color flow.")
    assert reading.polarity == "abnormal" and "thrombus" in reading.key_words
    assert read_sentence("Color flow is absent.").polarity != "abnormal"


def test_a_comma_with_clause_is_outside_the_denial_before_it() -> None:
    findings = "Mid SFA: no flow over an 8 cm segment, with reconstitution at the adductor canal."
    assert "NEG_FLIP" not in codes(
        findings, "Right SFA occlusion with reconstitution at the adductor canal."
    )


def test_a_clot_takes_the_vessel_its_lines_header_names() -> None:
    findings = (
        "Basilic vein: non-occlusive thrombus around the PICC, ending short of the axillary vein.\n"
        "Axillary and brachial veins compressible."
    )
    heads = [m.head for m in parse(findings).findings()]
    assert "superficial venous thrombosis" in heads and "deep vein thrombosis" not in heads
    assert "NEG_FLIP" not in codes(
        findings, "Superficial basilic vein thrombus. No deep venous thrombosis."
    )


def test_does_not_exclude_is_uncertainty_not_a_denial() -> None:
    (torsion,) = [
        m for m in parse("Flow does not exclude torsion.").findings() if m.head == "torsion"
    ]
    assert not torsion.negated


def test_a_symptoms_side_is_no_findings_side() -> None:
    findings = "Restricted diffusion in the posterior limb of the right internal capsule."
    impression = "Acute right internal capsule infarct, concordant with the left-sided weakness."
    assert "LAT_CONTRA" not in codes(findings, impression)


def test_a_change_by_the_difference_of_two_findings_lengths_is_no_mismatch() -> None:
    findings = "Aneurysm 5.6 x 5.4 cm (5.1 cm on the prior)."
    assert "NUM_MISMATCH" not in codes(findings, "AAA 5.6 cm, enlarged by 5 mm.")
    assert "NUM_MISMATCH" in codes(findings, "AAA 5.6 cm, enlarged by 7 mm.")


def test_a_critical_finding_the_sentence_calls_unchanged_may_be_left_out() -> None:
    findings = (
        "Nodular enhancement at the resection margin. Midline shift 2 mm to the right, unchanged."
    )
    assert "CRIT_MISS" not in codes(
        findings, "Enlarging nodular enhancement at the resection margin."
    )


def test_heart_size_within_normal_limits_denies_cardiomegaly() -> None:
    assert ("cardiomegaly", True) in [
        (m.head, m.negated) for m in parse("Heart size within normal limits.").findings()
    ]


def test_a_filling_defect_in_a_subsegmental_branch_states_an_embolism() -> None:
    findings = (
        "A small filling defect is present in a subsegmental branch of the anterior segmental "
        "artery of the left upper lobe."
    )
    assert "CRIT_MISS" in codes(findings, "No pleural effusion.")


def test_a_tear_of_a_structure_a_findings_clause_calls_intact_is_a_flip() -> None:
    findings = "LIGAMENTS: ACL and PCL intact with normal signal.\nMENISCI: Medial meniscal tear."
    assert (
        codes(findings, "1. Complete ACL tear.\n2. Medial meniscal tear.").get("NEG_FLIP")
        == "block"
    )
    hip = (
        "Displaced left femoral neck fracture. "
        "The right hip is intact with mild joint space narrowing."
    )
    assert "NEG_FLIP" not in codes(
        hip, "Left femoral neck fracture. Mild right hip osteoarthritis."
    )
    ankle = "Distal fibular fracture. Medial and posterior malleoli intact."
    assert "NEG_FLIP" not in codes(ankle, "Fracture of the lateral malleolus.")


def test_a_denial_of_what_is_seen_for_certain_leaves_a_hedged_statement_open() -> None:
    findings = (
        "Elevated anterior fat pad and a visible posterior fat pad. No discrete fracture line."
    )
    assert "NEG_FLIP" not in codes(findings, "Joint effusion, most likely an occult fracture.")
    assert codes(findings, "Supracondylar fracture.").get("NEG_FLIP") == "block"


@pytest.mark.parametrize(
    "findings",
    [
        "Intrauterine gestational sac with yolk sac and normal adnexa.",
        "Uterus: Intrauterine gestational sac with yolk sac. Adnexa: normal.",
        "Adnexa: Normal. No yolk sac or embryo is seen outside the uterus.",
        "FINDINGS: The right ovary is enlarged. Normal arterial and venous flow. No internal "
        "flow within the cyst.",
    ],
)
def test_a_sign_pair_needs_both_signs_affirmed_under_one_organ(findings: str) -> None:
    assert "CRIT_MISS" not in codes(findings, "Normal study.")


def test_stable_later_in_the_sentence_speaks_of_its_own_clause_only() -> None:
    findings = "New large right pneumothorax with stable small right pleural effusion."
    assert "CRIT_MISS" in codes(findings, "Stable small right pleural effusion.")


def test_a_denied_predicate_does_not_reach_past_a_conjunction() -> None:
    from python_models.safety.checks import run_checks

    found = run_checks(
        "Moderate left pleural effusion.",
        "No pleural effusion and the lungs show no consolidation.",
    )
    assert "NEG_FLIP" in {w["code"] for w in found}


@pytest.mark.parametrize(
    "impression",
    ["Aortic aneurysm 6.1 cm, above threshold for repair.", "Aneurysm measuring over 6 cm."],
)
def test_the_patients_own_length_near_a_threshold_word_is_checked(impression: str) -> None:
    assert "NUM_MISMATCH" in codes("Abdominal aortic aneurysm 5.1 cm.", impression)


def test_no_further_finding_excepts_only_one_the_impression_states() -> None:
    findings = "New left frontal intraparenchymal hemorrhage."
    assert codes(findings, "No further hemorrhage.").get("NEG_FLIP") == "block"


def test_psoriatic_arthritis_is_no_psa() -> None:
    context = CheckContext(patient_sex="F", indication="History of PsA.")
    assert run_checks("Normal joints.", "No erosions.", context) == []


def test_a_vertebra_lies_in_its_disc_levels_line_and_sequences_are_no_levels() -> None:
    assert codes("L5-S1: Grade 1 anterolisthesis.", "Grade 1 anterolisthesis of L5 on S1.") == {}
    assert "UNGROUNDED" not in codes(
        "Subcortical lesion, hyperintense on FLAIR.", "Nonspecific lesion, hyperintense on T2."
    )


def test_a_group_header_with_one_torn_member_does_not_flip_the_others_intact() -> None:
    findings = "Ligaments: Complete ACL tear. MCL and LCL intact."
    assert "NEG_FLIP" not in codes(
        findings, "1. Complete ACL tear.\n2. Collateral ligaments intact."
    )
