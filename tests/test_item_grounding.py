"""Item grounding: impression statements held to the findings, every change flagged."""

from __future__ import annotations

from typing import Any

import pytest

from export.tiny_model import build_tokenizer
from python_models import item_grounding
from python_models.item_grounding import NOTHING_LEFT, ground, is_incidental, sentence_item
from python_models.model_config import ConfigError, boolean, parameter
from python_models.postprocess import Postprocessor
from python_models.reading.doc import read_report
from python_models.reading.levels import levels, levels_agree
from python_models.safety import checker_for_context, run_checks
from python_models.safety.checks import FindingsChecker, outside_exam
from tests.postprocess_helpers import NoStyle, finish


def _ground(impression: str, findings: str, exam: str | None = None) -> item_grounding.Grounding:
    doc = read_report(findings, exam)
    return ground(impression, doc, FindingsChecker(findings), lambda t: outside_exam(t, exam))


def _blocking(findings: str, impression: str) -> set[str]:
    return {w["code"] for w in run_checks(findings, impression) if w["severity"] == "block"}


RENAL = (
    "Kidneys: Mild left hydronephrosis. Images show a shadowing calculus in the left kidney "
    "(4 mm).\nBladder: Normal bladder."
)


def test_a_correct_impression_is_left_exactly_as_written() -> None:
    text = "1. Mild left hydronephrosis. 2. 4 mm left renal shadowing calculus."
    done = _ground(text, RENAL)
    assert (done.impression, done.changed, done.spans) == (text, False, [])


def test_a_flipped_side_is_replaced_by_the_findings_sentence() -> None:
    done = _ground(
        "1. 4 mm left renal shadowing calculus. 2. Mild bilateral hydronephrosis.", RENAL
    )
    assert done.impression == "1. 4 mm left renal shadowing calculus. 2. Mild left hydronephrosis."
    assert (done.removed, done.replaced, done.added) == (0, 1, 0)
    (span,) = done.spans
    assert RENAL[span["start"] : span["end"]] == "Kidneys: Mild left hydronephrosis."
    assert _blocking(RENAL, done.impression) == set()


def test_an_invented_finding_is_removed_and_a_dropped_one_added() -> None:
    findings = (
        "Gallbladder: Cholelithiasis, with the largest stone measuring 9 mm.\n"
        "Bile ducts: There is common bile duct dilation, with the duct measuring 12 mm.\n"
        "Right kidney: No right hydronephrosis."
    )
    model = "1. Cholelithiasis, with the largest stone measuring 9 mm. 2. Acute right MCA infarct."
    done = _ground(model, findings, "US ABDOMEN LIMITED RUQ")
    assert done.impression == (
        "1. Cholelithiasis, with the largest stone measuring 9 mm. "
        "2. Common bile duct dilation, with the duct measuring 12 mm."
    )
    assert (done.removed, done.replaced, done.added) == (1, 0, 1)
    assert _blocking(findings, done.impression) == set()


def test_a_measurement_given_to_the_wrong_finding_is_replaced() -> None:
    findings = (
        "Lungs: In the RUL, there is a mass (4.3 x 2.6 cm). Pulmonary nodule in the LLL (11 mm)."
    )
    done = _ground("1. 11 mm right upper lobe mass. 2. Left lower lobe pulmonary nodule.", findings)
    assert "4.3 x 2.6 cm" in done.impression and "11 mm" in done.impression
    # lobe abbreviations are spelled out where a findings sentence is used
    assert "right upper lobe" in done.impression and "RUL" not in done.impression
    assert done.impression.count("11 mm") == 1
    assert _blocking(findings, done.impression) == set()


def test_a_statement_at_the_wrong_spinal_level_is_replaced_with_its_level() -> None:
    findings = (
        "L3-L4: There is severe left neural foraminal narrowing.\nL4-L5: Normal disc. No stenosis."
    )
    done = _ground("Severe left neural foraminal narrowing at L4-L5.", findings)
    assert done.impression == "Severe left neural foraminal narrowing at L3-L4."
    assert done.replaced == 1


def test_a_fracture_at_the_wrong_vertebra_is_replaced_and_sequences_are_no_levels() -> None:
    findings = "Vertebrae: Acute compression fracture of the L3 vertebral body."
    done = _ground("Acute L1 compression fracture.", findings)
    assert "L3" in done.impression and "L1" not in done.impression
    assert done.replaced == 1
    kept = _ground("Acute L3 compression fracture.", findings)
    assert kept.impression == "Acute L3 compression fracture." and kept.replaced == 0


def test_spinal_levels_are_read_in_every_spelling() -> None:
    assert levels("Protrusion at L4-5 and L5-S1.") == {"L4-L5", "L5-S1"}
    assert levels("T12 and L1 fractures, T2 hyperintense, T1-weighted, T2/FLAIR.") == {"T12", "L1"}
    assert levels_agree({"L3-L4", "L4-L5"}, {"L4-L5"}) and not levels_agree({"L3-L4"}, {"L4-L5"})
    assert not levels_agree({"L2"}, {"L2-L3"}) and not levels_agree({"L2-L3"}, {"L2"})


def test_a_denial_outside_the_exam_goes_pertinent_negatives_stay() -> None:
    findings = "Gallbladder: There is cholelithiasis.\nRight kidney: No right hydronephrosis."
    model = (
        "1. Cholelithiasis. 2. No deep venous thrombosis in the right lower extremity. "
        "3. No right hydronephrosis."
    )
    done = _ground(model, findings, "Right upper quadrant ultrasound")
    assert done.impression == "1. Cholelithiasis. 2. No right hydronephrosis."
    assert done.removed == 1


def test_incidental_findings_are_not_added_but_significant_ones_are() -> None:
    findings = (
        "Lungs: Mild bibasilar atelectasis. Small left pleural effusion.\n"
        "Kidneys: In the left kidney, there is a simple cyst measuring 1.7 cm."
    )
    done = _ground("No acute cardiopulmonary abnormality.", findings)
    assert (
        done.impression
        == "1. Small left pleural effusion. 2. No acute cardiopulmonary abnormality."
    )
    assert done.added == 1
    assert is_incidental("In the left kidney, there is a simple cyst measuring 1.7 cm.")
    assert not is_incidental("In the left kidney, there is a complex cyst measuring 1.7 cm.")
    assert not is_incidental("A simple cyst in the right ovary (6.2 cm) is seen.")


def test_labels_and_normal_sentences_are_not_read_as_findings() -> None:
    findings = (
        "LYMPH NODES: No lymphadenopathy.\nMEDIASTINUM: Mediastinal nodes are not enlarged.\n"
        "PLEURA: Moderate right pleural effusion."
    )
    done = _ground("Moderate right pleural effusion.", findings)
    assert not done.changed


def test_nothing_left_after_removal_says_so_in_the_studys_own_normal_phrase() -> None:
    findings = "Kidneys: Both kidneys enhance symmetrically, with no stones or hydronephrosis."
    done = _ground("1. Severe right hydronephrosis. 2. Severe left hydronephrosis.", findings)
    assert done.impression == "No acute abnormality in the abdomen or pelvis."
    assert done.removed == 2


def test_nothing_left_in_a_study_of_no_known_region_says_the_generic_phrase() -> None:
    done = _ground(
        "1. Severe right hydronephrosis. 2. Severe left hydronephrosis.", "No abnormality."
    )
    assert done.impression == NOTHING_LEFT


def test_a_level_label_becomes_part_of_the_statement() -> None:
    findings = "L1-L2: Images show mild left neural foraminal narrowing."
    assert sentence_item(findings, (7, len(findings))) == (
        "Mild left neural foraminal narrowing at L1-L2"
    )


def test_postprocess_flags_every_edit_with_counts_and_findings_spans() -> None:
    tokenizer = build_tokenizer()
    post = Postprocessor(tokenizer, NoStyle(), checker_for_context, complete_critical=False)
    done = finish(post, "Mild bilateral hydronephrosis.", RENAL)
    assert done.impression == (
        "1. Mild left hydronephrosis. 2. Shadowing calculus in the left kidney (4 mm)."
    )
    codes = {w["code"]: w for w in done.warnings}
    edit = codes["GROUNDING_EDIT"]
    assert edit["severity"] == "block"
    assert "1 with a wrong side or measurement replaced" in edit["message"]
    assert "hydronephrosis" not in edit["message"].lower()  # counts, never report text
    assert {s["source"] for s in edit["spans"]} == {"findings"}
    assert "LAT_CONTRA" not in codes
    off = Postprocessor(
        tokenizer, NoStyle(), checker_for_context, ground_items=False, hold_to_findings=False
    )
    plain = finish(off, "Mild bilateral hydronephrosis.", RENAL)
    assert plain.impression == "Mild bilateral hydronephrosis."
    assert "LAT_CONTRA" in {w["code"] for w in plain.warnings}


def test_a_failing_grounding_keeps_the_models_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(item_grounding, "ground", broken)
    post = Postprocessor(build_tokenizer(), NoStyle(), checker_for_context, hold_to_findings=False)
    done = finish(post, "Mild bilateral hydronephrosis.", RENAL)
    assert done.impression == "Mild bilateral hydronephrosis."
    codes = {w["code"]: w for w in done.warnings}
    assert "LAT_CONTRA" in codes  # still blocked for review
    assert codes["STEP_FAILED"]["severity"] == "block"
    assert "item grounding" in codes["STEP_FAILED"]["message"]


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("false", False)])
def test_the_switch_is_a_typed_config_parameter(raw: str, value: bool) -> None:
    config = {"parameters": {"ground_items": {"string_value": raw}}}
    assert parameter(config, "ground_items", boolean, True) is value
    with pytest.raises(ConfigError, match="ground_items"):
        parameter(
            {"parameters": {"ground_items": {"string_value": "maybe"}}},
            "ground_items",
            boolean,
            True,
        )


HEAD = (
    "A subacute left holohemispheric subdural hematoma measuring 13 mm in thickness is seen.\n"
    "There is a rightward midline shift measuring 0.5 cm.\n"
    "Parenchyma: Chronic lacunar infarct in the right thalamus. Images show an acute right ACA "
    "territory infarct."
)


def test_a_wrong_repeat_of_a_finding_already_stated_right_is_removed_not_restated() -> None:
    model = (
        "1. Rightward midline shift measuring 0.5 cm. 2. Subacute left holohemispheric subdural "
        "hematoma measuring 13 mm in thickness. 3. Subacute left holohemispheric subdural "
        "hematoma measuring 0.5 cm in thickness. 4. Chronic right thalamus lacunar infarct. "
        "5. Acute right ACA territory infarct."
    )
    done = _ground(model, HEAD)
    assert done.impression == model.split(" 3. ")[0] + (
        " 3. Chronic right thalamus lacunar infarct. 4. Acute right ACA territory infarct."
    )
    assert (done.removed, done.replaced, done.added, done.spans) == (1, 0, 0, [])


@pytest.mark.parametrize(
    ("wrong", "right"),
    [
        (
            "Acute left holohemispheric subdural hematoma measuring 13 mm in thickness",
            "Subacute left holohemispheric subdural hematoma measuring 13 mm in thickness",
        ),
        ("Leftward midline shift measuring 0.5 cm", "Rightward midline shift measuring 0.5 cm"),
    ],
)
def test_another_acuity_severity_or_direction_is_replaced_by_the_findings_sentence(
    wrong: str, right: str
) -> None:
    others = [
        "Subacute left holohemispheric subdural hematoma measuring 13 mm in thickness",
        "Rightward midline shift measuring 0.5 cm",
        "Chronic right thalamus lacunar infarct",
        "Acute right ACA territory infarct",
    ]
    model = ". ".join(wrong if o == right else o for o in others) + "."
    done = _ground(model, HEAD)
    assert right in done.impression and wrong not in done.impression
    assert done.replaced == 1


def test_a_statement_is_matched_to_the_findings_sentence_sharing_its_words() -> None:
    """Two right-sided infarcts: the chronic thalamic one is not taken for the acute ACA one
    (and so not called misdescribed)."""
    model = "1. Acute right ACA territory infarct. 2. Chronic right thalamus lacunar infarct."
    done = _ground(model, HEAD)
    assert "Chronic right thalamus lacunar infarct" in done.impression
    assert done.removed == 0 and done.replaced == 0


def test_acute_on_chronic_is_its_own_acuity() -> None:
    findings = "There is an acute-on-chronic left holohemispheric subdural hematoma."
    done = _ground("Chronic left holohemispheric subdural hematoma.", findings)
    assert done.impression == "Acute-on-chronic left holohemispheric subdural hematoma."
    assert done.replaced == 1


def test_a_findings_sentence_stated_as_dictated_keeps_its_place() -> None:
    # the critical completion's sentence names herniation too; the other herniation sentence
    # is added, never put in its place
    findings = (
        "Large left MCA territory infarct with cytotoxic edema. Increased mass effect with 11 mm "
        "rightward midline shift and subfalcine herniation. Medial displacement of the left uncus, "
        "consistent with left uncal herniation."
    )
    impression = (
        "1. Increased mass effect with 11 mm rightward midline shift and subfalcine herniation. "
        "2. Large left MCA territory infarct with cytotoxic edema."
    )
    done = _ground(impression, findings, "CT HEAD WITHOUT CONTRAST")
    assert "11 mm rightward midline shift" in done.impression
    assert "left uncal herniation" in done.impression
