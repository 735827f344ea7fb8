"""Critical completion: an omitted critical finding is added from the findings, flagged."""

from __future__ import annotations

from typing import Any

import pytest

from export.tiny_model import build_tokenizer
from python_models import critical_completion
from python_models.critical_completion import Completion, as_item, complete
from python_models.model_config import ConfigError, boolean, parameter
from python_models.postprocess import Postprocessor
from python_models.reading.doc import read_report
from python_models.safety import checker_for_context, run_checks
from tests.postprocess_helpers import NoStyle, finish


def _complete(impression: str, findings: str, missing: list[dict[str, Any]]) -> Completion:
    return complete(impression, read_report(findings), missing)


def _missing(findings: str, impression: str) -> list[dict[str, Any]]:
    return [
        span
        for w in run_checks(findings, impression)
        if w["code"] == "CRIT_MISS"
        for span in w["spans"]
    ]


def _codes(findings: str, impression: str) -> set[str]:
    return {w["code"] for w in run_checks(findings, impression)}


FINDINGS = (
    "PERITONEUM: Images show small volume ascites. There is small volume pneumoperitoneum.\n"
    "BOWEL: No bowel obstruction."
)


def test_the_omitted_critical_finding_comes_first_as_dictated() -> None:
    done = _complete("Small volume ascites.", FINDINGS, _missing(FINDINGS, "Small volume ascites."))
    assert done.impression == "1. Small volume pneumoperitoneum. 2. Small volume ascites."
    assert done.added == 1
    (span,) = done.spans
    assert FINDINGS[span["start"] : span["end"]] == "There is small volume pneumoperitoneum."
    assert "CRIT_MISS" not in _codes(FINDINGS, done.impression)


def test_nothing_missing_changes_nothing() -> None:
    text = "1. Small volume pneumoperitoneum. 2. Small volume ascites."
    assert _missing(FINDINGS, text) == []
    done = _complete(text, FINDINGS, [])
    assert (done.impression, done.added, done.spans) == (text, 0, [])


def test_an_all_normal_impression_is_replaced_not_contradicted() -> None:
    findings = "Lungs: Large left pneumothorax.\nHeart: Normal heart size."
    impression = "No acute cardiopulmonary abnormality."
    done = _complete(impression, findings, _missing(findings, impression))
    assert done.impression == "Large left pneumothorax."
    assert _codes(findings, done.impression) & {"CRIT_MISS", "NEG_FLIP", "LAT_CONTRA"} == set()


def test_an_item_denying_the_added_finding_goes_other_negatives_stay() -> None:
    findings = "Small left pneumothorax. No pulmonary embolism. Small right pleural effusion."
    impression = "1. No pneumothorax. 2. Small right pleural effusion. 3. No pulmonary embolism."
    done = _complete(impression, findings, _missing(findings, impression))
    assert done.impression == (
        "1. Small left pneumothorax. 2. Small right pleural effusion. 3. No pulmonary embolism."
    )


def test_a_generic_denial_goes_when_a_specific_finding_is_added() -> None:
    findings = "There is an acute right subdural hematoma measuring 8 mm. No midline shift."
    impression = "No intracranial hemorrhage."
    done = _complete(impression, findings, _missing(findings, impression))
    assert done.impression == "Acute right subdural hematoma measuring 8 mm."


def test_one_sentence_holding_two_critical_findings_is_added_once_in_findings_order() -> None:
    findings = (
        "Brain: Leftward midline shift measuring 7 mm.\n"
        "Extra-axial: Acute left subdural hematoma and subarachnoid hemorrhage are present."
    )
    impression = "Mild chronic small vessel ischemic change."
    missing = _missing(findings, impression)
    assert len(missing) == 3
    done = _complete(impression, findings, missing)
    assert done.added == 2
    assert done.impression == (
        "1. Leftward midline shift measuring 7 mm. "
        "2. Acute left subdural hematoma and subarachnoid hemorrhage. "
        "3. Mild chronic small vessel ischemic change."
    )


def test_spans_not_of_the_findings_are_ignored() -> None:
    done = _complete("X.", FINDINGS, [{"source": "impression", "start": 0, "end": 1}])
    assert done.added == 0 and done.impression == "X."


@pytest.mark.parametrize(
    ("sentence", "item"),
    [
        ("LUNGS: There is a large left pneumothorax", "Large left pneumothorax"),
        ("  The study demonstrates  free air ", "Free air"),
        ("Mediastinum and lymph nodes: Pneumomediastinum.", "Pneumomediastinum."),
        ("Acute infarct in the left MCA territory", "Acute infarct in the left MCA territory"),
        (
            "A leftward midline shift which measures 1.2 cm is seen.",
            "Leftward midline shift measuring 1.2 cm.",
        ),
        ("An appendicolith is identified", "Appendicolith"),
        ("Ascites is not seen.", "Ascites is not seen."),
        (
            "A right renal mass, which measures 3 cm, is present.",
            "Right renal mass measuring 3 cm.",
        ),
        ("In the interim, there is a new nodule.", "In the interim, there is a new nodule."),
        (
            "In the right corona radiata, there is a chronic lacunar infarct.",
            "Chronic lacunar infarct in the right corona radiata.",
        ),
        (
            "In the left lower lobe, there is a pulmonary nodule (1.0 cm), previously 1.1 cm.",
            "In the left lower lobe, there is a pulmonary nodule (1.0 cm), previously 1.1 cm.",
        ),
    ],
)
def test_a_findings_sentence_as_an_item(sentence: str, item: str) -> None:
    assert as_item(sentence) == item


def test_postprocess_adds_and_flags_when_switched_on_and_only_flags_when_off() -> None:
    tokenizer = build_tokenizer()
    on = Postprocessor(tokenizer, NoStyle(), checker_for_context, ground_items=False)
    off = Postprocessor(
        tokenizer, NoStyle(), checker_for_context, complete_critical=False, ground_items=False
    )
    served = finish(on, "Small volume ascites.", FINDINGS)
    assert served.impression.startswith("1. Small volume pneumoperitoneum. 2. ")
    codes = {w["code"]: w for w in served.warnings}
    assert "CRIT_MISS" not in codes
    added = codes["CRIT_ADDED"]
    assert added["severity"] == "block" and added["spans"][0]["source"] == "findings"
    assert "pneumoperitoneum" not in added["message"].lower()  # counts, never report text
    plain = finish(off, "Small volume ascites.", FINDINGS)
    assert "pneumoperitoneum" not in plain.impression.lower()
    assert "CRIT_MISS" in {w["code"] for w in plain.warnings}
    assert "CRIT_ADDED" not in {w["code"] for w in plain.warnings}


def test_a_failing_completion_keeps_the_models_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(critical_completion, "complete", broken)
    tokenizer = build_tokenizer()
    post = Postprocessor(tokenizer, NoStyle(), checker_for_context, ground_items=False)
    done = finish(post, "Small volume ascites.", FINDINGS)
    assert "pneumoperitoneum" not in done.impression.lower()
    assert "CRIT_MISS" in {w["code"] for w in done.warnings}  # still blocked for review


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("FALSE", False), ("1", True)])
def test_switch_parameters_read_as_booleans(raw: str, value: bool) -> None:
    config = {"parameters": {"complete_critical_findings": {"string_value": raw}}}
    assert parameter(config, "complete_critical_findings", boolean, True) is value


def test_a_bad_switch_fails_the_load_by_name() -> None:
    config = {"parameters": {"complete_critical_findings": {"string_value": "maybe"}}}
    with pytest.raises(ConfigError, match="complete_critical_findings"):
        parameter(config, "complete_critical_findings", boolean, True)


def _completed(findings: str, impression: str) -> str:
    return _complete(impression, findings, _missing(findings, impression)).impression


@pytest.mark.parametrize(
    ("findings", "impression", "expected"),
    [
        # an item that also states another finding stays whole (its NEG_FLIP is still reported)
        (
            "Right lower lobe consolidation. There is a small right pneumothorax.",
            "Right lower lobe pneumonia without pneumothorax.",
            "1. Small right pneumothorax. 2. Right lower lobe pneumonia without pneumothorax.",
        ),
        # a denial on the other side is no contradiction
        (
            "Small right pneumothorax. No left pneumothorax.",
            "No left pneumothorax.",
            "1. Small right pneumothorax. 2. No left pneumothorax.",
        ),
        # a label is the finding's name when the rest names none
        (
            "Pneumoperitoneum: Present. Ascites: Small.",
            "Small ascites.",
            "1. Pneumoperitoneum: Present. 2. Small ascites.",
        ),
        # an abbreviation does not end the sentence
        (
            "There is free air (approx. 2 cm) under the diaphragm. Moderate ascites.",
            "Moderate ascites.",
            "1. Free air (approx. 2 cm) under the diaphragm. 2. Moderate ascites.",
        ),
        # list markers and bullets of the findings are not copied; "clear" items go
        (
            "1) There is a small right pneumothorax.\n2) Clear left lung.",
            "Clear lungs.",
            "Small right pneumothorax.",
        ),
        (
            "- There is a small right pneumothorax.",
            "No acute abnormality.",
            "Small right pneumothorax.",
        ),
        # an item the added sentence already states is not repeated
        (
            "There is a 1 cm left subdural hematoma with 6 mm rightward midline shift.",
            "1 cm left subdural hematoma.",
            "1 cm left subdural hematoma with 6 mm rightward midline shift.",
        ),
    ],
)
def test_what_the_addition_keeps_and_removes(findings: str, impression: str, expected: str) -> None:
    assert _completed(findings, impression) == expected
