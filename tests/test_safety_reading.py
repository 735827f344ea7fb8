"""The checks read wording outside the lexicon: signs, chunk polarity, organ headers.

Every example is written for these tests (synthetic), none is taken from an evaluation set.
"""

from __future__ import annotations

import pytest

from python_models.reading.clauses import short_stem, span_labels
from python_models.safety import run_checks
from python_models.safety.mentions import parse, segments_of
from python_models.safety.reading import read, stem


def codes(findings: str, impression: str) -> set[str]:
    return {w["code"] for w in run_checks(findings, impression)}


def blocks(findings: str, impression: str) -> set[str]:
    return {w["code"] for w in run_checks(findings, impression) if w["severity"] == "block"}


@pytest.mark.parametrize(
    ("findings", "impression"),
    [
        (
            "DWI: Restricted diffusion in the right occipital lobe, PCA territory. No hemorrhage.",
            "Acute right PCA territory infarct.",
        ),
        ("A lucency is seen below the right hemidiaphragm. Lungs clear.", "Pneumoperitoneum."),
        (
            "An intimal flap extends from the arch into the descending thoracic aorta.",
            "Type B aortic dissection.",
        ),
        (
            "Left ovary enlarged, with no internal arterial flow. Whirlpool sign of the pedicle.",
            "Left ovarian torsion.",
        ),
    ],
)
def test_a_diagnosis_is_grounded_by_its_signs(findings: str, impression: str) -> None:
    assert not blocks(findings, impression)


def test_a_stated_sign_missing_from_the_impression_is_a_critical_miss() -> None:
    findings = "An intimal flap extends through the descending thoracic aorta. Mild cardiomegaly."
    assert "CRIT_MISS" in codes(findings, "Mild cardiomegaly.")
    assert "CRIT_MISS" not in codes(findings, "Mild cardiomegaly. Intimal flap, aortic dissection.")


def test_a_denied_sign_states_nothing() -> None:
    findings = "The pulmonary arteries opacify well without filling defect."
    assert not blocks(findings, "No pulmonary embolism.")


@pytest.mark.parametrize(
    ("findings", "impression"),
    [
        ("Rotator cuff: Full-thickness tear of the supraspinatus tendon.", "Intact rotator cuff."),
        ("The Hawkins impingement sign is positive.", "Negative Hawkins impingement sign."),
        ("No intramural gas in the gastric wall.", "Intramural gas in the gastric wall."),
    ],
)
def test_a_reversed_polarity_is_a_flip_in_any_wording(findings: str, impression: str) -> None:
    assert "NEG_FLIP" in codes(findings, impression)


def test_a_normal_statement_of_one_part_is_no_flip_of_another() -> None:
    findings = "Medial collateral ligament: Intact.\nLateral collateral ligament: Partial tear."
    impression = "Partial lateral collateral ligament tear. Intact medial collateral ligament."
    assert "NEG_FLIP" not in codes(findings, impression)


def test_an_unqualified_normal_statement_flips_a_qualified_abnormality() -> None:
    findings = "Medial collateral ligament: Partial tear.\nLateral collateral ligament: Intact."
    assert "NEG_FLIP" in codes(findings, "Intact collateral ligaments.")


def test_a_header_gives_its_side_to_the_line() -> None:
    findings = (
        "LEFT: The femoral vein is noncompressible with occlusive thrombus.\n"
        "RIGHT: All veins compressible."
    )
    assert {m.side for m in parse(findings).findings() if not m.negated} == {"left"}
    assert "LAT_CONTRA" in codes(findings, "Occlusive right femoral vein thrombus.")
    assert not blocks(findings, "Occlusive left femoral vein thrombus.")


def test_a_header_side_contradicts_unlisted_wording() -> None:
    findings = "Right foot: Periarticular erosions at the first metatarsophalangeal joint."
    impression = "Periarticular erosions at the left first metatarsophalangeal joint."
    assert "LAT_CONTRA" in codes(findings, impression)


def test_absent_before_a_noun_negates_only_that_noun() -> None:
    parsed = parse("The popliteal vein is distended with thrombus and absent flow.")
    assert [(m.head, m.negated) for m in parsed.findings()] == [("deep vein thrombosis", False)]


def test_an_acute_sentence_left_out_of_the_impression_is_a_critical_miss() -> None:
    findings = "Transverse fracture of the left fifth metatarsal shaft. Soft tissue swelling."
    assert "CRIT_MISS" in codes(findings, "Soft tissue swelling.")
    assert "CRIT_MISS" not in codes(findings, "Left fifth metatarsal shaft fracture.")
    # sharing only the cue word is not speaking of it
    assert "CRIT_MISS" in codes(findings, "Calcaneal fracture.")


def test_an_old_fracture_need_not_be_in_the_impression() -> None:
    findings = "Old healed fracture of the right seventh rib. Lungs clear."
    assert "CRIT_MISS" not in codes(findings, "No acute cardiopulmonary process.")


def test_a_communication_sentence_states_no_finding() -> None:
    findings = "Acute left subdural hematoma measuring 8 mm."
    impression = "Acute left subdural hematoma. Discussed with the stroke team at noon."
    assert not blocks(findings, impression)


def test_indirect_support_only_warns() -> None:
    findings = "Right adrenal region: heterogeneous retroperitoneal collection with a fluid level."
    impression = "Right retroperitoneal hemorrhage in the adrenal region."
    found = codes(findings, impression)
    assert "UNGROUNDED" in found
    assert "CRIT_UNGROUNDED" not in found


def test_chunks_carry_polarity_and_header() -> None:
    reading = read(parse("Menisci: Medial meniscus intact. No joint effusion, small cyst."))
    polarities = [(sorted(c.stems), c.polarity) for c in reading.chunks]
    assert polarities == [
        (["intac", "media", "menis"], "normal"),
        (["effus", "joint"], "negated"),
        (["cyst"], "affirmed"),
    ]
    assert all(stem("menisci") in c.header for c in reading.chunks[:1])
    assert stem("intracranial") != stem("intraluminal")


def test_a_sign_given_a_benign_cause_states_nothing() -> None:
    findings = "Lucency under the left hemidiaphragm corresponds to the gastric air bubble."
    assert "CRIT_MISS" not in codes(findings, "No acute cardiopulmonary process.")
    assert "CRIT_MISS" in codes("Lucency under the right hemidiaphragm.", "Lungs clear.")


def test_the_checks_stem_with_the_shared_clause_stem() -> None:
    assert stem is short_stem
    assert short_stem("meniscus") == short_stem("menisci")
    assert short_stem("occluded") == short_stem("occlusion")
    assert short_stem("intraventricular") != short_stem("intravenous")


def test_headers_are_the_labels_of_the_shared_sentence_split() -> None:
    text = "RIGHT: Patent veins. LEFT: Occlusive thrombus, popliteal vein.\nNo effusion."
    labels = [label for label, _ in span_labels(text, tuple(segments_of(text.lower())))]
    assert labels == ["RIGHT", "LEFT", ""]
    chunks = read(parse(text)).chunks
    assert [sorted(c.header) for c in chunks] == [
        [stem("right")],
        [stem("left")],
        [stem("left")],
        [],
    ]
    # the header's own words are no statement
    assert all(stem("left") not in c.stems for c in chunks)
