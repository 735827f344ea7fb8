"""Report wording read the general way (third reading session): a diagnosis its signs state has
the side of their sentence, an extra item on the other side is an invention rather than a swap,
dictation's side abbreviations, signs stated with adjectives between, denials narrowed to a
kind, a part or a time, and relative or elided clauses that speak of the clause before them."""

from __future__ import annotations

import pytest

from python_models.safety.checks import CheckContext, run_checks
from python_models.safety.mentions import parse
from tests.report_check_helpers import severities as codes


def sex_codes(findings: str, impression: str, sex: str, history: str | None = None) -> set[str]:
    """The codes report_check gives for a patient of ``sex`` (with an optional history)."""
    context = CheckContext(patient_sex=sex, indication=history)
    return {w["code"] for w in run_checks(findings, impression, context, read_wording=True)}


def test_a_diagnosis_stated_by_its_signs_takes_their_side() -> None:
    findings = (
        "Occlusive filling defect in the left main pulmonary artery extending into the lobar "
        "branches. Right pulmonary arteries opacify normally."
    )
    assert "LAT_CONTRA" not in codes(findings, "Left main pulmonary artery embolus.")
    assert "LAT_CONTRA" in codes(findings, "Right main pulmonary artery embolus.")
    # an old infarct named on one side does not make the sign-stated one on the other a swap
    head = (
        "Loss of gray-white differentiation in the right insula and lentiform nucleus. "
        "Chronic left occipital infarct."
    )
    assert "LAT_CONTRA" not in codes(head, "Acute right MCA territory infarct. Old left infarct.")


def test_an_extra_item_on_the_other_side_is_ungrounded_not_a_swap() -> None:
    findings = "Right lobe: 9 mm spongiform nodule, TR1. Left lobe: 4.4 x 1.5 cm."
    found = codes(findings, "Stable right 9 mm spongiform nodule. 7 mm left lobe nodule.")
    assert "UNGROUNDED" in found and "LAT_CONTRA" not in found
    # a true swap (the right one not stated) stays a laterality error
    assert "LAT_CONTRA" in codes(
        "Right lobe: 9 mm spongiform nodule.", "9 mm spongiform nodule in the left lobe."
    )


def test_dictations_side_abbreviations_are_sides() -> None:
    findings = "Lt IJ CVC with tip in the SVC. R kidney: normal."
    sides = {m.head: m.side_set for m in parse(findings).mentions}
    assert sides["central venous catheter"] == {"left"}
    assert "LAT_CONTRA" in codes(findings, "Right internal jugular CVC, tip in the SVC.")
    # a letter is a side only before a word: no side in a ratio or a volume
    assert all(not m.side_set for m in parse("R/L ratio normal. 5 L of ascites.").mentions)


def test_a_sign_on_one_side_keeps_an_impression_affirmation_from_flipping() -> None:
    findings = (
        "Right kidney: no hydronephrosis.\nLeft kidney: moderate pelvicalyceal dilatation "
        "with a dilated proximal ureter."
    )
    assert "NEG_FLIP" not in codes(findings, "Moderate left hydroureteronephrosis.")


def test_signs_read_with_adjectives_between_their_words() -> None:
    abscess = "Rim-enhancing, centrally hypodense fluid collection in the left tonsillar fossa."
    assert "CRIT_UNGROUNDED" not in codes(abscess, "Left peritonsillar abscess.")
    assert "CRIT_MISS" in codes(abscess, "Tonsillitis.")
    vq = "Perfusion: segmental perfusion defects in both lower lobes, each mismatched."
    assert "CRIT_UNGROUNDED" not in codes(vq, "High probability for pulmonary embolism.")
    vein = "The left popliteal vein is noncompressible with echogenic intraluminal material."
    assert "CRIT_MISS" in codes(vein, "Left Baker cyst.")
    sah = "Hyperdense material within the left sylvian fissure and basal cisterns."
    assert "CRIT_MISS" in codes(sah, "No acute infarct.")
    cauda = "Large extrusion at L4-5 severely compressing the cauda equina nerve roots."
    assert "CRIT_UNGROUNDED" not in codes(cauda, "L4-5 extrusion with cauda equina compression.")


def test_a_finding_new_since_the_prior_is_urgent() -> None:
    findings = (
        "Filling defect within a right lower lobe segmental pulmonary artery, "
        "not present previously."
    )
    assert "CRIT_MISS" in codes(findings, "Stable right lower lobe nodule.")


def test_denial_cues_read_more_wording() -> None:
    # "no longer visible" denies; "resolution of" and "excludes" deny in the impression
    findings = "The left apical pneumothorax is no longer visible. Chest tube in place."
    assert codes(findings, "Interval resolution of the left pneumothorax.") == {}
    perfusion = "Homogeneous perfusion of both lungs. No perfusion defects."
    assert "CRIT_UNGROUNDED" not in codes(
        perfusion, "Normal study. This excludes pulmonary embolism."
    )
    # a reading after ", highly suspicious for" leaves the denial
    ovary = "Right ovary: enlarged, 6 cm, with no arterial or venous flow on Doppler."
    assert "NEG_FLIP" not in codes(
        ovary, "Enlarged right ovary without flow, highly suspicious for torsion."
    )
    assert "NEG_FLIP" not in codes("Right ovary: not visualized.", "Non-visualized right ovary.")


def test_a_relative_clause_speaks_of_the_clause_before_it() -> None:
    findings = "Mild mass effect on the oropharyngeal airway, which remains patent."
    assert "NEG_FLIP" not in codes(findings, "Peritonsillar cellulitis. Airway patent.")


def test_elided_coordination_shares_its_noun() -> None:
    findings = "C5-6: severe left and mild right neural foraminal stenosis."
    assert "LAT_CONTRA" not in codes(findings, "Severe left neural foraminal stenosis at C5-6.")


def test_a_degree_placed_on_a_side_describes_the_finding_before_it() -> None:
    findings = (
        "Moderate right pleural effusion with right lower lobe atelectasis. Trace left effusion."
    )
    impression = (
        "Bilateral pleural effusions, moderate on the right and trace on the left, with right "
        "lower lobe atelectasis."
    )
    assert "LAT_CONTRA" not in codes(findings, impression)


def test_denials_narrowed_to_a_kind_a_part_or_a_time() -> None:
    nodes = "Right axilla: one lymph node with a 2 mm cortex and preserved fatty hilum."
    assert "NEG_FLIP" not in codes(nodes, "No suspicious right axillary lymphadenopathy.")
    bad_node = "Right level III lymph node, rounded, with loss of the fatty hilum."
    assert "NEG_FLIP" in codes(bad_node, "No suspicious cervical lymph nodes.")
    lesions = "Multiple periventricular FLAIR hyperintense lesions. None demonstrate enhancement."
    assert "NEG_FLIP" not in codes(lesions, "Demyelinating lesions. No enhancing lesions.")
    spine = (
        "Acute nondisplaced fracture of the right L1 transverse process. Vertebral body heights "
        "preserved. No thoracic spine fracture."
    )
    assert "NEG_FLIP" not in codes(
        spine, "Right L1 transverse process fracture. No vertebral body fracture."
    )
    body = "Acute fracture of the L1 vertebral body with 20% height loss."
    assert "NEG_FLIP" in codes(body, "No vertebral body fracture.")
    bleed = "The left parietal intraparenchymal hematoma has decreased in size. No new hemorrhage."
    assert "NEG_FLIP" not in codes(bleed, "Evolving left parietal hematoma. No new bleed.")
    assert "NEG_FLIP" in codes(bleed, "No intracranial hemorrhage.")


def test_lengths_measured_by_a_sign_a_place_or_a_close_rounding() -> None:
    head = "Right basal ganglia intraparenchymal hematoma. 3 mm leftward midline shift."
    assert (
        codes(head, "Right basal ganglia intraparenchymal hemorrhage with 3 mm leftward shift.")
        == {}
    )
    kidneys = "Nonobstructing 3 mm calculus in the lower pole of the right kidney."
    assert "NUM_MISPLACED" not in codes(kidneys, "3 mm nonobstructing right renal calculus.")


def test_a_bone_adjective_names_its_bone() -> None:
    findings = "Transverse fracture of the distal radial metaphysis with dorsal angulation."
    assert "CRIT_MISS" not in codes(findings, "Distal radius fracture with dorsal tilt.")


def test_stating_the_very_kind_the_findings_deny_is_a_flip() -> None:
    findings = (
        "Numerous periventricular FLAIR lesions, unchanged. Post-contrast: no enhancing lesion."
    )
    assert "NEG_FLIP" in codes(findings, "Stable lesion burden; one enhancing lesion.")
    assert "NEG_FLIP" not in codes(findings, "Stable lesion burden without enhancement.")
    # "no other enhancing lesion" excepts the one the findings describe
    one = "A 9 mm right frontal lesion shows ring enhancement; no other enhancing lesions."
    assert "NEG_FLIP" not in codes(one, "One enhancing right frontal lesion; others non-enhancing.")


def test_female_pelvic_spaces_in_a_male_and_the_eyes_adnexa() -> None:
    pelvis = "Small amount of free fluid in the pouch of Douglas. No adnexal mass."
    assert "SEX_MISMATCH" in sex_codes(pelvis, "Trace pelvic free fluid.", "M")
    assert "SEX_MISMATCH" not in sex_codes(pelvis, "Trace pelvic free fluid.", "F")
    orbit = "The orbital adnexa are unremarkable. Globes intact."
    assert "SEX_MISMATCH" not in sex_codes(orbit, "No orbital abnormality.", "M")


def test_an_unplaced_denial_covers_every_side() -> None:
    findings = (
        "Right kidney 10.4 cm, no hydronephrosis. Left kidney 10.9 cm with mild hydronephrosis."
    )
    assert "NEG_FLIP" in codes(findings, "Normal-sized kidneys without hydronephrosis.")
    assert "NEG_FLIP" not in codes(findings, "Mild left hydronephrosis. No right hydronephrosis.")
    # a side relative to another is a place too
    neck = "Right level II node with necrosis. Left neck: no lymphadenopathy."
    assert "NEG_FLIP" not in codes(
        neck, "Necrotic right level II node. No contralateral adenopathy."
    )


def test_a_signs_side_may_come_from_its_lines_header() -> None:
    findings = (
        "RIGHT KIDNEY: 10.8 cm. Echogenic focus with posterior acoustic shadowing in the lower "
        "pole, 7 mm. No hydronephrosis.\n"
        "LEFT KIDNEY: 11.0 cm. No stone or hydronephrosis."
    )
    found = codes(findings, "7 mm nonobstructing lower pole calculus, left kidney.")
    assert "LAT_CONTRA" in found
    assert "LAT_CONTRA" not in codes(findings, "7 mm nonobstructing calculus, right kidney.")
    swapped = (
        "Right kidney: normal. No hydronephrosis.\n"
        "Left kidney: marked pelvicaliectasis with a renal pelvis of 20 mm."
    )
    assert "LAT_CONTRA" in codes(swapped, "Right hydronephrosis.")


def test_a_kind_is_said_in_any_form_of_its_word() -> None:
    findings = "A 12 mm right parietal lesion shows avid enhancement after contrast."
    assert "NEG_FLIP" in codes(findings, "No enhancing lesion.")
    denied = "A 12 mm right parietal lesion without enhancement after contrast."
    assert "NEG_FLIP" not in codes(
        denied, "Nonspecific right parietal lesion. No enhancing lesion."
    )


def test_only_a_stating_sign_keeps_a_denied_finding_affirmable() -> None:
    # absent flow may be thrombosis as well as torsion: the findings' denial of torsion stands
    findings = "Right testis: no intratesticular flow. No torsion; findings favour infarction."
    assert "NEG_FLIP" in codes(findings, "Right testicular torsion.")


def test_pleural_air_is_a_pneumothorax_and_a_superficial_clot_no_dvt() -> None:
    chest = "Fractures of the left 4th and 5th ribs. Air in the anterior left pleural space, 6 mm."
    assert "CRIT_MISS" in codes(chest, "Left 4th and 5th rib fractures.")
    arm = (
        "The brachial and axillary veins are compressible. The cephalic vein in the forearm is "
        "noncompressible with thrombus."
    )
    assert "CRIT_MISS" not in codes(arm, "Superficial thrombophlebitis of the cephalic vein.")
    leg = "The left popliteal vein is distended and noncompressible."
    assert "CRIT_MISS" in codes(leg, "Left calf edema.")


def test_lymph_nodes_described_as_benign_are_no_adenopathy() -> None:
    findings = "Left axilla: three lymph nodes with thin cortices and fatty hila."
    assert "NEG_FLIP" not in codes(findings, "Normal left axilla. No axillary lymphadenopathy.")
    abnormal = (
        "Right axilla: one lymph node with eccentric cortical thickening and effacement of the "
        "fatty hilum."
    )
    assert "NEG_FLIP" in codes(abnormal, "No suspicious right axillary lymphadenopathy.")
    # a benign node the impression adds is still a statement the findings must make
    assert "UNGROUNDED" in codes(
        "No suspicious mass or calcification.", "Benign intramammary lymph node."
    )


def test_lengths_of_a_change_or_a_mean() -> None:
    aneurysm = "Infrarenal aneurysm, 5.6 cm (5.1 cm a year ago). Eccentric mural thrombus."
    assert codes(aneurysm, "5.6 cm infrarenal AAA with 5 mm interval growth.") == {}
    nodule = "Right upper lobe solid nodule, 6 x 5 mm, unchanged for 2 years."
    assert "NUM_MISMATCH" not in codes(nodule, "Stable 6 mm (mean 5.5 mm) right upper lobe nodule.")
    assert "NUM_MISMATCH" in codes(nodule, "Stable 6 mm (mean 4.5 mm) right upper lobe nodule.")


def test_a_denial_wider_than_the_findings_own_is_a_flip() -> None:
    findings = "Enlarged subcarinal lymph node, 1.6 cm short axis. No hilar adenopathy."
    assert "NEG_FLIP" in codes(findings, "No thoracic lymphadenopathy.")
    assert "NEG_FLIP" not in codes(findings, "Enlarged subcarinal node. No hilar adenopathy.")
    # a header whose line opens with a denial is a label, not a statement of its finding
    header = "Lymph nodes: No pelvic lymphadenopathy."
    assert "NEG_FLIP" not in codes(header, "No adenopathy.")
    goiter = "Innumerable spongiform nodules, largest 2.6 cm (TR1). No solid nodules."
    assert "NEG_FLIP" not in codes(
        goiter, "Multinodular goiter. No nodules meeting criteria for FNA."
    )


def test_critical_signs_read_this_session() -> None:
    ivh = "Dependent hyperdense fluid layering in the occipital horns of both lateral ventricles."
    assert "CRIT_MISS" in codes(ivh, "Chronic small vessel ischemic disease.")
    air = "Several small foci of gas along the falciform ligament, outside of the bowel lumen."
    assert "CRIT_MISS" in codes(air, "Duodenal wall thickening.")
    ectopic = (
        "Left adnexa: separate from the left ovary, a 2 cm echogenic ring-like structure with "
        "peripheral vascularity."
    )
    assert "CRIT_MISS" in codes(ectopic, "No intrauterine pregnancy. Left corpus luteum.")
    coin = "A 2 cm round radiopaque foreign body projects over the proximal esophagus."
    assert "CRIT_MISS" not in codes(coin, "Coin lodged in the proximal esophagus.")
    # an obstruction is not covered by a hernia the impression calls fat-containing
    sbo = (
        "Dilated small bowel loops with an abrupt change in caliber. "
        "Fat-containing umbilical hernia."
    )
    assert "CRIT_MISS" in codes(sbo, "Small fat-containing umbilical hernia.")


def test_a_clot_stopping_short_of_a_deep_vein_is_superficial() -> None:
    findings = (
        "The left basilic vein is noncompressible with occlusive thrombus, ending 3 cm before "
        "its junction with the axillary vein."
    )
    assert codes(findings, "Superficial thrombophlebitis of the left basilic vein. No DVT.") == {}


def test_instructions_and_volumes() -> None:
    tubes = "ETT tip 2 cm above the carina."
    assert "NUM_MISMATCH" not in codes(
        tubes, "ETT tip 2 cm above the carina; consider withdrawing 1-2 cm."
    )
    tendon = "Full-thickness supraspinatus tear with retraction of 2.5 cm."
    assert "NUM_MISMATCH" in codes(tendon, "Full-thickness supraspinatus tear, retracted 1.5 cm.")
    perfusion = "CBF <30% volume 21 mL; Tmax >6 s volume 118 mL; mismatch volume 97 mL."
    assert "NUM_MISMATCH" in codes(perfusion, "Core 12 mL, penumbra 97 mL.")
    assert "NUM_MISMATCH" not in codes(perfusion, "Core 21 cc, penumbra 97 mL.")
    drain = "60 mL of purulent fluid aspirated."
    assert "NUM_MISMATCH" not in codes(
        drain, "60 mL of pus aspirated. Flush with 10 mL saline daily."
    )


def test_operations_on_the_organs_of_one_sex() -> None:
    def history_codes(history: str, sex: str) -> set[str]:
        return sex_codes("Normal study.", "Normal.", sex, history)

    assert "SEX_MISMATCH" in history_codes("Pre-operative for hysterectomy.", "M")
    assert "SEX_MISMATCH" in history_codes("Status post orchiectomy for seminoma.", "F")
    assert "SEX_MISMATCH" not in history_codes("Status post orchiectomy for seminoma.", "M")
    assert "SEX_MISMATCH" in history_codes("Follow-up of BPH and a left spermatocele.", "F")
    assert "SEX_MISMATCH" in history_codes("Fetal heart rate 150 bpm.", "M")
    # fetal lobulation is a kidney's, in either sex
    assert "SEX_MISMATCH" not in history_codes(
        "Persistent fetal lobulation of the left kidney.", "M"
    )


def test_an_acute_finding_grounded_only_by_an_old_one_is_invented() -> None:
    findings = (
        "Small old lacunar infarct in the left thalamus. Scattered white matter hyperintensities."
    )
    assert "CRIT_UNGROUNDED" in codes(findings, "Small acute infarct in the left thalamus.")
    assert "CRIT_UNGROUNDED" not in codes(findings, "Old left thalamic lacunar infarct.")
    signs = "Restricted diffusion in the left thalamus. Old right cerebellar infarct."
    assert "CRIT_UNGROUNDED" not in codes(
        signs, "Acute left thalamic infarct. Old right cerebellar infarct."
    )


def test_fourth_read_set_wording() -> None:
    aaa = "Infrarenal aortic aneurysm, maximal diameter 4.2 x 4.0 cm."
    guidance = (
        "42 mm infrarenal AAA. Per SVS guidance, surveillance yearly for aneurysms of 4.0-4.9 cm."
    )
    assert "NUM_MISMATCH" not in codes(aaa, guidance)
    thyroid = "Incidental 1.1 cm hypodense nodule in the left thyroid lobe."
    # a bound counts as a threshold only in a sentence naming a guideline
    assert "NUM_MISMATCH" in codes(thyroid, "Left thyroid nodule measuring under 1.5 cm.")
    assert "NUM_MISMATCH" not in codes(
        thyroid, "1.1 cm left thyroid nodule; per ACR guidance (under 1.5 cm) no workup."
    )
    cord = (
        "Epidural tumor at T8 obliterating the CSF around the cord. 40% loss of T8 vertebral "
        "body height."
    )
    assert "CRIT_UNGROUNDED" not in codes(cord, "T8 pathologic fracture with cord compression.")
    nec = "Bubbly lucencies within the bowel wall in the right lower quadrant."
    assert "CRIT_UNGROUNDED" not in codes(nec, "Pneumatosis intestinalis.")
    glass = "A 3 mm linear radiopaque shard in the plantar soft tissues."
    assert "CRIT_UNGROUNDED" not in codes(glass, "3 mm radiopaque foreign body, likely glass.")
    carotid = "Right carotid: residual lumen 1.6 mm (NASCET approximately 70%).\nLeft: mild plaque."
    assert "LAT_CONTRA" not in codes(
        carotid, "Severe stenosis of the right internal carotid artery."
    )
    cyst = "Right breast 2 o'clock: 8 x 6 x 5 mm anechoic, oval, circumscribed mass."
    assert "NUM_MISPLACED" not in codes(cyst, "0.8 cm simple cyst at right 2:00.")
    ob = "Small crescentic subchorionic hemorrhage measuring 1.5 x 0.6 cm."
    assert "CRIT_MISS" not in codes(ob, "Small subchorionic hematoma.")
    spine = "L5-S1: mild bulge. Moderate bilateral facet arthropathy."
    assert "LAT_CONTRA" not in codes(
        spine, "Degenerative change at L5-S1 with bilateral neuroforaminal narrowing."
    )
    line = "Left internal jugular catheter, tip over the proximal right pulmonary artery."
    assert "LAT_CONTRA" not in codes(line, "L IJ catheter, tip in the proximal R PA.")


def test_emergency_wording_read_from_a_fifth_read_set() -> None:
    sulcus = "The left costophrenic sulcus is abnormally deep and lucent."
    assert "CRIT_UNGROUNDED" not in codes(sulcus, "Deep sulcus sign: left pneumothorax.")
    uncus = "Large left subdural hematoma. The left uncus is herniated medially."
    assert "CRIT_UNGROUNDED" not in codes(uncus, "Left subdural hematoma with uncal herniation.")
    sbo = "Dilated gas-filled loops of small bowel with air-fluid levels in a step-ladder pattern."
    assert "CRIT_UNGROUNDED" not in codes(sbo, "Small bowel obstruction.")
    imh = "Crescentic hyperdense thickening of the descending aortic wall up to 11 mm."
    assert "CRIT_UNGROUNDED" not in codes(imh, "Type B intramural hematoma, 11 mm.")
    spleen = "Wedge-shaped hypoenhancing region in the spleen."
    assert "CRIT_UNGROUNDED" not in codes(spleen, "Splenic infarct.")
    stroke = "Old right occipital infarct."
    assert "CRIT_UNGROUNDED" in codes(stroke, "Acute left MCA infarct.")
    ask = "Intimal flap in the left vertebral artery V3 segment."
    assert "CRIT_UNGROUNDED" not in codes(
        ask,
        "Left vertebral dissection. Recommend MRI to assess for posterior circulation infarction.",
    )


def test_negated_forms_of_normal_words_and_narrowed_places() -> None:
    veins = (
        "The left femoral and popliteal veins are distended and non-compressible with thrombus. "
        "There is no flow in the popliteal vein and only peripheral flow in the femoral vein."
    )
    assert "NEG_FLIP" not in codes(veins, "Acute DVT of the left femoral and popliteal veins.")
    spine = "Large L4-L5 extrusion with severe canal compromise. Other levels without stenosis."
    assert "NEG_FLIP" not in codes(spine, "L4-L5 extrusion with severe canal stenosis.")
    chest = (
        "Complete opacification of the left hemithorax with volume loss. The right lung is clear."
    )
    assert "LAT_CONTRA" not in codes(chest, "Complete collapse of the left lung.")


def test_sixth_read_set_wording() -> None:
    assert "NUM_MISMATCH" not in codes("Right ICA PSV 186 cm/s.", "Right ICA PSV 186 cm/s.")
    velocity = "Left ICA PSV 186 cm/s, EDV 52 cm/s."
    assert "NUM_MISMATCH" in codes(velocity, "Left ICA stenosis (PSV 168 cm/s).")
    renal = "Main renal artery PSV 110 cm/s on the right, 95 cm/s on the left."
    assert "NUM_MISMATCH" not in codes(
        renal, "No renal artery stenosis: velocities below 180-200 cm/s."
    )
    slip = "Grade 1 anterolisthesis of L4 on L5: 6 mm neutral, 7 mm flexion, 6 mm extension."
    assert "NUM_MISMATCH" not in codes(slip, "Stable L4-5 anterolisthesis (1 mm translation).")
    picc = "Catheter tip at the cavoatrial junction."
    assert "NUM_MISMATCH" not in codes(
        picc, "A 42 cm, 5 Fr double-lumen PICC, tip at the cavoatrial junction."
    )
    surgery = "Post-surgical changes of left mastectomy and left axillary dissection."
    assert "CRIT_MISS" not in codes(surgery, "Postsurgical changes of left mastectomy.")
    biopsy = "Post-procedure CT: small apical pneumothorax and mild perilesional hemorrhage."
    assert "CRIT_MISS" not in codes(biopsy, "Successful biopsy. Small pneumothorax, stable.")
    ribs = "Healed left 5th and 6th rib fractures. No acute rib fracture."
    assert "NEG_FLIP" not in codes(ribs, "No acute fracture. Healed left rib fractures.")
    nodes = "Subcentimeter mediastinal lymph nodes, not enlarged by size criteria."
    assert "NEG_FLIP" not in codes(nodes, "No thoracic lymphadenopathy.")
    pelvis = "Right kidney with dilatation of the renal pelvis. Left kidney without hydronephrosis."
    assert "NEG_FLIP" not in codes(pelvis, "Mild right hydronephrosis.")


# A review of this session's rules found each of these missed; each must still be caught.
@pytest.mark.parametrize(
    ("findings", "impression", "code"),
    [
        (
            "Small bowel obstruction with a transition point.",
            "Dilated bowel loops, likely ileus.",
            "CRIT_MISS",
        ),
        ("Acute left subdural hematoma.", "Left subdural collection, likely hygroma.", "CRIT_MISS"),
        (
            "The pulmonary arteries are otherwise unremarkable without pulmonary embolism.",
            "Right lower lobe pulmonary embolism.",
            "NEG_FLIP",
        ),
        ("Post-biopsy moderate left pneumothorax.", "No acute abnormality.", "CRIT_MISS"),
        (
            "Intimal flap in the descending aorta with a patent false lumen.",
            "No acute abnormality.",
            "CRIT_MISS",
        ),
        ("New left lateral medullary infarct.", "No acute intracranial abnormality.", "CRIT_MISS"),
        (
            "No pulmonary embolism. Lungs clear.",
            "Acute right lower lobe pulmonary embolism, recommend echocardiogram to assess strain.",
            "NEG_FLIP",
        ),
        ("Fracture: No displacement of the distal radius fragments.", "No fracture.", "NEG_FLIP"),
        ("Left pneumothorax, right lung is well expanded.", "Right pneumothorax.", "LAT_CONTRA"),
        (
            "Pelvicaliectasis of the left kidney, the right kidney is normal. "
            "No right hydronephrosis.",
            "Right hydronephrosis.",
            "NEG_FLIP",
        ),
        (
            "RIGHT:\nProximal ICA PSV 95 cm/s, EDV 25 cm/s.\nMid ICA PSV 310 cm/s, EDV 120 cm/s.",
            "Right ICA stenosis of less than 50%.",
            "NUM_MISMATCH",
        ),
        (
            "No hydronephrosis, large enhancing mass in the left kidney.",
            "No enhancing renal mass.",
            "NEG_FLIP",
        ),
        ("Bulky retroperitoneal lymph nodes up to 4 cm.", "No lymphadenopathy.", "NEG_FLIP"),
        (
            "Aortic aneurysm measuring 5.2 cm.",
            "Aortic aneurysm, 7.2 cm, post stent graft repair.",
            "NUM_MISMATCH",
        ),
    ],
)
def test_the_session_rules_do_not_hide_these_errors(
    findings: str, impression: str, code: str
) -> None:
    assert code in codes(findings, impression)


def test_a_volume_in_litres_is_no_side() -> None:
    assert "LAT_CONTRA" not in codes(
        "Right pleural effusion.", "Approximately 1 L effusion, right hemithorax."
    )
