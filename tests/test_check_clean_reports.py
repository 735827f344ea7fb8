# ruff: noqa: E501 - report texts of a data table
"""report_check on clean reports in many dictation styles (written for this test): no blocking
warning, and no finding left ungrounded where its signs or synonyms are in the findings."""

from __future__ import annotations

import pytest

from python_models.safety.report_check import ReportCheckRequest, check_report

# (patient sex, exam, findings, impression)
CLEAN_REPORTS = [
    (
        "F",
        "US PELVIS TRANSVAGINAL",
        "UTERUS: Anteverted, 8 x 4 x 5 cm. Endometrium 6 mm.\nRIGHT OVARY: 3 cm, normal follicles.\nLEFT OVARY: 2.8 cm with a 2.1 cm simple cyst.\nNo free fluid.",
        "1. 2.1 cm simple left ovarian cyst, likely physiologic. No follow-up imaging needed.\n2. Otherwise normal pelvic ultrasound.",
    ),
    (
        "M",
        "US SCROTUM",
        "RIGHT TESTIS: 4.2 x 2.5 cm, homogeneous, normal flow.\nLEFT TESTIS: 4.0 x 2.4 cm, homogeneous, normal flow.\nSmall left hydrocele. Left varicocele with veins to 3.5 mm, increasing with Valsalva.",
        "1. Left varicocele.\n2. Small left hydrocele.\n3. No testicular mass or torsion.",
    ),
    (
        "M",
        "CT HEAD WO CONTRAST",
        "No intracranial hemorrhage, mass effect, or midline shift. Gray-white differentiation is preserved. Periventricular white matter hypodensities, likely chronic small vessel ischemic change. Ventricles and sulci are prominent, compatible with volume loss. Calvarium intact.",
        "1. No acute intracranial abnormality.\n2. Chronic small vessel ischemic change and age-related volume loss.",
    ),
    (
        "F",
        "MRI LUMBAR SPINE",
        "Alignment normal. Conus terminates at L1. L4-L5: Disc bulge with moderate left foraminal stenosis contacting the exiting left L4 nerve root. L5-S1: Small central protrusion without stenosis.",
        "1. L4-L5 disc bulge with moderate left foraminal stenosis contacting the exiting left L4 nerve root.\n2. Small L5-S1 central protrusion without stenosis.",
    ),
    (
        "M",
        "XR CHEST 2 VIEWS",
        "Heart size normal. Lungs clear. No pleural effusion or pneumothorax. Degenerative changes of the thoracic spine.",
        "No acute cardiopulmonary process.",
    ),
    (
        "F",
        "CT ABDOMEN PELVIS W CONTRAST",
        "Liver: 1.2 cm hypodensity in segment 6, too small to characterize. Gallbladder: Cholelithiasis without wall thickening. Pancreas, spleen, adrenals: Normal. Kidneys: Bilateral simple cysts. Bowel: Sigmoid diverticulosis without diverticulitis. Appendix normal. No free air or fluid.",
        "1. No acute abnormality in the abdomen or pelvis.\n2. Cholelithiasis.\n3. Sigmoid diverticulosis without diverticulitis.",
    ),
    (
        "M",
        "CTA CHEST PE PROTOCOL",
        "Adequate opacification of the pulmonary arteries. Filling defects in the right lower lobe segmental and subsegmental arteries. RV/LV ratio 0.8. No pleural effusion. Mild emphysema.",
        "1. Acute right lower lobe segmental and subsegmental pulmonary emboli. No right heart strain.\n2. Mild emphysema.",
    ),
    (
        "F",
        "MAMMOGRAM SCREENING BILATERAL",
        "The breasts are heterogeneously dense. No suspicious mass, calcification or architectural distortion. Stable benign-appearing calcifications in the left breast.",
        "Negative. BI-RADS 1. Routine annual screening recommended.",
    ),
    (
        "M",
        "XR RIGHT KNEE 3 VIEWS",
        "Moderate medial joint space narrowing with osteophytes. Small suprapatellar effusion. No fracture or dislocation.",
        "1. Moderate medial compartment osteoarthritis.\n2. Small joint effusion.\n3. No fracture.",
    ),
    (
        "F",
        "US THYROID",
        "Right lobe: 4.8 x 1.6 x 1.5 cm. 1.4 cm solid hypoechoic nodule with irregular margins and punctate echogenic foci in the right mid lobe. Left lobe: 4.5 x 1.4 x 1.3 cm, no nodules.",
        "1.4 cm right thyroid nodule, TI-RADS 5 (highly suspicious). FNA recommended.",
    ),
    (
        "M",
        "MRI BRAIN W WO",
        "Acute infarct: Focus of restricted diffusion in the left corona radiata measuring 8 mm with corresponding low ADC. No hemorrhage. Scattered T2/FLAIR white matter hyperintensities.",
        "1. Small acute left corona radiata infarct.\n2. Mild chronic small vessel ischemic change.",
    ),
    (
        "F",
        "US RUQ",
        "Liver normal echogenicity. Gallbladder contains multiple shadowing stones; wall 2 mm; no pericholecystic fluid; sonographic Murphy sign negative. CBD 4 mm.",
        "Cholelithiasis without sonographic evidence of acute cholecystitis.",
    ),
]

# Denials narrowed to a part of the finding the findings never affirm, a rounded approximate
# size, and a one-word condensation of an acute sentence: the usual wording, not an error.
NARROWED_AND_ROUNDED = [
    (
        "XR CHEST",
        "Stable small left pleural effusion. No pneumothorax.",
        "No new effusion. Stable small left effusion.",
    ),
    (
        "CT CHEST",
        "Trace pericardial fluid. Mild atelectasis at the bases.",
        "No significant pericardial effusion. Mild bibasilar atelectasis.",
    ),
    (
        "US VENOUS LEFT LOWER EXTREMITY",
        "Nonocclusive thrombus in the left popliteal vein.",
        "Nonocclusive left popliteal DVT. No occlusive thrombus.",
    ),
    (
        "XR WRIST",
        "Nondisplaced fracture of the distal radius.",
        "Nondisplaced distal radius fracture. No displaced fracture.",
    ),
    (
        "XR CHEST",
        "Left chest tube in place. Tiny residual left apical pneumothorax.",
        "Tiny residual left apical pneumothorax. No tension pneumothorax.",
    ),
    (
        "CT ABDOMEN",
        "Nonobstructing 4 mm left renal calculus. No hydronephrosis.",
        "4 mm nonobstructing left renal stone. No obstructing stone or hydronephrosis.",
    ),
    (
        "CT CHEST",
        "Right upper lobe nodule measuring 1.9 cm.",
        "Approximately 2 cm right upper lobe nodule.",
    ),
    (
        "CT ABDOMEN",
        "Acute appendicitis with periappendiceal stranding. No abscess or free air.",
        "Acute appendicitis. No perforation or abscess.",
    ),
]

# ... and the same words where they do reverse the findings: still flagged.
STILL_FLAGGED = [
    ("XR CHEST", "New small left pleural effusion.", "No new effusion.", "NEG_FLIP"),
    ("XR CHEST", "Left pleural effusion.", "No significant pleural effusion.", "NEG_FLIP"),
    (
        "CT HEAD",
        "Large left subdural hematoma.",
        "Large left subdural hematoma. No significant subdural hematoma.",
        "NEG_FLIP",
    ),
    (
        "XR CHEST",
        "Large right pneumothorax with tension physiology.",
        "Right pneumothorax. No tension pneumothorax.",
        "NEG_FLIP",
    ),
    (
        "US VENOUS",
        "Occlusive thrombus in the left femoral vein.",
        "Left femoral DVT. No occlusive thrombus.",
        "NEG_FLIP",
    ),
    (
        "CT CHEST",
        "Right upper lobe nodule measuring 1.9 cm.",
        "Approximately 3 cm right upper lobe nodule.",
        "NUM_MISMATCH",
    ),
    (
        "CT CHEST",
        "Right upper lobe nodule measuring 1.9 cm.",
        "2 cm right upper lobe nodule.",
        "NUM_MISMATCH",
    ),
]


@pytest.mark.parametrize(("sex", "exam", "findings", "impression"), CLEAN_REPORTS)
def test_a_clean_report_is_not_flagged(sex: str, exam: str, findings: str, impression: str) -> None:
    report = f"EXAM: {exam}\nFINDINGS: {findings}\nIMPRESSION: {impression}"
    warnings = check_report(ReportCheckRequest(report, exam, sex))
    assert [w["code"] for w in warnings] == []


def _blocking(exam: str, findings: str, impression: str) -> set[str]:
    report = f"EXAM: {exam}\nFINDINGS: {findings}\nIMPRESSION: {impression}"
    warnings = check_report(ReportCheckRequest(report, exam))
    return {w["code"] for w in warnings if w["severity"] == "block"}


@pytest.mark.parametrize(("exam", "findings", "impression"), NARROWED_AND_ROUNDED)
def test_a_narrowed_denial_or_rounded_size_is_not_blocked(
    exam: str, findings: str, impression: str
) -> None:
    assert _blocking(exam, findings, impression) == set()


@pytest.mark.parametrize(("exam", "findings", "impression", "code"), STILL_FLAGGED)
def test_the_same_words_reversing_the_findings_are_still_blocked(
    exam: str, findings: str, impression: str, code: str
) -> None:
    assert code in _blocking(exam, findings, impression)
