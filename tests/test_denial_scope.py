"""What a denial or a normal statement covers, read the same way by every check
(`safety.checks`, `safety.mentions`, `safety.reading`, `safety.signs`): a denial of others, of a
predicate, an organ of normal size, a header's predicate, a leading normal word, and signs
spread over an organ's own line."""

from __future__ import annotations

import pytest

from python_models.safety.mentions import parse
from tests.report_check_helpers import severities as codes


def heads(text: str) -> list[tuple[str, bool]]:
    return [(m.head, m.negated) for m in parse(text).findings()]


def test_a_findings_denial_of_others_leaves_the_one_described() -> None:
    findings = (
        "Pathologic T8 fracture with epidural tumor causing cord compression. "
        "No other level of cord compression."
    )
    assert "NEG_FLIP" not in codes(findings, "Pathologic T8 fracture with cord compression.")


def test_an_impression_denial_of_others_leaves_the_one_described() -> None:
    findings = "Nondisplaced fracture of the left fifth rib. Lungs clear."
    assert "NEG_FLIP" not in codes(findings, "Left fifth rib fracture. No other fracture.")
    assert codes(findings, "No fracture.").get("NEG_FLIP") == "block"


def test_a_denied_predicate_does_not_deny_its_subject() -> None:
    findings = "Right lobe: 1.4 cm spongiform nodule (TR1). Left lobe: 0.8 cm cyst."
    impression = "Thyroid nodules. No nodule meets ACR TI-RADS criteria for FNA."
    assert "NEG_FLIP" not in codes(findings, impression)
    assert codes(findings, "No thyroid nodule.").get("NEG_FLIP") == "block"


@pytest.mark.parametrize(
    "text",
    ["Normal heart size.", "Heart size is normal.", "Normal-sized heart.", "The heart is normal."],
)
def test_an_organ_of_normal_size_denies_its_enlargement(text: str) -> None:
    assert heads(text) == [("cardiomegaly", True)]
    assert (
        codes("The cardiac silhouette is enlarged. Lungs clear.", text).get("NEG_FLIP") == "block"
    )


def test_normal_in_another_respect_says_nothing_of_size() -> None:
    assert heads("The liver is normal in echotexture.") == []


def test_an_organ_header_takes_its_predicate() -> None:
    assert heads("Spleen: Enlarged, measuring 15.8 cm.") == [("splenomegaly", False)]
    assert heads("Spleen: Not enlarged.") == []  # never read as an enlargement
    findings = "Liver: Normal.\nSpleen: Enlarged, measuring 15.8 cm."
    assert codes(findings, "No splenomegaly.").get("NEG_FLIP") == "block"


def test_a_leading_normal_word_is_said_of_each_conjunct() -> None:
    findings = "Vessels: Splenic and portal veins patent. Pancreas: Diffusely enlarged."
    assert "NEG_FLIP" not in codes(
        findings, "Pancreatic enlargement. Patent splenic and portal veins."
    )


def test_a_sign_pair_may_lie_in_two_sentences_of_the_organs_own_line() -> None:
    findings = (
        "Right ovary: Enlarged, 6.1 x 4.8 x 5.0 cm, with peripheral follicles. No internal flow.\n"
        "Left ovary: Normal size with normal flow."
    )
    impression = "Enlarged right ovary without flow, compatible with right ovarian torsion."
    assert codes(findings, impression) == {}
    assert "CRIT_MISS" in codes(findings, "Normal left ovary.")  # the torsion left out


def test_small_bowel_loops_in_any_word_order_support_an_obstruction() -> None:
    findings = (
        "Multiple dilated loops of small bowel with air-fluid levels. Paucity of colonic gas."
    )
    assert "CRIT_UNGROUNDED" not in codes(
        findings, "Findings consistent with small bowel obstruction."
    )


def test_a_hedged_critical_reading_of_a_described_finding_only_warns() -> None:
    findings = "Small peripheral opacity in the posterior right lower lobe. No effusion."
    found = codes(
        findings, "Peripheral right lower lobe opacity, possibly early pulmonary infarct."
    )
    assert "CRIT_UNGROUNDED" not in found
    assert codes(findings, "Acute pulmonary infarct.").get("CRIT_UNGROUNDED") == "block"


@pytest.mark.parametrize(
    ("findings", "impression", "flagged"),
    [
        ("Cyst 1.25 cm.", "Cyst 1.3 cm.", False),  # rounded to its last digit, a millimetre
        ("Nodule 12.6 mm.", "Nodule 13 mm.", False),
        ("Nodule 13 mm.", "Nodule 1.2 cm.", True),
        ("Cyst 17 mm.", "Cyst 2 cm.", True),  # a centimetre is too coarse for an exact length
        ("Cyst 17 mm.", "Cyst approximately 2 cm.", False),
    ],
)
def test_an_impression_length_may_round_a_findings_length_to_its_last_digit(
    findings: str, impression: str, flagged: bool
) -> None:
    assert ("NUM_MISMATCH" in codes(findings, impression)) is flagged


@pytest.mark.parametrize(
    "text",
    [
        "Enlarged right ovary without flow, compatible with right ovarian torsion.",
        "No flow in the left testis, consistent with testicular torsion.",
    ],
)
def test_a_reading_after_a_comma_ends_the_denial_before_it(text: str) -> None:
    assert [negated for head, negated in heads(text) if head == "torsion"] == [False]


def test_a_finding_denied_after_a_comma_stays_denied() -> None:
    assert heads("No pneumothorax, effusion or consolidation.")[0] == ("pneumothorax", True)


@pytest.mark.parametrize(
    ("british", "head"),
    [
        ("Acute right subdural haematoma.", "subdural hematoma"),
        ("Interstitial oedema.", "pulmonary edema"),
        ("Oesophageal tumour.", "mass"),
    ],
)
def test_british_spellings_read_as_american_ones(british: str, head: str) -> None:
    assert head in [h for h, _ in heads(british)]


def test_a_diagnosis_spelt_the_british_way_in_the_impression_is_reported() -> None:
    findings = "Acute crescentic subdural hematoma over the right convexity, 8 mm, with 4 mm shift."
    assert "CRIT_MISS" not in codes(findings, "Acute right subdural haematoma (8 mm), 4 mm shift.")


@pytest.mark.parametrize(
    ("findings", "impression"),
    [
        ("Cervix: Transvaginal length 38 mm, closed.", "Normal cervical length."),
        ("Common bile duct visualized at 15 minutes.", "Patent common bile duct."),
    ],
)
def test_a_normal_statement_of_what_the_findings_only_describe_is_no_flip(
    findings: str, impression: str
) -> None:
    assert "NEG_FLIP" not in codes(findings, impression)


def test_a_normal_statement_of_what_the_findings_call_abnormal_is_a_flip() -> None:
    findings = "Gallbladder: Distended with stones. Sonographic Murphy sign is positive."
    assert (
        codes(findings, "Cholelithiasis with a negative sonographic Murphy sign.").get("NEG_FLIP")
        == "block"
    )


@pytest.mark.parametrize(
    "impression",
    [
        "Grade III splenic injury (laceration greater than 3 cm in depth).",
        "Thin endometrium; a thickness of 4 mm or less carries a high negative predictive value.",
        "3.4 cm aneurysm. Recommend surveillance in 3 years (SVS guidance for 3.0-3.9 cm).",
    ],
)
def test_a_threshold_or_a_guidelines_range_is_no_measurement(impression: str) -> None:
    findings = "Laceration 3.5 cm deep. Endometrium 3 mm. Aorta 34 mm."
    assert "NUM_MISMATCH" not in codes(findings, impression)
    assert "NUM_MISMATCH" in codes(findings, "Aortic aneurysm, 3.9 cm.")


def test_the_patients_length_beside_a_threshold_is_still_held_to_the_findings() -> None:
    findings = "Right lower pole nodule: 2.0 x 1.6 x 1.5 cm, TR3."
    impression = "2.2 cm TR3 nodule in the right lower pole, below the FNA threshold (2.5 cm)."
    assert "NUM_MISMATCH" in codes(findings, impression)
    assert "NUM_MISMATCH" not in codes(findings, impression.replace("2.2 cm", "2.0 cm"))
