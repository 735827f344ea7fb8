"""Applying style rules: item splitting, word rewrites, layout, and the facts guard."""

from __future__ import annotations

import pytest

from python_models.facts import extract_facts
from python_models.style import rewrite
from python_models.style.apply import style_impression
from python_models.style.items import Item, render, split_items
from python_models.style.profile import StyleRules
from python_models.style.service import StyleService, generic_normal
from python_models.style.store import StyleStore

REPORT = (
    "1. Right lower lobe airspace disease measuring 2.3 x 1.1 cm, likely pneumonia. "
    "2. No pneumothorax. 3. Small left pleural effusion. "
    "4. Follow-up chest radiograph in 6 weeks is recommended to document resolution."
)


def _style(text: str, **rules: object) -> str:
    return style_impression(text, StyleRules(**rules), generic_normal)


@pytest.mark.parametrize(
    ("text", "layout", "texts"),
    [
        ("1. Pneumonia. 2. No effusion.", "numbered", ["Pneumonia", "No effusion"]),
        ("1) A 1.2 cm nodule. 2) No effusion", "numbered", ["A 1.2 cm nodule", "No effusion"]),
        ("1. A.\n2. B.\n3. C.", "numbered", ["A", "B", "C"]),
        ("- Pneumonia.\n- No effusion.", "bulleted", ["Pneumonia", "No effusion"]),
        ("• Pneumonia. • No effusion.", "bulleted", ["Pneumonia", "No effusion"]),
        (
            "Pneumonia. No effusion, e.g. Left side.",
            "prose",
            ["Pneumonia", "No effusion, e.g. Left side"],
        ),
        (
            "Nodule measuring 1.2 cm. No effusion.",
            "prose",
            ["Nodule measuring 1.2 cm", "No effusion"],
        ),
        ("Nodule 2. Stable.", "prose", ["Nodule 2", "Stable"]),
        (
            "1. Lesions at levels 1 and 2. 2. Stable.",
            "numbered",
            ["Lesions at levels 1 and 2", "Stable"],
        ),
        ("1. Nodule 2. Effusion", "numbered", ["Nodule", "Effusion"]),
    ],
)
def test_split_items(text: str, layout: str, texts: list[str]) -> None:
    items, found = split_items(text)
    assert found.list_style == layout
    assert [i.text for i in items] == texts


def test_split_items_finds_a_separate_recommendation_line() -> None:
    items, layout = split_items("1. Nodule. 2. Emphysema.\nRecommendation: CT in 12 months.")
    assert layout.numbering == "1." and layout.marked_items == 2
    assert items[-1] == Item("CT in 12 months", recommendation=True, separate=True)


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({}, "1. A.\n2. B."),
        ({"numbering": "1)", "terminal_period": False}, "1) A\n2) B"),
        ({"list_style": "bulleted", "bullet": "•"}, "• A.\n• B."),
        ({"list_style": "prose", "terminal_period": False}, "A. B"),
        ({"recommendations": "separate"}, "A.\nRecommendation: CT."),
    ],
)
def test_render(rules: dict, expected: str) -> None:
    items = (
        [Item("a"), Item("b")]
        if "recommendations" not in rules
        else [Item("A"), Item("Recommend CT", recommendation=True)]
    )
    assert render(items, StyleRules(**rules)) == expected


def test_single_item_numbered_only_when_asked() -> None:
    assert _style("Pneumonia.") == "Pneumonia."
    assert _style("Pneumonia.", number_single_item=True) == "1. Pneumonia."
    assert _style("Pneumonia.", number_single_item=True, list_style="bulleted") == "- Pneumonia."


def test_phrase_replacement_is_whole_word_case_aware_and_single_pass() -> None:
    mapping = {"effusion": "pleural effusion", "airspace disease": "consolidation"}
    text = "Airspace disease. Small effusion; pleural effusion; pericardial-effusion."
    assert rewrite.replace_phrases(text, mapping) == (
        "Consolidation. Small pleural effusion; pleural effusion; pericardial-effusion."
    )


def test_banned_phrases_are_removed_with_their_separator() -> None:
    out = _style(
        "1. Pneumonia, clinical correlation recommended. 2. Clinical correlation recommended.",
        banned_phrases=["clinical correlation recommended"],
    )
    assert out == "Pneumonia."


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("2.3 x 1.1 cm mass", "mm", "23 x 11 mm mass"),
        ("7 mm nodule and 12mm node", "cm", "0.7 cm nodule and 1.2 cm node"),
        ("7 mm nodule and 12 mm node", "auto", "7 mm nodule and 1.2 cm node"),
        ("0.5 cm nodule", "auto", "5 mm nodule"),
        ("2.3 x 1.1 cm mass", "as_written", "2.3 x 1.1 cm mass"),
    ],
)
def test_units(text: str, unit: str, expected: str) -> None:
    assert rewrite.convert_units(text, unit) == expected
    assert extract_facts(expected).measurements == extract_facts(text).measurements


def test_laterality_case_and_sentence_starts() -> None:
    assert _style("Right effusion. Left nodule.", laterality_case="upper", list_style="prose") == (
        "RIGHT effusion. LEFT nodule."
    )
    assert _style("RIGHT effusion; LEFT nodule.", laterality_case="lower") == (
        "Right effusion; left nodule."
    )


def test_abbreviations_expand_and_keep() -> None:
    assert _style("No PE.", abbreviations_expand={"PE": "pulmonary embolism"}) == (
        "No pulmonary embolism."
    )
    assert _style("No pulmonary embolism.", abbreviations_keep={"PE": "pulmonary embolism"}) == (
        "No PE."
    )


def test_abnormal_first_and_max_items_keep_every_statement() -> None:
    out = _style(REPORT, ordering="abnormal_first", max_items=3, recommendations="inline")
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[1] == "2. Small left pleural effusion."
    assert lines[2].startswith("3. No pneumothorax. Follow-up chest radiograph")
    assert extract_facts(out) == extract_facts(REPORT)


def test_recommendations_on_a_separate_line() -> None:
    out = _style(
        "1. Renal mass, indeterminate; recommend MRI. 2. No hydronephrosis.",
        recommendations="separate",
    )
    assert out == "1. Renal mass, indeterminate.\n2. No hydronephrosis.\nRecommendation: MRI."


def test_normal_phrase_replaces_only_generic_normal_impressions() -> None:
    rules = {"normal_phrase": "Normal chest radiograph"}
    assert _style("No acute cardiopulmonary process.", **rules) == "Normal chest radiograph."
    # a pertinent negative carries a fact: it is kept
    assert _style("No pneumothorax.", **rules) == "No pneumothorax."


def test_every_style_of_the_report_keeps_its_facts() -> None:
    before = extract_facts(REPORT)
    outputs = set()
    for rules in (
        {"list_style": "prose", "units": "mm", "laterality_case": "upper"},
        {"list_style": "bulleted", "terminal_period": False, "units": "cm"},
        {"numbering": "1)", "recommendations": "separate", "hedging": {"likely": "probably"}},
        {"term_preferences": {"airspace disease": "consolidation"}, "ordering": "abnormal_first"},
    ):
        out = _style(REPORT, **rules)
        assert extract_facts(out) == before, rules
        outputs.add(out)
    assert len(outputs) == 4


def test_service_falls_back_when_a_style_changes_facts(tmp_path) -> None:
    StyleStore(str(tmp_path / "s.sqlite")).put(
        {
            "radiologist_id": "dr_bad",
            "rules": {
                "list_style": "prose",
                "term_preferences": {"pneumothorax": "pleural effusion"},
            },
        }
    )
    service = StyleService(str(tmp_path / "s.sqlite"))
    text, warnings = service.apply("1. Small right pneumothorax. 2. Emphysema.", "dr_bad", "XR")
    assert [w["code"] for w in warnings] == ["STYLE_FALLBACK"]
    assert text == "1. Small right pneumothorax.\n2. Emphysema."
    assert "pneumothorax" not in warnings[0]["message"].lower()  # no report text in messages
