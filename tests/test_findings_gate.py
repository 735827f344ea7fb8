"""The findings gate: the served impression states only what the findings support and leaves
out no finding that is neither old nor incidental, whatever the wording."""

from __future__ import annotations

import pytest

from python_models.findings_gate import exam_side, finding_clauses, hold_to_findings, spell_sides
from python_models.reading.doc import read_report
from python_models.safety.stress import DEFAULT_STRESS_BYTES, adversarial_inputs

CHEST = "XR CHEST PA AND LATERAL"


def gate(impression: str, findings: str, exam: str | None = CHEST):
    return hold_to_findings(impression, read_report(findings, exam))


def test_a_normal_phrase_of_another_region_is_replaced_by_the_exams_own() -> None:
    done = gate("No acute intracranial abnormality.", "Lungs are clear. Heart size is normal.")
    assert done.impression == "No acute cardiopulmonary abnormality."
    assert done.region_fixed == 1


def test_a_finding_the_impression_leaves_out_is_added_and_no_acute_goes() -> None:
    done = gate(
        "No acute cardiopulmonary abnormality.",
        "The cardiac silhouette is globular and enlarged. No pneumothorax.",
    )
    assert "globular and enlarged" in done.impression
    assert "no acute" not in done.impression.lower()
    assert done.added == 1 and done.added_spans[0]["source"] == "findings"


def test_an_invented_finding_or_severity_is_removed() -> None:
    done = gate(
        "1. Large left pleural effusion. 2. Small right pneumothorax.",
        "Small right pneumothorax. No large pleural effusion.",
    )
    assert done.impression == "Small right pneumothorax."
    assert done.removed == 1


def test_a_denial_of_what_the_findings_affirm_is_removed() -> None:
    done = gate("1. Small right pneumothorax. 2. No pneumothorax.", "Small right pneumothorax.")
    assert done.impression == "Small right pneumothorax."


def test_advice_after_a_statement_the_findings_back_stays_with_it() -> None:
    done = gate(
        "1. 8 mm right lower lobe nodular opacity. 2. Recommend chest CT for characterization.",
        "In the right lower lobe there is a nodular opacity (8 mm). No pneumothorax.",
    )
    assert "Recommend chest CT for characterization" in done.impression
    assert done.removed == 0
    edited = gate(  # and when the gate edits the impression, the advice stays with its finding
        "1. No acute abnormality. 2. 8 mm right lower lobe nodular opacity. 3. Recommend chest "
        "CT for characterization.",
        "In the right lower lobe there is a nodular opacity (8 mm). No pneumothorax.",
    )
    assert edited.impression == (
        "8 mm right lower lobe nodular opacity. Recommend chest CT for characterization."
    )


@pytest.mark.parametrize(
    ("impression", "findings"),
    [
        # the statement it follows is invented, so the advice is about nothing the findings say
        (
            "1. Small right pneumothorax. 2. Large left effusion. Recommend CT.",
            "Small right pneumothorax.",
        ),
        # it opens the impression: it follows no statement at all
        ("1. Recommend CT in 3 months. 2. Small right pneumothorax.", "Small right pneumothorax."),
        # it names a finding the findings never name
        (
            "Small right pneumothorax. Recommend CT to exclude a rib fracture.",
            "Small right pneumothorax.",
        ),
    ],
)
def test_advice_about_nothing_the_findings_back_is_removed(impression: str, findings: str) -> None:
    done = gate(impression, findings)
    assert "recommend" not in done.impression.lower()
    assert "Small right pneumothorax" in done.impression and done.removed >= 1


def test_old_or_incidental_findings_may_be_left_out_and_are_reported_in_an_acute_study() -> None:
    findings = "Calcified granuloma in the left upper lobe. Small right pleural effusion."
    done = gate("Small right pleural effusion.", findings)
    assert done.impression == "Small right pleural effusion."
    assert len(done.left_out_spans) == 1 and not done.added
    quiet = gate(
        "No acute cardiopulmonary abnormality.", "Calcified granuloma in the left upper lobe."
    )
    assert quiet.impression == "No acute cardiopulmonary abnormality." and not quiet.left_out_spans


def test_an_old_finding_is_stated_and_the_study_is_not_called_normal() -> None:
    done = gate("No acute cardiopulmonary abnormality.", "Stable mild cardiomegaly.")
    assert done.impression == "Stable mild cardiomegaly."
    only_incidental = gate(
        "No acute cardiopulmonary abnormality.", "Degenerative changes of the thoracic spine."
    )
    assert only_incidental.impression == "No acute cardiopulmonary abnormality."


def test_a_supported_impression_is_left_as_it_is() -> None:
    text = "1. Small right pleural effusion. 2. No pneumothorax."
    done = gate(text, "Small right pleural effusion. No pneumothorax.")
    assert done.impression == text and not done.changed


def test_an_empty_answer_becomes_the_exams_normal_phrase() -> None:
    done = gate("Moderate cardiomegaly.", "Lungs are clear. Heart size is normal.", "CT HEAD")
    assert done.impression == "No acute intracranial abnormality."


def test_only_the_clauses_that_affirm_are_added() -> None:
    sentence = "The aorta is tortuous, however the mediastinal contours are within normal limits."
    assert finding_clauses(sentence) == "The aorta is tortuous"


def test_a_wrong_side_is_removed_though_the_side_word_is_affirmed_elsewhere() -> None:
    done = gate("Small left pleural effusion.", "Small right pleural effusion. Left lung is clear.")
    assert done.impression == "Small right pleural effusion."
    assert done.removed == 1 and done.added == 1
    both = gate("Bilateral pleural effusions.", "Small right pleural effusion. No pneumothorax.")
    assert both.impression == "Small right pleural effusion."
    header = gate("Small right pleural effusion.", "LEFT: Small pleural effusion.")
    # the added sentence keeps its header's side: the clinician no longer sees the header
    assert header.impression == "Left: small pleural effusion." and header.removed == 1


def test_an_added_sentence_keeps_the_organ_its_header_names() -> None:
    done = gate(
        "No acute abnormality.", "RIGHT KIDNEY: Moderate hydronephrosis.\nLEFT KIDNEY: Normal."
    )
    assert done.impression == "Right kidney: moderate hydronephrosis."
    same = gate("No acute abnormality.", "Lungs: Right lower lobe consolidation.")
    assert same.impression == "Right lower lobe consolidation."  # "Lungs:" adds nothing
    named = gate("No acute abnormality.", "Right: Small right pleural effusion.")
    assert named.impression == "Small right pleural effusion."


def test_words_that_describe_the_study_are_not_findings() -> None:
    """Adverbs, technique and limitation language, a verbless denial: nothing to add."""
    findings = (
        "Specifically, no focal consolidation or effusion. Reduced-dose CTA technique. "
        "Evaluation of the bases is limited by respiratory motion. RV not enlarged. "
        "Carpal arcs smooth and uninterrupted."
    )
    done = gate("No acute abnormality.", findings)
    assert done.impression == "No acute abnormality." and done.added == 0


def test_the_right_side_and_both_sides_stay() -> None:
    text = "Bilateral pleural effusions."
    done = gate(text, "Small right pleural effusion. Small left pleural effusion.")
    assert done.impression == text and not done.changed
    abbreviated = gate("Bilateral lower lobe consolidation.", "Right and LLL consolidation.")
    assert not abbreviated.removed
    unsided = gate(
        "Cardiomegaly and left pleural effusion.", "Cardiomegaly. Left pleural effusion."
    )
    assert not unsided.removed


def test_a_denial_of_a_finding_the_findings_affirm_in_other_words_is_removed() -> None:
    done = gate("No pleural effusion.", "Trace pleural fluid at the left base.")
    assert done.impression == "Trace pleural fluid at the left base." and done.removed == 1
    other_side = gate("1. Right pneumothorax. 2. No left pneumothorax.", "Right pneumothorax.")
    assert not other_side.changed


def test_a_terse_study_wide_normal_does_not_stand_beside_a_finding() -> None:
    for normal in ("Negative.", "Normal chest.", "Normal cardiopulmonary findings."):
        done = gate(normal, "Moderate right pleural effusion.")
        assert done.impression == "Moderate right pleural effusion.", normal
    organ = gate(
        "1. Moderate right pleural effusion. 2. Normal heart size.",
        "Moderate right pleural effusion. Normal heart size.",
    )
    assert not organ.changed


@pytest.mark.parametrize("name", list(adversarial_inputs(256)))
def test_a_huge_adversarial_findings_text_is_read_and_held(name: str) -> None:
    """128 KiB of one pattern: the gate answers (timings: `impressions check-eval --stress`)."""
    text = adversarial_inputs(DEFAULT_STRESS_BYTES)[name]
    done = gate("No acute abnormality.", text, "CT CHEST")
    assert done.impression
    if name.startswith(("repeated negations", "negations", "post-negations")):
        assert done.impression == "No acute abnormality." and not done.changed


def test_a_hedged_statement_stands_on_the_findings_words() -> None:
    findings = "Oblong density over the left 7th rib, which may be an old rib fracture."
    kept = gate("Possible old left rib fracture.", findings)
    assert kept.impression == "Possible old left rib fracture." and not kept.removed
    invented = gate("Possible pneumothorax.", findings)
    assert "pneumothorax" not in invented.impression.lower() and invented.removed == 1


def test_an_organ_called_normal_beside_its_own_finding_goes() -> None:
    findings = "Right lower lobe consolidation. Small right pleural effusion."
    done = gate("1. Right lower lobe consolidation. 2. The lungs are clear.", findings)
    assert "lungs are clear" not in done.impression.lower() and done.removed == 1
    qualified = gate(
        "1. Right lower lobe consolidation. 2. The lungs are otherwise clear.", findings
    )
    assert "otherwise clear" in qualified.impression
    other_organ = gate(
        "1. Small right pleural effusion. 2. The lungs are clear.",
        "Small right pleural effusion. Lungs are clear.",
    )
    assert other_organ.impression == "1. Small right pleural effusion. 2. The lungs are clear."
    denial = gate(
        "1. Right lower lobe consolidation. 2. No pneumothorax.", findings + " No pneumothorax."
    )
    assert "No pneumothorax" in denial.impression


def test_a_one_sided_exam_names_its_side_when_the_findings_do_not() -> None:
    exam = "XR ELBOW LEFT 3 VIEWS"
    done = hold_to_findings("Joint effusion.", read_report("Joint effusion. No fracture.", exam))
    assert done.impression == "Left elbow: joint effusion." and done.context_kept == 1
    other = read_report("Joint effusion. Right radial head normal.", exam)
    assert hold_to_findings("Joint effusion.", other).impression == "Joint effusion."
    assert exam_side("CT chest abdomen pelvis") == "" and exam_side("US carotid right") == "Right"


def test_a_kept_sentence_copied_without_its_header_gets_it_back() -> None:
    findings = (
        "Right ovary: 6 cm, containing a 5 cm anechoic cyst with a thin wall.\nUterus: Normal."
    )
    done = hold_to_findings(
        "6 cm, containing a 5 cm anechoic cyst with a thin wall.",
        read_report(findings, "US pelvis"),
    )
    assert done.impression == "Right ovary: 6 cm, containing a 5 cm anechoic cyst with a thin wall."


@pytest.mark.parametrize(
    ("text", "spelled"),
    [
        ("Calculus at the L UVJ", "Calculus at the left UVJ"),
        ("R ICA plaque", "Right ICA plaque"),
        ("Lt kidney cyst", "Left kidney cyst"),
        ("Drained 1.5 L of fluid", "Drained 1.5 L of fluid"),
        ("L4-L5 disc bulge", "L4-L5 disc bulge"),
    ],
)
def test_a_side_written_as_one_letter_is_spelled_out(text: str, spelled: str) -> None:
    assert spell_sides(text) == spelled


def test_numbering_debris_of_a_degenerate_draft_is_removed() -> None:
    done = gate("1. 3. 3. 3. 3. 2. Small right pleural effusion.", "Small right pleural effusion.")
    assert done.impression == "Small right pleural effusion." and done.removed >= 1


def test_a_denial_of_one_acute_finding_is_no_study_wide_normal() -> None:
    findings = "No acute fracture. Small right pleural effusion."
    exam = "XR RIBS RIGHT"
    kept = gate("1. No acute fracture. 2. Small right pleural effusion.", findings, exam)
    assert "No acute fracture" in kept.impression
    gone = gate("1. No acute abnormality. 2. Small right pleural effusion.", findings, exam)
    assert "No acute abnormality" not in gone.impression


@pytest.mark.parametrize(
    "findings",
    ["PA and lateral views of the chest were obtained.", "XXXX XXXX. Comparison XXXX."],
)
def test_findings_that_state_nothing_back_no_normal_impression(findings: str) -> None:
    doc = read_report(findings, "XR CHEST 2 VIEWS")
    assert doc.states_nothing
    done = hold_to_findings("No acute cardiopulmonary abnormality. Lungs are clear.", doc)
    assert done.impression == "The findings state no observation."
    assert done.nothing_stated == 1 and done.removed == 2


def test_findings_that_state_normality_still_get_the_normal_phrase() -> None:
    doc = read_report("PA and lateral views. The lungs are clear.", "XR CHEST 2 VIEWS")
    assert not doc.states_nothing
    done = hold_to_findings("No acute cardiopulmonary abnormality.", doc)
    assert done.impression == "No acute cardiopulmonary abnormality."
    assert not done.nothing_stated
