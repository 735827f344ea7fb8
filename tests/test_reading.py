"""The one reading of a report: sentences with their headers, polarity, regions."""

from __future__ import annotations

import pytest

from python_models.reading.doc import read_report
from python_models.reading.polarity import read_sentence, stem
from python_models.reading.regions import normal_phrase, regions_named
from python_models.reading.sentences import split_sentences


def test_headers_inside_the_findings_become_labels_and_decimals_stay_whole() -> None:
    text = (
        "LUNGS: No consolidation. A 1.5 cm nodule in the RLL.\n"
        "Technique: Axial CT.\nDr. Jones was paged."
    )
    sentences = split_sentences(text)
    assert [(s.label, s.text) for s in sentences] == [
        ("LUNGS", "No consolidation."),
        ("LUNGS", "A 1.5 cm nodule in the RLL."),
        ("Technique", "Axial CT."),
        ("", "Dr. Jones was paged."),
    ]
    assert sentences[2].is_technique and not sentences[1].is_technique
    assert all(text[s.start : s.end] == s.text for s in sentences)


@pytest.mark.parametrize(
    ("sentence", "polarity"),
    [
        ("No focal consolidation, pleural effusion, or pneumothorax.", "normal"),
        ("The heart size is within normal limits.", "normal"),
        ("Contrast opacification of the arteries is adequate.", "normal"),
        ("Frontal and lateral views of the chest.", "neutral"),
        ("The heart is enlarged.", "abnormal"),
        ("Lungs are clear except for a small focus of scarring at the apex.", "abnormal"),
        ("The kidneys are unremarkable but there is a frobnicated splenic cleft.", "abnormal"),
        ("A small effusion cannot be excluded.", "abnormal"),
        ("The pneumothorax has resolved.", "normal"),
        ("Normal alignment of the lumbar spine.", "normal"),
        ("Preserved flow around the thrombus.", "abnormal"),
        ("Normal appearance of the known liver mass.", "abnormal"),
    ],
)
def test_each_sentence_is_read_as_abnormal_normal_or_neutral(sentence: str, polarity: str) -> None:
    assert read_sentence(sentence).polarity == polarity


def test_an_unknown_word_outside_a_denial_counts_as_a_finding() -> None:
    reading = read_sentence("Frobnication of the left adrenal limb.")
    assert reading.polarity == "abnormal" and "frobnication" in reading.key_words
    assert reading.sides == {"left"}


def test_denied_words_hedging_and_history_are_told_apart() -> None:
    denied = read_sentence("No large pleural effusion.")
    assert denied.polarity == "normal" and "effusion" in denied.denied_words
    hedged = read_sentence("Possible small left effusion.")
    assert hedged.uncertain and "effusion" in hedged.key_words
    old = read_sentence("Stable mild cardiomegaly.")
    assert old.chronic and not old.incidental
    incidental = read_sentence("Calcified granuloma in the right upper lobe.")
    assert incidental.incidental
    new = read_sentence("New calcified granuloma with increasing effusion.")
    assert not new.incidental and not new.chronic


def test_a_report_is_read_once_with_its_regions_and_normal_phrase() -> None:
    doc = read_report(
        "Heart size is normal. Small right pleural effusion. No pneumothorax.", "XR CHEST"
    )
    assert doc.regions == {"chest"}
    assert doc.normal_phrase == "No acute cardiopulmonary abnormality."
    assert [s.text for s in doc.finding_sentences] == ["Small right pleural effusion."]
    assert doc.abnormal
    assert stem("pneumothorax") in doc.denied_stems and stem("effusion") in doc.finding_stems


def test_without_an_exam_the_region_comes_from_the_findings() -> None:
    doc = read_report("The ventricles are normal in size. No intracranial hemorrhage.", None)
    assert doc.regions == {"head"}


def test_regions_named_by_exams_and_statements() -> None:
    assert regions_named("CT CHEST ABDOMEN PELVIS W CONTRAST") == {"chest", "abdomen"}
    assert regions_named("MRI thoracic spine") == {"spine"}
    assert regions_named("No acute intracranial abnormality") == {"head"}
    assert normal_phrase(frozenset({"chest", "abdomen"})) == "No acute abnormality."


@pytest.mark.parametrize(
    ("sentence", "polarity"),
    [
        ("The pneumothorax has not resolved.", "abnormal"),
        ("Partially resolved right pneumothorax.", "abnormal"),
        ("No improvement in the left lower lobe opacity.", "abnormal"),
        ("The pneumothorax has resolved.", "normal"),
        ("Bowel gas pattern is nonobstructive.", "normal"),
        ("Motion artifact limits evaluation.", "neutral"),
        ("Stable appearance of the chest.", "neutral"),
        ("Nonobstructing 3 mm left renal stone.", "abnormal"),
    ],
)
def test_a_finding_still_there_and_neutral_report_language(sentence: str, polarity: str) -> None:
    assert read_sentence(sentence).polarity == polarity


def test_every_word_before_repeated_post_negations_is_denied() -> None:
    """Each post-trigger looks back only to the one before it (a huge clause is read in one
    pass) and the answer is the one a short clause gets."""
    text = "effusion is not seen nodule are not identified " * 3000
    reading = read_sentence(text)
    assert reading.polarity == "normal" and not reading.key_words
    assert reading.denied_words.count("effusion") == 3000
    assert read_sentence("Effusion, nodule and mass are not seen.").denied_words == (
        "effusion",
        "nodule",
        "mass",
    )


def test_a_side_in_the_organ_header_is_the_sentences_side() -> None:
    doc = read_report("LEFT: Small pleural effusion.\nRIGHT: Normal.", "XR CHEST")
    assert [s.sides for s in doc.finding_sentences] == [{"left"}]


def test_the_doc_parses_the_findings_once_for_every_step() -> None:
    from python_models.critical_completion import findings_sentences, sentence_at
    from python_models.safety.mentions import parse

    findings = "LUNGS: Small right effusion. No pneumothorax.\nHEART: Normal size."
    doc = read_report(findings, "XR CHEST")
    assert list(doc.sentence_bounds) == findings_sentences(findings)
    for offset in range(len(findings) + 1):
        assert doc.sentence_at(offset) == sentence_at(findings, offset)
    assert doc.parsed is doc.parsed
    assert [m.head for m in doc.parsed.mentions] == [m.head for m in parse(findings).mentions]
    bounds = doc.sentence_bounds[1]
    assert doc.parse_sentence(bounds) is doc.parse_sentence(bounds)
    said = doc.parse_sentence(bounds)
    assert [(m.head, m.negated) for m in said.mentions] == [
        (m.head, m.negated) for m in parse(findings[bounds[0] : bounds[1]]).mentions
    ]


@pytest.mark.parametrize(
    ("findings", "abnormal"),
    [
        ("Right IJ catheter tip projects over the SVC. Enteric tube tip in the stomach.", False),
        ("Left chest wall pacemaker with leads in the right atrium and right ventricle.", False),
        ("Endotracheal tube tip in the right mainstem bronchus.", True),  # out of place
        ("Enteric tube coiled in the esophagus.", True),
        ("Right IJ catheter tip in the SVC. Small left pleural effusion.", True),
    ],
)
def test_a_device_where_it_belongs_is_no_abnormality(findings: str, abnormal: bool) -> None:
    assert read_report(findings, "XR CHEST PORTABLE").abnormal is abnormal


@pytest.mark.parametrize(
    "sentence",
    [
        "Right knee, AP, lateral and oblique views.",
        "Grayscale, compression, color and spectral Doppler evaluation of the left lower "
        "extremity deep veins from the inguinal ligament to the ankle.",
    ],
)
def test_a_technique_line_states_no_finding(sentence: str) -> None:
    assert read_sentence(sentence).polarity != "abnormal"


def test_a_finding_in_a_views_sentence_is_still_read() -> None:
    assert "fracture" in read_sentence("Three views of the left ankle show a fracture.").key_words


def test_a_participle_meets_its_noun() -> None:
    assert stem("dilated") == stem("dilatation") == stem("dilation")
    assert stem("enlarged") == stem("enlargement")
    assert stem("thickened") == stem("thickening")
    assert stem("ductal") == stem("duct")
    assert stem("lesion") != stem("les")  # a short word keeps its ending
