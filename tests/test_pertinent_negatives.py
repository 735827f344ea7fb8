"""Pertinent negatives: the exam's clinical question answered when the findings answer it."""

from __future__ import annotations

from typing import Any

import pytest

from export.tiny_model import build_tokenizer
from python_models import pertinent_negatives
from python_models.model_config import ConfigError, boolean, parameter
from python_models.pertinent_negatives import Answered, answer_question, question_for
from python_models.postprocess import Postprocessor
from python_models.reading.doc import read_report
from python_models.safety import checker_for_context
from tests.postprocess_helpers import NoStyle, finish


def _answer(impression: str, findings: str, exam: str | None) -> Answered:
    return answer_question(impression, read_report(findings, exam))


PE = "CTA CHEST PE PROTOCOL"
DUPLEX = "US VENOUS DUPLEX LOWER EXTREMITY {}"
HEAD = "CT HEAD WITHOUT CONTRAST"
PE_FINDINGS = (
    "Pulmonary arteries: Pulmonary arterial opacification is adequate, with no embolus "
    "identified.\nLungs: Images show mild centrilobular emphysema."
)


@pytest.mark.parametrize(
    ("exam", "name"),
    [
        (PE, "pulmonary embolism"),
        ("CT PULMONARY ANGIOGRAM", "pulmonary embolism"),
        (DUPLEX.format("LEFT"), "deep vein thrombosis"),
        (HEAD, "intracranial hemorrhage"),
        ("CT CHEST WITH CONTRAST", None),
        ("MRI BRAIN WITH AND WITHOUT CONTRAST", None),
        (None, None),
        ("XR WRIST 3 VIEWS LEFT", "fracture"),
        ("CT CERVICAL SPINE WITHOUT CONTRAST", "fracture"),
        ("XR PELVIS AP", "fracture"),
        ("CT ABDOMEN AND PELVIS WITH CONTRAST", None),  # a pelvis CT is no bone study
        ("CTA AORTA DISSECTION PROTOCOL", "aortic dissection"),
        ("CTA HEAD AND NECK", "large vessel occlusion"),
        ("US RENAL COMPLETE", "hydronephrosis"),
        ("CT ABDOMEN PELVIS STONE PROTOCOL", "hydronephrosis"),
    ],
)
def test_the_table_names_the_question_of_an_exam(exam: str | None, name: str | None) -> None:
    question = question_for(exam)
    assert (question.name if question else None) == name


def test_a_pe_study_gets_its_negative_after_the_findings_and_before_other_negatives() -> None:
    done = _answer("1. Mild centrilobular emphysema. 2. No pneumothorax.", PE_FINDINGS, PE)
    assert done.impression == (
        "1. Mild centrilobular emphysema. 2. No pulmonary embolism. 3. No pneumothorax."
    )
    assert done.added == 1
    (span,) = done.spans
    assert "no embolus" in PE_FINDINGS[span["start"] : span["end"]]


@pytest.mark.parametrize(
    ("impression", "findings"),
    [
        ("Mild centrilobular emphysema.", "Images show mild centrilobular emphysema."),  # unasked
        ("Left main pulmonary embolism.", "Left main pulmonary embolism. No other embolus."),
        ("1. Emphysema. 2. No pulmonary embolism.", PE_FINDINGS),  # already answered
    ],
)
def test_no_answer_without_a_denial_with_a_positive_or_when_already_given(
    impression: str, findings: str
) -> None:
    assert _answer(impression, findings, PE).added == 0


def test_a_normal_duplex_answers_per_side_and_replaces_a_generic_normal() -> None:
    right = "Right lower extremity: Normal compressibility and augmentation of the right leg veins."
    done = _answer("No acute abnormality.", right, DUPLEX.format("RIGHT"))
    assert done.impression == "No deep venous thrombosis in the right lower extremity."
    both = right + "\nLeft lower extremity: Left leg veins are patent and fully compressible."
    done = _answer(
        "No deep venous thrombosis in the left lower extremity.", both, DUPLEX.format("BILATERAL")
    )
    assert done.impression == "No deep venous thrombosis in either lower extremity."


def test_a_duplex_answers_only_the_side_without_thrombosis() -> None:
    findings = (
        "New acute occlusive deep venous thrombosis of the left femoral vein is present.\n"
        "Right lower extremity: The veins are compressible with normal flow."
    )
    model = "Acute occlusive deep venous thrombosis of the left femoral vein."
    done = _answer(model, findings, DUPLEX.format("BILATERAL"))
    assert done.impression == (
        "1. Acute occlusive deep venous thrombosis of the left femoral vein. "
        "2. No deep venous thrombosis in the right lower extremity."
    )
    assert (
        _answer(
            "No acute abnormality.", "Non-compressible left femoral vein.", DUPLEX.format("LEFT")
        ).added
        == 0
    )


def test_a_head_ct_states_no_hemorrhage_only_next_to_a_finding() -> None:
    findings = "Intracranial hemorrhage is not seen.\nVentricles: Leftward midline shift (4 mm)."
    done = _answer("Leftward midline shift measuring 4 mm.", findings, HEAD)
    assert done.impression == (
        "1. Leftward midline shift measuring 4 mm. 2. No intracranial hemorrhage."
    )
    normal = _answer("No acute intracranial abnormality.", findings, HEAD)
    assert normal.added == 0


def test_postprocess_adds_with_a_warn_level_warning_and_the_switch_turns_it_off() -> None:
    tokenizer = build_tokenizer()
    post = Postprocessor(tokenizer, NoStyle(), checker_for_context)
    done = finish(post, "Mild centrilobular emphysema.", PE_FINDINGS, PE)
    assert done.impression == "1. Mild centrilobular emphysema. 2. No pulmonary embolism."
    (added,) = [w for w in done.warnings if w["code"] == "NEGATIVE_ADDED"]
    assert added["severity"] == "warn" and "embol" not in added["message"]
    assert {s["source"] for s in added["spans"]} == {"findings"}
    off = Postprocessor(tokenizer, NoStyle(), checker_for_context, pertinent_negatives=False)
    assert finish(off, "Mild centrilobular emphysema.", PE_FINDINGS, PE).impression == (
        "Mild centrilobular emphysema."
    )


def test_a_failing_answer_keeps_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pertinent_negatives, "answer_question", broken)
    post = Postprocessor(build_tokenizer(), NoStyle(), checker_for_context, hold_to_findings=False)
    done = finish(post, "Mild centrilobular emphysema.", PE_FINDINGS, PE)
    assert done.impression == "Mild centrilobular emphysema."


@pytest.mark.parametrize("key", ["pertinent_negatives", "merge_bilateral"])
def test_the_switches_are_typed_config_parameters(key: str) -> None:
    assert parameter({"parameters": {key: {"string_value": "false"}}}, key, boolean, True) is False
    with pytest.raises(ConfigError, match=key):
        parameter({"parameters": {key: {"string_value": "maybe"}}}, key, boolean, True)


@pytest.mark.parametrize(
    "findings",
    [
        "No central pulmonary embolism. Subsegmental emboli in the right lower lobe.",
        "No change in the chronic embolus in the right main pulmonary artery.",
        "No interval increase in the size of the embolus.",
        "Without change in the filling defects in the right lower lobe arteries.",
        "Limited evaluation of the subsegmental arteries due to motion. No central embolus.",
        "No new pulmonary embolism.",
        "No other embolus.",
    ],
)
def test_no_pe_answer_when_the_findings_are_positive_qualified_or_open(findings: str) -> None:
    assert _answer("Mild centrilobular emphysema.", findings, PE).added == 0


@pytest.mark.parametrize(
    "findings",
    [
        "Left lower extremity: The common femoral vein is compressible. The popliteal vein is "
        "noncompressible with echogenic intraluminal material.",
        "The left femoral vein is compressible. The left popliteal vein is partially compressible.",
        "The left popliteal artery is patent.",
        "The left femoral vein is compressible. The left calf veins are not visualized.",
        "Left: the femoral vein is compressible. Augmentation is absent.",
    ],
)
def test_no_dvt_answer_when_a_sentence_on_that_leg_is_abnormal_or_open(findings: str) -> None:
    assert _answer("No acute abnormality.", findings, DUPLEX.format("LEFT")).added == 0


def test_a_one_leg_exam_is_answered_for_its_leg_only() -> None:
    done = _answer("No acute abnormality.", "No evidence of DVT.", "Venous duplex left leg")
    assert done.impression == "No deep venous thrombosis in the left lower extremity."


def test_the_models_own_denial_is_folded_only_where_the_findings_deny_too() -> None:
    findings = "The right popliteal vein is not compressible. Left veins are compressible."
    done = _answer("No right DVT.", findings, DUPLEX.format("BILATERAL"))
    assert done.impression == (
        "1. No deep venous thrombosis in the left lower extremity. 2. No right DVT."
    )
    (span,) = done.spans
    assert findings[span["start"] : span["end"]] == "Left veins are compressible."


@pytest.mark.parametrize(
    "findings",
    [
        "No epidural hematoma.",  # one subtype only
        "No subarachnoid hemorrhage. Right parietal intraparenchymal hematoma.",
        "No intracranial hemorrhage. Intraventricular blood is noted.",
        "No new intracranial hemorrhage.",
    ],
)
def test_no_hemorrhage_answer_from_a_subtype_or_next_to_a_bleed(findings: str) -> None:
    assert _answer("Acute left MCA infarct.", findings, HEAD).added == 0


@pytest.mark.parametrize(
    "exam",
    [
        "CT chest abdomen pelvis, history of PE",
        "MRI brain; prior CT head",
        "US arterial upper extremity; venous legs normal",
        "CTA " * 5000,  # not a procedure name (and no catastrophic regex)
    ],
)
def test_history_in_the_exam_description_asks_nothing(exam: str) -> None:
    assert question_for(exam) is None


def test_a_limited_view_of_something_else_leaves_the_answer_alone() -> None:
    findings = (
        PE_FINDINGS + "\nUpper abdomen: Limited images of the upper abdomen are unremarkable."
    )
    assert _answer("Mild centrilobular emphysema.", findings, PE).added == 1


def test_an_upper_extremity_duplex_is_answered_for_its_arm() -> None:
    exam = "US duplex venous upper extremity left"
    findings = "LEFT AXILLARY: Compressible. LEFT BRACHIAL: Compressible, no intraluminal thrombus."
    done = _answer("Subcutaneous edema of the forearm.", findings, exam)
    assert "No deep venous thrombosis in the left upper extremity." in done.impression


def test_a_ct_angiogram_of_the_chest_asks_for_pulmonary_embolism() -> None:
    exam = "CT angio chest pulmonary embolism"
    findings = "No filling defect in the segmental pulmonary arteries. Mild atelectasis."
    done = _answer("Mild atelectasis.", findings, exam)
    assert "No pulmonary embolism." in done.impression


def test_abnormal_wording_after_a_comma_is_not_denied_by_an_earlier_no() -> None:
    exam = "US duplex venous lower extremity left"
    findings = "Left common femoral vein: no augmentation, noncompressible."
    done = _answer("Left common femoral vein thrombosis.", findings, exam)
    assert "No deep venous thrombosis" not in done.impression


def test_an_angiogram_of_chest_and_abdomen_asks_both_of_its_questions() -> None:
    findings = (
        "No dissection flap or intramural hematoma. No filling defect in the pulmonary "
        "arteries. 2 cm calcified uterine fibroid."
    )
    done = _answer("2 cm calcified uterine fibroid.", findings, "CTA CHEST ABDOMEN PELVIS")
    assert "No pulmonary embolism." in done.impression
    assert "No aortic dissection." in done.impression
    assert done.added == 2


@pytest.mark.parametrize(
    ("exam", "findings", "answer"),
    [
        (
            "XR WRIST 4 VIEWS RIGHT",
            "No fracture or dislocation. Scapholunate interval 2 mm.",
            "No acute fracture.",
        ),
        (
            "CTA HEAD AND NECK",
            "ACA, MCA and PCA branches patent. Mild plaque of the cavernous "
            "ICAs without significant stenosis.",
            "No large vessel occlusion.",
        ),
        (
            "US RENAL",
            "Right kidney 10.9 cm. No hydronephrosis or mass. Bladder distended.",
            "No hydronephrosis.",
        ),
    ],
)
def test_a_bone_vessel_or_kidney_study_gets_its_negative(
    exam: str, findings: str, answer: str
) -> None:
    assert answer in _answer("Mild degenerative change.", findings, exam).impression


@pytest.mark.parametrize(
    ("exam", "findings"),
    [
        ("XR WRIST 4 VIEWS RIGHT", "Nondisplaced fracture of the distal radius."),
        ("XR WRIST 4 VIEWS RIGHT", "Possible subtle fracture of the scaphoid waist."),
        ("CTA HEAD AND NECK", "Abrupt cutoff of the left M1 segment. Other branches patent."),
        ("US RENAL", "Mild left hydronephrosis. No right hydronephrosis."),
    ],
)
def test_no_negative_where_the_findings_say_anything_positive(exam: str, findings: str) -> None:
    assert _answer("Findings as above.", findings, exam).added == 0


def _asked(impression: str, findings: str, exam: str | None, indication: str) -> Answered:
    return answer_question(impression, read_report(findings, exam), indication)


def test_the_indication_asks_a_question_the_findings_answer_in_so_many_words() -> None:
    findings = "The lungs are expanded. There is no pneumothorax. Heart is normal in size."
    done = _asked("No acute cardiopulmonary abnormality.", findings, "XR CHEST", "Post line, ?PTX")
    assert done.impression == "1. No pneumothorax. 2. No acute cardiopulmonary abnormality."
    assert done.added == 1 and done.spans
    # a table finding keeps the table's wording, on a normal study too
    bones = "Alignment is anatomic. No fracture is identified."
    assert (
        "No acute fracture."
        in _asked("Normal.", bones, "CT HEAD", "Fell, evaluate fracture").impression
    )


def test_an_indication_question_is_not_answered_without_a_plain_denial_or_against_a_finding() -> (
    None
):
    hedged = "No definite focal consolidation. Small left effusion."
    assert _asked("Small left effusion.", hedged, "XR CHEST", "r/o pneumonia").added == 0
    positive = "Small right apical pneumothorax. No effusion."
    said = "Small right apical pneumothorax."
    assert _asked(said, positive, "XR CHEST", "rule out pneumothorax").impression == said
    qualified = "No new pneumothorax. Chest tube in place."
    assert _asked("Chest tube in place.", qualified, "XR CHEST", "PTX follow-up").added == 0


def test_an_indication_question_outside_the_examined_region_is_not_asked() -> None:
    findings = "No retroperitoneal hemorrhage. The liver is normal."
    done = _asked(
        "No acute abnormality in the abdomen or pelvis.", findings, "CT ABDOMEN PELVIS", "GI bleed"
    )
    assert "intracranial" not in done.impression and done.added == 0


def test_a_sided_question_stays_the_exams() -> None:
    findings = "No deep venous thrombosis. Lungs clear."
    assert (
        _asked("No acute cardiopulmonary abnormality.", findings, "XR CHEST", "r/o DVT").added == 0
    )
