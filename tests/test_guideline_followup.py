"""Fleischner recommendations set from the table for the size the impression states."""

from __future__ import annotations

import pytest

from export.tiny_model import build_tokenizer
from python_models import guideline_followup
from python_models.guideline_followup import set_fleischner
from python_models.guidelines import fleischner_excluded, fleischner_solid, fleischner_subsolid
from python_models.postprocess import Postprocessor
from python_models.safety import checker_for_context
from tests.postprocess_helpers import NoStyle

SMALL = "No routine follow-up if low risk; Optional CT at 12 months if high risk"


def test_a_recommendation_of_the_wrong_band_is_set_from_the_table() -> None:
    text = (
        "1. 0.5 cm right middle lobe pulmonary nodule. Fleischner 2017: Consider CT at 3 "
        "months, PET/CT, or tissue sampling. 2. Severe centrilobular emphysema."
    )
    done = set_fleischner(text)
    assert done.replaced == 1
    assert done.impression == (
        f"1. 0.5 cm right middle lobe pulmonary nodule. Fleischner 2017: {SMALL}. "
        "2. Severe centrilobular emphysema."
    )


@pytest.mark.parametrize(
    "text",
    [
        f"4 mm right upper lobe nodule. Fleischner 2017: {SMALL}.",
        "4 mm right upper lobe nodule. Fleischner 2017: No routine follow-up.",  # low risk
        "4 mm right upper lobe nodule. Fleischner 2017: Optional CT at 12 months.",  # high risk
        # no size in the item: nothing to set it from
        "Right upper lobe nodule. Fleischner 2017: Consider CT at 3 months, PET/CT, or tissue "
        "sampling.",
        "Small left pleural effusion.",
    ],
)
def test_a_recommendation_any_risk_level_allows_is_left_alone(text: str) -> None:
    assert set_fleischner(text) == guideline_followup.FollowupResult(text, 0)


def test_each_recommendation_is_judged_by_its_own_item_and_plural_means_multiple() -> None:
    text = (
        "1. 13 mm left lower lobe pulmonary nodule. Fleischner 2017: No routine follow-up. "
        "2. Two right upper lobe pulmonary nodules measuring up to 7 mm. Fleischner 2017: "
        "No routine follow-up."
    )
    done = set_fleischner(text)
    assert done.replaced == 2
    assert done.impression == (
        f"1. 13 mm left lower lobe pulmonary nodule. {fleischner_solid(13)} "
        f"2. Two right upper lobe pulmonary nodules measuring up to 7 mm. "
        f"{fleischner_solid(7, multiple=True)}"
    )


def test_under_35_the_table_does_not_apply_and_its_wording_goes() -> None:
    text = "13 mm nodule. Fleischner 2017: No routine follow-up."
    assert set_fleischner(text, age=30) == guideline_followup.FollowupResult("13 mm nodule.", 0, 1)
    assert set_fleischner(text, age=50).replaced == 1


@pytest.mark.parametrize(
    ("age", "history", "modality", "why"),
    [
        (30, None, "CT", "age"),
        (60, "History of lung cancer, status post lobectomy.", "CT", "history"),
        (None, "Annual low-dose screening.", "CT", "history"),
        (None, "Renal transplant recipient.", "CT", "history"),
        (None, None, "XR", "modality"),  # the table is for nodules found on CT
        (60, "Chronic cough. Former smoker.", "CT", None),
        (None, None, None, None),  # what is unknown does not exclude it
    ],
)
def test_who_the_table_does_not_apply_to(
    age: int | None, history: str | None, modality: str | None, why: str | None
) -> None:
    assert fleischner_excluded(age, history, modality) == why


def test_where_the_table_does_not_apply_every_recommendation_is_removed() -> None:
    text = f"1. 4 mm right upper lobe nodule. Fleischner 2017: {SMALL}. 2. Moderate emphysema."
    done = set_fleischner(text, excluded=True)
    assert done.removed == 1 and done.replaced == 0
    assert done.impression == "1. 4 mm right upper lobe nodule. 2. Moderate emphysema."
    assert set_fleischner("Moderate emphysema.", excluded=True).removed == 0


def test_postprocess_removes_the_recommendation_for_a_patient_with_cancer() -> None:
    tokenizer = build_tokenizer()
    text = "4 mm right upper lobe nodule. Fleischner 2017: Optional CT at 12 months."
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    post = Postprocessor(
        tokenizer, NoStyle(), checker_for_context, ground_items=False, hold_to_findings=False
    )
    context = {"findings": "4 mm nodule in the right upper lobe.", "exam": "CT CHEST"}
    (kept,) = post.finish([(ids, {**context, "warnings": []})])
    assert kept.impression == text
    (served,) = post.finish(
        [(ids, {**context, "indication": "Metastatic melanoma, restaging.", "warnings": []})]
    )
    assert served.impression == "4 mm right upper lobe nodule."
    (note,) = [w for w in served.warnings if w["code"] == "FOLLOWUP_REMOVED"]
    assert note["severity"] == "warn" and "melanoma" not in note["message"].lower()


def test_postprocess_sets_the_recommendation_after_writing_sizes_back() -> None:
    tokenizer = build_tokenizer()
    text = "13 mm nodule. Fleischner 2017: Optional CT at 12 months."
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    context = {"findings": "A 13 mm solid nodule in the left lower lobe.", "warnings": []}
    on = Postprocessor(
        tokenizer, NoStyle(), checker_for_context, ground_items=False, hold_to_findings=False
    )
    (served,) = on.finish([(ids, dict(context))])
    assert served.impression == f"13 mm nodule. {fleischner_solid(13)}"
    (note,) = [w for w in served.warnings if w["code"] == "FOLLOWUP_SET"]
    assert note["severity"] == "warn"
    off = Postprocessor(
        tokenizer,
        NoStyle(),
        checker_for_context,
        guideline_followup=False,
        ground_items=False,
        hold_to_findings=False,
    )
    (plain,) = off.finish([(ids, dict(context))])
    assert plain.impression == text
    assert "FOLLOWUP_SET" not in {w["code"] for w in plain.warnings}


@pytest.mark.parametrize(
    "text",
    [
        # no final period: the wording is still found, and nothing after it is touched
        "5 mm nodule. Fleischner 2017: No routine follow-up\nModerate emphysema, 2.5 cm bulla.",
        # the size right before belongs to another finding: the nodule's own sentence decides
        "Right renal cyst measuring 3 cm. 5 mm right lower lobe nodule. Fleischner 2017: No "
        "routine follow-up.",
        # a prior size, two axes, a denied plural, a wording not from the table: left alone
        "1) 7 mm right upper lobe nodule, previously 9 mm. Fleischner 2017: No routine follow-up.",
        "10 x 6 mm nodule. Fleischner 2017: No routine follow-up.",
        "13 mm nodule, no other nodules. Fleischner 2017: No routine follow-up.",
        "13 mm nodule. Fleischner 2017: follow the guideline.",
    ],
)
def test_in_doubt_the_recommendation_is_left_as_generated(text: str) -> None:
    assert set_fleischner(text).replaced == 0


def test_only_the_recommendation_is_replaced_not_what_follows_it() -> None:
    text = "13 mm nodule. Fleischner 2017: No routine follow-up\nModerate emphysema, 2.5 cm bulla."
    done = set_fleischner(text)
    assert done.replaced == 1
    assert (
        done.impression
        == f"13 mm nodule. {fleischner_solid(13)}\nModerate emphysema, 2.5 cm bulla."
    )


@pytest.mark.parametrize(
    ("nodule", "kind", "size", "multiple"),
    [
        ("8 mm right upper lobe ground-glass nodule.", "ground-glass", 8, False),
        ("9 mm part-solid nodule in the left upper lobe.", "part-solid", 9, False),
        ("Multiple ground-glass nodules measuring up to 4 mm.", "ground-glass", 4, True),
    ],
)
def test_a_subsolid_nodule_is_held_to_the_subsolid_table(
    nodule: str, kind: str, size: float, multiple: bool
) -> None:
    done = set_fleischner(f"{nodule} Fleischner 2017: Optional CT at 12 months.")
    expected = fleischner_subsolid(size, kind, multiple=multiple)
    assert done.replaced == 1 and done.impression == f"{nodule} {expected}"
    assert set_fleischner(f"{nodule} {expected}").replaced == 0  # already the table's own


@pytest.mark.parametrize(
    "text",
    [
        # no table is for these nodules
        "Scattered centrilobular ground-glass nodules. Fleischner 2017: No routine follow-up.",
        "7 mm calcified nodule in the right lower lobe. Fleischner 2017: No routine follow-up.",
        # the lung table for a nodule of another organ
        "1.7 cm left adrenal nodule. Fleischner 2017: Consider CT at 3 months, PET/CT, or "
        "tissue sampling.",
        "12 mm thyroid nodule. Fleischner 2017: Consider CT at 3 months, PET/CT, or tissue "
        "sampling.",
        # the guideline in other words than the table's: nothing to check it against
        "8 mm right upper lobe nodule. Per Fleischner criteria, follow-up CT in one year.",
    ],
)
def test_a_recommendation_no_table_can_check_is_removed(text: str) -> None:
    done = set_fleischner(text)
    assert done.removed == 1 and "fleischner" not in done.impression.lower()
    assert done.impression.endswith(".") and "nodule" in done.impression


def test_no_follow_up_is_asked_for_where_the_history_excludes_the_table() -> None:
    from python_models.safety.report_check import ReportCheckRequest, check_report

    def codes(history: str) -> set[str]:
        report = (
            f"EXAM: CT CHEST\n{history}FINDINGS: 9 mm solid nodule in the right upper lobe.\n"
            "IMPRESSION: 9 mm right upper lobe nodule."
        )
        return {w["code"] for w in check_report(ReportCheckRequest(report))}

    assert "FOLLOWUP_MISSING" in codes("HISTORY: Chronic cough.\n")
    assert "FOLLOWUP_MISSING" not in codes("HISTORY: Metastatic colon cancer.\n")


def test_a_replacement_and_a_removal_in_one_impression_are_both_reported() -> None:
    tokenizer = build_tokenizer()
    text = (
        "13 mm nodule. Fleischner 2017: Optional CT at 12 months. "
        "7 mm calcified nodule. Fleischner 2017: Optional CT at 12 months."
    )
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    post = Postprocessor(
        tokenizer, NoStyle(), checker_for_context, ground_items=False, hold_to_findings=False
    )
    context = {"findings": "A 13 mm solid nodule. A 7 mm calcified nodule.", "warnings": []}
    (served,) = post.finish([(ids, context)])
    codes = [w["code"] for w in served.warnings]
    assert "FOLLOWUP_SET" in codes and "FOLLOWUP_REMOVED" in codes
    assert served.impression.count("Fleischner") == 1
