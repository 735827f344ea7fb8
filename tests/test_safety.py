"""Each safety code fires on the error it names and stays quiet on the correct impression."""

from __future__ import annotations

import pytest

from python_models.safety import CODES, CheckContext, run_checks

FINDINGS = (
    "Lungs: There is a 7 mm solid nodule in the right lower lobe. Small left pleural effusion. "
    "No pneumothorax. Heart size is normal.\n"
    "Upper abdomen: 1.2 x 0.8 cm cyst in the liver."
)
GOOD = (
    "1. 7 mm right lower lobe nodule; recommend CT in 6-12 months.\n"
    "2. Small left pleural effusion.\n"
    "3. No pneumothorax."
)
CTX = CheckContext(exam="CT chest", patient_sex="F", patient_age="61", comparison="None")


def codes(findings: str, impression: str, ctx: CheckContext = CTX) -> set[str]:
    return {w["code"] for w in run_checks(findings, impression, ctx)}


def test_correct_impression_is_clean() -> None:
    assert run_checks(FINDINGS, GOOD, CTX) == []


@pytest.mark.parametrize(
    ("impression", "code"),
    [
        (GOOD.replace("right lower", "left lower"), "LAT_CONTRA"),
        (GOOD.replace("left pleural", "right pleural"), "LAT_CONTRA"),
        (GOOD.replace("Small left pleural effusion", "Small pleural effusion"), "LAT_DROP"),
        (GOOD.replace("7 mm", "7 cm"), "NUM_MISMATCH"),
        (GOOD.replace("7 mm", "9 mm"), "NUM_MISMATCH"),
        (GOOD.replace("No pneumothorax", "Pneumothorax"), "NEG_FLIP"),
        (GOOD.replace("Small left pleural effusion", "No pleural effusion"), "NEG_FLIP"),
        (GOOD + "\n4. Right hilar lymphadenopathy.", "UNGROUNDED"),
        (GOOD + "\n4. Acute pulmonary embolism.", "CRIT_UNGROUNDED"),
        (GOOD + "\n4. Mild communicating hydrocephalus.", "FOREIGN_FINDING"),
        (GOOD + "\n4. Prostate is normal.", "SEX_MISMATCH"),
        (GOOD + "\n4. Normal brain.", "EXAM_MISMATCH"),
        (GOOD.replace("; recommend CT in 6-12 months", ""), "FOLLOWUP_MISSING"),
        (GOOD.replace("Small left", "Stable small left"), "COMPARE_NO_PRIOR"),
    ],
)
def test_each_code_fires_on_its_error(impression: str, code: str) -> None:
    assert code in CODES
    found = codes(FINDINGS, impression)
    assert code in found
    block_codes = {c for c, (severity, _) in CODES.items() if severity == "block"}
    # An injected error must not drag unrelated blocking codes along.
    assert found & block_codes <= {code}


def test_critical_finding_missing_from_impression() -> None:
    findings = FINDINGS.replace("No pneumothorax", "Small right apical pneumothorax")
    assert "CRIT_MISS" in codes(findings, GOOD.replace("3. No pneumothorax.", ""))
    assert "CRIT_MISS" not in codes(
        findings, GOOD.replace("No pneumothorax", "Small right pneumothorax")
    )
    # A chronic qualifier makes an infarct non-urgent: no CRIT_MISS for an old infarct.
    old = "Old left occipital infarct. No hemorrhage."
    assert "CRIT_MISS" not in codes(old, "No acute intracranial abnormality.", CheckContext())
    acute = "Acute left occipital infarct. No hemorrhage."
    assert "CRIT_MISS" in codes(acute, "No acute intracranial abnormality.", CheckContext())


def test_critical_synonyms_count_as_mentioned() -> None:
    findings = "Free intraperitoneal air under the diaphragm."
    assert codes(findings, "Pneumoperitoneum.", CheckContext()) == set()
    assert "CRIT_MISS" in codes(findings, "No acute abnormality.", CheckContext())


def test_negation_scope_over_a_list() -> None:
    findings = "No pneumothorax or pleural effusion. Mild cardiomegaly."
    assert (
        codes(findings, "No pneumothorax or effusion. Mild cardiomegaly.", CheckContext()) == set()
    )
    flipped = codes(
        findings, "No pneumothorax. Pleural effusion. Mild cardiomegaly.", CheckContext()
    )
    assert "NEG_FLIP" in flipped


@pytest.mark.parametrize(
    ("organ", "other_sex"),
    [
        ("Normal cervix and vaginal cuff.", "male"),
        ("Corpus luteum in the right ovary.", "male"),
        ("Intrauterine gestational sac.", "male"),
        ("Normal epididymis and spermatic cord.", "female"),
        ("Penile prosthesis.", "female"),
    ],
)
def test_organs_of_the_other_sex_beyond_the_main_ones(organ: str, other_sex: str) -> None:
    context = CheckContext(patient_sex=other_sex)
    assert "SEX_MISMATCH" in codes(FINDINGS, GOOD + f"\n4. {organ}", context)
    own = "female" if other_sex == "male" else "male"
    assert "SEX_MISMATCH" not in codes(
        FINDINGS, GOOD + f"\n4. {organ}", CheckContext(patient_sex=own)
    )


def test_the_cervical_spine_is_no_cervix() -> None:
    context = CheckContext(patient_sex="male", exam="MRI CERVICAL SPINE")
    assert "SEX_MISMATCH" not in codes(
        "Cervical spinal stenosis at C5-C6.", "Cervical stenosis at C5-C6.", context
    )


def test_measurements_compare_across_units() -> None:
    findings = "1.2 x 0.8 cm right renal cyst."
    assert codes(findings, "12 x 8 mm right renal cyst.", CheckContext()) == set()
    assert "NUM_MISMATCH" in codes(findings, "12 x 8 cm right renal cyst.", CheckContext())


def test_context_gates_the_patient_checks() -> None:
    impression = GOOD + "\n4. Normal uterus."
    assert "SEX_MISMATCH" in codes(FINDINGS, impression, CheckContext(patient_sex="male"))
    assert "SEX_MISMATCH" not in codes(FINDINGS, impression, CheckContext(patient_sex="F"))
    assert "SEX_MISMATCH" not in codes(FINDINGS, impression, CheckContext())
    # Multi-region exam: the abdomen is in scope for "CT chest abdomen pelvis".
    liver = GOOD + "\n4. Hepatic steatosis."
    assert "EXAM_MISMATCH" in codes(FINDINGS, liver, CheckContext(exam="CT head"))
    assert "EXAM_MISMATCH" not in codes(
        FINDINGS, liver, CheckContext(exam="CT chest abdomen pelvis")
    )
    stable = GOOD.replace("Small left", "Stable small left")
    assert "COMPARE_NO_PRIOR" not in codes(FINDINGS, stable, CheckContext(comparison="CT 2024"))
    assert "COMPARE_NO_PRIOR" not in codes(FINDINGS, stable, CheckContext(comparison=None))
    # Fleischner does not apply under 35.
    no_rec = GOOD.replace("; recommend CT in 6-12 months", "")
    assert "FOLLOWUP_MISSING" not in codes(FINDINGS, no_rec, CheckContext(patient_age="20"))


def test_warning_shape_and_no_text_echo() -> None:
    sentinel = "Zebulon"
    findings = f"{sentinel} left pneumothorax 2.3 cm."
    impression = f"{sentinel} right pneumothorax 2.3 mm."
    warnings = run_checks(findings, impression, CheckContext())
    assert {w["code"] for w in warnings} == {"LAT_CONTRA", "NUM_MISMATCH"}
    for w in warnings:
        assert set(w) == {"code", "severity", "message", "spans"}
        assert w["severity"] == CODES[w["code"]][0]
        for word in ("pneumothorax", sentinel, "2.3", "right", "left"):
            assert word.lower() not in w["message"].lower()
        for span in w["spans"]:
            text = impression if span["source"] == "impression" else findings
            assert 0 <= span["start"] < span["end"] <= len(text)
    lat = next(w for w in warnings if w["code"] == "LAT_CONTRA")
    start, end = lat["spans"][0]["start"], lat["spans"][0]["end"]
    assert impression[start:end] == "pneumothorax"
    assert [w["severity"] for w in warnings] == sorted(
        (w["severity"] for w in warnings), key=lambda s: s != "block"
    )


def test_empty_inputs_do_not_raise() -> None:
    assert run_checks("", "", CheckContext()) == []
    assert run_checks("No pneumothorax.", "", None) == []


def test_report_check_reads_sections_and_context() -> None:
    from python_models.safety.report_check import ReportCheckRequest, check_report

    report = f"EXAM: CT chest\nCOMPARISON: None.\nFINDINGS:\n{FINDINGS}\nIMPRESSION:\n{GOOD}"
    assert check_report(ReportCheckRequest(report.encode(), patient_sex=b"F")) == []
    stable = report.replace("Small left pleural effusion.", "Stable left pleural effusion.")
    male = ReportCheckRequest(stable + "\n4. Uterus normal.", patient_sex=b"M")
    assert {w["code"] for w in check_report(male)} == {
        "SEX_MISMATCH",
        "EXAM_MISMATCH",
        "COMPARE_NO_PRIOR",
    }
    # Without a COMPARISON header the prior is unknown, so "stable" is not flagged.
    no_header = stable.replace("COMPARISON: None.\n", "")
    assert check_report(ReportCheckRequest(no_header)) == []


@pytest.mark.parametrize(
    ("report", "fragment"),
    [
        (None, "required"),
        (b"   ", "empty"),
        (b"Lungs clear.", "FINDINGS, IMPRESSION"),
        (b"FINDINGS: Lungs clear.\nIMPRESSION:", "IMPRESSION"),
        (b"FINDINGS: a\nIMPRESSION: " + b"b" * 2000, "limit is 1000"),
        (b"FINDINGS: \xff\nIMPRESSION: b", "UTF-8"),
    ],
)
def test_report_check_rejects_with_safe_messages(report: bytes | None, fragment: str) -> None:
    from python_models.request_fields import InvalidRequest
    from python_models.safety.report_check import ReportCheckRequest, check_report

    with pytest.raises(InvalidRequest) as info:
        check_report(ReportCheckRequest(report), max_report_bytes=1000)
    assert fragment in str(info.value)
    assert "Lungs" not in str(info.value)


def test_an_invented_critical_finding_blocks_an_invented_other_one_warns() -> None:
    found = run_checks(FINDINGS, GOOD + "\n4. Small right pneumothorax.", CTX)
    assert "NEG_FLIP" in {w["code"] for w in found}  # the findings deny it: a flip, not invented
    invented = {
        w["code"]: w["severity"] for w in run_checks(FINDINGS, GOOD + "\n4. Acute SAH.", CTX)
    }
    assert invented.get("CRIT_UNGROUNDED") == "block" and "UNGROUNDED" not in invented
    old = codes(FINDINGS, GOOD + "\n4. Remote lacunar infarct.")
    assert "CRIT_UNGROUNDED" not in old  # not acute: an ordinary ungrounded finding at most


def test_a_specific_hemorrhage_contradicts_a_generic_denial() -> None:
    findings = "No intracranial hemorrhage. Midline shift measuring 4 mm."
    ctx = CheckContext(exam="CT head")
    assert "NEG_FLIP" in codes(findings, "Acute left subdural hematoma.", ctx)
    assert "NEG_FLIP" not in codes(findings, "No intracranial hemorrhage.", ctx)
    stated = "Small left subdural hematoma. No other intracranial hemorrhage."
    assert "NEG_FLIP" not in codes(stated, "Small left subdural hematoma.", ctx)


def test_an_invented_finding_outside_the_examined_region_blocks() -> None:
    foreign = GOOD + "\n4. Mild communicating hydrocephalus."
    found = {w["code"]: w["severity"] for w in run_checks(FINDINGS, foreign, CTX)}
    assert found.get("FOREIGN_FINDING") == "block" and "UNGROUNDED" not in found
    assert found.get("EXAM_MISMATCH") == "warn"
    # in the region, or with the exam unknown: an ordinary ungrounded finding (a warning)
    in_region = codes(FINDINGS, GOOD + "\n4. Right hilar lymphadenopathy.")
    assert "UNGROUNDED" in in_region and "FOREIGN_FINDING" not in in_region
    unknown = codes(FINDINGS, foreign, CheckContext())
    assert "UNGROUNDED" in unknown and "FOREIGN_FINDING" not in unknown
    # stated in the findings: outside the region but not invented
    seen = codes(FINDINGS + " Mild communicating hydrocephalus.", foreign)
    assert "FOREIGN_FINDING" not in seen and "EXAM_MISMATCH" in seen


@pytest.mark.parametrize(
    ("findings", "impression", "exam"),
    [
        # an outside-region word in the same sentence does not make its neighbour foreign
        ("Right lower lobe consolidation.", "Right lower lobe pneumonia, no ascites.", "CT chest"),
        # bare "edema"/"effusion" may be vasogenic edema or a joint effusion
        ("Left frontal mass.", "Left frontal mass with vasogenic edema.", "CT head"),
        ("Mild arthritis.", "Small knee effusion.", "XR right knee"),
        ("Normal leg veins.", "Subcutaneous edema of the calf.", "US venous duplex left leg"),
        # near the edge of the images: ascites on a chest CT, a hip on an abdominal CT
        ("Normal lungs.", "Small volume ascites.", "CT chest"),
        ("Normal.", "Right hip osteoarthritis.", "CT abdomen pelvis"),
        (
            "L4-L5 stenosis.",
            "L4-L5 stenosis, correlate with left leg symptoms.",
            "MRI lumbar spine",
        ),
    ],
)
def test_foreign_finding_never_blocks_a_plausible_impression(
    findings: str, impression: str, exam: str
) -> None:
    assert "FOREIGN_FINDING" not in codes(findings, impression, CheckContext(exam=exam))


RENAL = (
    "A 3.4 cm simple cyst in the right kidney. An increased solid mass in the left kidney "
    "measuring 25 x 12 mm is noted. Renal lengths are 12.5 cm on the right."
)


def test_a_measurement_given_to_another_finding_is_misplaced() -> None:
    wrong = "Increased 3.4 cm left renal solid mass, concerning for renal cell carcinoma."
    assert "NUM_MISPLACED" in codes(RENAL, wrong, CheckContext())
    right = "1. Increased 25 x 12 mm left renal solid mass. 2. 3.4 cm right renal simple cyst."
    assert codes(RENAL, right, CheckContext()) == set()


def test_a_findings_length_on_an_invented_finding_is_misplaced() -> None:
    findings = "Common bile duct dilation, with the duct measuring 12 mm. Cholelithiasis."
    wrong = "1. Cholelithiasis. 2. 12 mm right ovarian simple cyst."
    assert "NUM_MISPLACED" in codes(findings, wrong, CheckContext())
    right = "1. Common bile duct dilation, with the duct measuring 12 mm. 2. Cholelithiasis."
    assert codes(findings, right, CheckContext()) == set()


@pytest.mark.parametrize(
    ("findings", "impression"),
    [
        # a sentence naming two findings: either length may be either one's
        (
            "Cholelithiasis and gallbladder wall thickening to 6 mm, the largest stone 12 mm.",
            "Cholelithiasis, with the largest stone measuring 6 mm.",
        ),
        # the length stated in the sentences after the finding, a prior value too
        (
            "There is a nodule in the right upper lobe. It measures 6 mm. Previously 4 mm. "
            "A 9 mm cyst in the liver.",
            "Increased 6 mm right upper lobe nodule, previously 4 mm.",
        ),
        # a finding the findings measure nowhere: nothing to misplace
        (
            "Large left pleural effusion. A 9 mm nodule in the left lower lobe.",
            "Large left pleural effusion measuring 9 mm.",
        ),
        # a summary term for a finding measured in no finding's sentence
        ("The spleen is enlarged, measuring 15 cm.", "Splenomegaly, 15 cm."),
        # a part's own sentence does not continue the nodule's before it
        (
            "Stable 4 mm right lower lobe nodule. The ascending aorta measures 4.2 cm.",
            "1. Ascending aortic aneurysm, 4.2 cm. 2. Stable 4 mm right lower lobe nodule.",
        ),
        # the same part on the same side: only the name differs
        (
            "A 1.5 cm left adrenal lesion. A 5 mm nodule in the right lower lobe.",
            "1.5 cm left adrenal nodule.",
        ),
        # two findings and two lengths in one sentence
        (
            "Choledocholithiasis measuring 1 cm with biliary dilatation to 9 mm.",
            "Choledocholithiasis, 1 cm, with biliary dilatation to 9 mm.",
        ),
    ],
)
def test_lengths_the_findings_do_not_tie_to_another_finding_are_not_misplaced(
    findings: str, impression: str
) -> None:
    assert "NUM_MISPLACED" not in codes(findings, impression, CheckContext())


@pytest.mark.parametrize(
    ("text", "lowered"),
    [
        ("Left PLEURAL Effusion, 7 MM", "left pleural effusion, 7 mm"),
        ("İ LEFT", "İ left"),  # "İ" grows when lowered: kept so that offsets stay
        ("ÖDEM Σ", "ödem σ"),
    ],
)
def test_lowering_keeps_every_offset(text: str, lowered: str) -> None:
    from python_models.safety.mentions import lower_same_length

    assert lower_same_length(text) == lowered
    assert len(lowered) == len(text)


def test_a_clot_takes_the_vein_it_lies_in() -> None:
    findings = (
        "The right subclavian, axillary and brachial veins are compressible with normal flow. "
        "Occlusive thrombus in the right basilic vein at the elbow."
    )
    clean = (
        "No deep venous thrombosis in the right upper extremity. "
        "Superficial thrombophlebitis of the right basilic vein."
    )
    assert not {w["code"] for w in run_checks(findings, clean) if w["severity"] == "block"}
    # the superficial femoral vein is a deep vein: its clot is deep vein thrombosis
    deep = "Occlusive thrombus in the left superficial femoral vein."
    blocked = run_checks(deep, "No deep venous thrombosis in the left lower extremity.")
    assert {"NEG_FLIP", "CRIT_MISS"} & {w["code"] for w in blocked if w["severity"] == "block"}


def test_an_enlarged_gonad_without_flow_states_torsion() -> None:
    findings = (
        "No arterial or venous flow is detected in the left testis, which is enlarged and "
        "heterogeneous. The right testis is normal with normal flow."
    )
    missed = run_checks(findings, "Small left hydrocele.")
    assert "CRIT_MISS" in {w["code"] for w in missed if w["severity"] == "block"}
    assert not [
        w for w in run_checks(findings, "Left testicular torsion.") if w["severity"] == "block"
    ]
    # either sign alone states nothing: an enlarged testis with flow, absent flow in a normal one
    for alone in (
        "The left testis is enlarged and hyperemic with increased flow.",
        "The left testis is normal in size. No flow is seen in a small left varicocele.",
    ):
        assert "CRIT_MISS" not in {w["code"] for w in run_checks(alone, "Left orchitis.")}


def test_a_structure_of_normal_size_denies_its_enlargement() -> None:
    findings = "Mediastinal and hilar lymph nodes are not enlarged. The lungs are clear."
    flipped = run_checks(findings, "Mediastinal lymphadenopathy.")
    assert "NEG_FLIP" in {w["code"] for w in flipped if w["severity"] == "block"}
    assert not [w for w in run_checks(findings, "No lymphadenopathy.") if w["severity"] == "block"]


def test_an_organ_said_to_be_enlarged_states_its_enlargement() -> None:
    assert not [
        w for w in run_checks("The heart is mildly enlarged. Lungs clear.", "Mild cardiomegaly.")
    ]
    denied = run_checks("The cardiac silhouette is not enlarged. Lungs clear.", "Cardiomegaly.")
    assert "NEG_FLIP" in {w["code"] for w in denied if w["severity"] == "block"}


def test_plural_anatomy_is_anatomy() -> None:
    warned = run_checks(
        "Bilateral fat-containing inguinal hernias. The spermatic cords are unremarkable.",
        "Bilateral fat-containing inguinal hernias.",
        CheckContext(patient_sex="F"),
    )
    assert "SEX_MISMATCH" in {w["code"] for w in warned}
