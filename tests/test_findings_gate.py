"""The findings gate: the served impression states only what the findings support and leaves
out no finding that is neither old nor incidental, whatever the wording."""

from __future__ import annotations

from python_models.findings_gate import finding_clauses, hold_to_findings
from python_models.reading.doc import read_report

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


def test_model_advice_is_removed() -> None:
    done = gate("Small right pneumothorax. Recommend CT in 3 months.", "Small right pneumothorax.")
    assert "recommend" not in done.impression.lower() and done.removed == 1


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
