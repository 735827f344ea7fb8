"""More exams for the synthetic corpus: extremity radiographs, CTA head and neck, CT cervical
spine, thyroid and scrotal ultrasound, screening mammography.

Same dataclasses and conventions as `export.corpus_catalog` (read its docstring). Everything here
is data; nothing is registered in the generator until the corpus merges these dicts.

Notes for the generator
- No exam here is ``sided``: a fact takes its side from its own location. In the single-side
  exams (``SINGLE_SIDE_EXAMS``: one wrist, one knee, ...) every location of every finding names
  exactly one side, "left" or "right", in left/right pairs, so a generator that wants one side
  per report can keep the locations holding the side it drew.
- ``MORE_EXCLUSIVE``: finding pairs that would contradict each other in one report.
- Exam names carry a modality word that ``python_models.exams.modality_of`` reads (it does not
  know "mammogram", hence "XR MAMMOGRAM ...").
- Normal sentences hold no ``{placeholders}``: the generator formats every normal.
"""

from __future__ import annotations

from export.corpus_catalog import Exam, Finding, Organ

_F = Finding


def _pairs(*sites: str) -> tuple[str, ...]:
    """Each site on the left and on the right: "{s}" in a site marks where the side goes."""
    return tuple(site.replace("{s}", side) for site in sites for side in ("left", "right"))


_FX = ("acute nondisplaced", "acute minimally displaced", "acute displaced")
_BREAST = (
    "left breast at 2 o'clock",
    "right breast at 10 o'clock",
    "left breast at 6 o'clock",
    "right breast at 12 o'clock",
    "upper outer quadrant of the left breast",
    "upper outer quadrant of the right breast",
    "retroareolar left breast",
    "retroareolar right breast",
)
_THYROID = (
    "right thyroid lobe",
    "left thyroid lobe",
    "thyroid isthmus",
    "lower pole of the right thyroid lobe",
    "upper pole of the left thyroid lobe",
)
_BIRADS_0 = ". BI-RADS 0: Incomplete"

# fmt: off
MORE_FINDINGS: dict[str, Finding] = {f.key: f for f in (
    # ---------------------------------------------------------------- XR wrist
    _F("wrist_fracture", "wrist fracture", "ext_bones", "fracture",
        locs=_pairs("{s} distal radius", "{s} scaphoid waist", "{s} ulnar styloid"),
        sev=("acute nondisplaced", "acute minimally displaced", "acute comminuted"),
        change_ok=False, rank=7, term="fracture"),
    _F("wrist_swelling", "soft tissue swelling", "ext_soft", "soft tissue swelling", article="",
        style="prep", prep="over the", imp_style="prep",
        locs=_pairs("dorsum of the {s} wrist", "{s} radial styloid"), sev=("mild", "moderate"),
        change_ok=False, rank=3, term="swelling"),
    _F("wrist_foreign_body", "foreign body", "ext_soft", "radiopaque foreign body", style="prep",
        imp_style="prep",
        locs=_pairs("volar soft tissues of the {s} wrist", "dorsal soft tissues of the {s} hand"),
        sizes=(2, 12), change_ok=False, rank=6, term="foreign body"),
    _F("wrist_oa", "osteoarthritis", "ext_joints", "osteoarthritis", article="", style="prep",
        prep="of the",
        locs=_pairs("{s} first carpometacarpal joint", "{s} scaphotrapeziotrapezoid joint"),
        sev=("mild", "moderate"), minor=True, change_ok=False, rank=1, term="osteoarthritis"),
    # ---------------------------------------------------------------- XR ankle
    _F("ankle_fracture", "ankle fracture", "ext_bones", "fracture",
        locs=_pairs("{s} lateral malleolus", "{s} medial malleolus", "{s} distal fibula",
                    "{s} fifth metatarsal base"),
        sev=_FX, change_ok=False, rank=7, term="fracture"),
    _F("ankle_effusion", "joint effusion", "ext_joints", "joint effusion",
        locs=_pairs("{s} tibiotalar"), sev=("small", "moderate", "large"), rank=4,
        term="effusion"),
    _F("ankle_swelling", "soft tissue swelling", "ext_soft", "soft tissue swelling", article="",
        style="prep", prep="over the", imp_style="prep",
        locs=_pairs("{s} lateral malleolus", "{s} medial malleolus"),
        sev=("mild", "moderate", "marked"), change_ok=False, rank=3, term="swelling"),
    _F("ankle_foreign_body", "foreign body", "ext_soft", "radiopaque foreign body", style="prep",
        imp_style="prep", locs=_pairs("plantar soft tissues of the {s} heel"), sizes=(2, 10),
        change_ok=False, rank=6, term="foreign body"),
    _F("ankle_spur", "calcaneal enthesophyte", "ext_bones", "calcaneal enthesophyte",
        locs=_pairs("{s} plantar", "{s} posterior"), sev=("small", "moderate"), minor=True,
        change_ok=False, rank=1, term="enthesophyte"),
    # ---------------------------------------------------------------- XR knee
    _F("knee_fracture", "knee fracture", "ext_bones", "fracture",
        locs=_pairs("{s} lateral tibial plateau", "{s} patellar|{s} patella", "{s} fibular head"),
        sev=_FX, change_ok=False, rank=7, term="fracture"),
    _F("knee_effusion", "joint effusion", "ext_joints", "joint effusion",
        locs=_pairs("{s} knee"), sev=("small", "moderate", "large"), rank=4, term="effusion"),
    _F("knee_lipohemarthrosis", "lipohemarthrosis", "ext_joints", "lipohemarthrosis",
        article="", locs=_pairs("{s} knee"),
        imp_suffix=", compatible with an intra-articular fracture", change_ok=False, rank=8,
        term="lipohemarthrosis"),
    _F("knee_oa", "osteoarthritis", "ext_joints", "osteoarthritis", article="", style="prep",
        prep="of the",
        locs=_pairs("{s} knee", "medial compartment of the {s} knee",
                    "patellofemoral compartment of the {s} knee"),
        sev=("mild", "moderate"), minor=True, change_ok=False, rank=1, term="osteoarthritis"),
    # ---------------------------------------------------------------- XR hip
    _F("hip_fracture", "hip fracture", "ext_bones", "fracture",
        locs=_pairs("{s} femoral neck", "{s} intertrochanteric", "{s} superior pubic ramus"),
        sev=("acute nondisplaced", "acute displaced", "acute impacted"), change_ok=False,
        rank=8, term="fracture"),
    _F("hip_sclerotic_lesion", "sclerotic lesion", "ext_bones", "sclerotic lesion",
        style="prep", locs=_pairs("{s} femoral head", "{s} femoral neck"), sizes=(4, 15),
        lesion=True, rank=3, imp_suffix=", likely a bone island", term="sclerotic"),
    _F("hip_oa", "osteoarthritis", "ext_joints", "osteoarthritis", article="", style="prep",
        prep="of the", locs=_pairs("{s} hip"), sev=("mild", "moderate"), minor=True,
        change_ok=False, rank=1, term="osteoarthritis"),
    # ---------------------------------------------------------------- XR shoulder
    _F("shoulder_fracture", "shoulder fracture", "ext_bones", "fracture",
        locs=_pairs("{s} humeral surgical neck", "{s} greater tuberosity",
                    "{s} midshaft clavicular|{s} clavicle"),
        sev=_FX, change_ok=False, rank=7, term="fracture"),
    _F("shoulder_dislocation", "glenohumeral dislocation", "ext_joints",
        "glenohumeral dislocation", locs=_pairs("{s} anterior", "{s} posterior"),
        change_ok=False, rank=9, term="dislocation"),
    _F("shoulder_calcific_tendinosis", "calcific tendinosis", "ext_soft", "calcific tendinosis",
        article="", style="prep", prep="of the", imp_style="prep",
        locs=_pairs("{s} supraspinatus tendon"), rank=3, term="calcific"),
    _F("shoulder_oa", "osteoarthritis", "ext_joints", "osteoarthritis", article="",
        style="prep", prep="of the",
        locs=_pairs("{s} acromioclavicular joint", "{s} glenohumeral joint"),
        sev=("mild", "moderate"), minor=True, change_ok=False, rank=1, term="osteoarthritis"),
    # ---------------------------------------------------------------- CTA head and neck
    _F("cta_lvo", "large vessel occlusion", "cta_intracranial", "occlusion", style="prep",
        prep="of the", imp_style="prep",
        locs=("M1 segment of the left middle cerebral artery",
              "M1 segment of the right middle cerebral artery",
              "left internal carotid artery terminus", "right internal carotid artery terminus",
              "basilar artery"),
        sev=("acute",), critical=True, change_ok=False, rank=10, term="occlusion"),
    _F("cta_aneurysm", "intracranial aneurysm", "cta_intracranial", "aneurysm", style="prep",
        prep="arising from the",
        locs=("anterior communicating artery", "left posterior communicating artery",
              "right posterior communicating artery", "left middle cerebral artery bifurcation",
              "right middle cerebral artery bifurcation", "basilar tip|basilar artery tip"),
        sizes=(2, 9), lesion=True, hedge_ok=True, rank=8, term="aneurysm"),
    _F("cta_carotid_stenosis", "carotid stenosis", "cta_carotids", "stenosis", article="",
        style="prep", prep="of the", imp_style="prep",
        locs=("proximal left internal carotid artery", "proximal right internal carotid artery"),
        sev=("less than 50%", "approximately 50%", "approximately 60%", "approximately 70%",
             "approximately 80%", "approximately 90%"),
        imp_suffix=" by NASCET criteria", change_ok=False, rank=6, term="stenosis"),
    _F("cta_plaque", "atherosclerotic plaque", "cta_carotids", "calcified atherosclerotic plaque",
        article="", style="prep", prep="at the",
        locs=("left carotid bifurcation", "right carotid bifurcation", "carotid bifurcations"),
        sev=("mild", "moderate"), minor=True, change_ok=False, rank=1, term="plaque"),
    _F("cta_vertebral_hypoplasia", "vertebral artery hypoplasia", "cta_vertebrals",
        "vertebral artery hypoplasia", article="", locs=("left", "right"), minor=True,
        change_ok=False, rank=1, term="hypoplas"),
    # ---------------------------------------------------------------- CT cervical spine
    _F("cs_fracture", "cervical spine fracture", "cs_vertebrae", "fracture",
        locs=("type II odontoid", "C1 anterior arch", "C5 vertebral body", "C6 spinous process",
              "C7 spinous process", "right C6 lamina", "left C5 lateral mass"),
        sev=("acute", "acute nondisplaced", "acute minimally displaced"), critical=True,
        change_ok=False, rank=10, term="fracture"),
    _F("cs_anterolisthesis", "anterolisthesis", "cs_alignment", "anterolisthesis", article="",
        style="prep", prep="of", imp_style="prep", locs=("C3 on C4", "C4 on C5", "C5 on C6"),
        sev=("grade 1",), imp_suffix=", likely degenerative", change_ok=False, rank=3,
        term="listhesis"),
    _F("cs_canal_narrowing", "spinal canal narrowing", "cs_discs", "spinal canal narrowing",
        article="", style="prep", prep="at", imp_style="prep",
        locs=("C4-C5", "C5-C6", "C6-C7"), sev=("mild", "moderate"), change_ok=False, rank=3,
        term="canal"),
    _F("cs_degeneration", "degenerative changes", "cs_discs", "degenerative changes",
        article="pl", style="prep", prep="at",
        locs=("C5-C6", "C6-C7", "C4-C5 and C5-C6", "C5-C6 and C6-C7"), sev=("mild", "moderate"),
        minor=True, change_ok=False, rank=1, term="degenerat"),
    # ---------------------------------------------------------------- US thyroid
    _F("thyroid_tr5_nodule", "thyroid nodule", "thyroid_gland",
        "solid hypoechoic nodule with punctate echogenic foci", style="prep", imp_style="prep",
        locs=_THYROID, sizes=(10, 30), lesion=True,
        imp_suffix=", ACR TI-RADS 5; fine-needle aspiration is recommended", rank=8,
        term="nodule"),
    _F("thyroid_tr4_nodule", "thyroid nodule", "thyroid_gland", "solid hypoechoic nodule",
        style="prep", imp_style="prep", locs=_THYROID, sizes=(15, 35), lesion=True,
        imp_suffix=", ACR TI-RADS 4; fine-needle aspiration is recommended", rank=7,
        term="nodule"),
    _F("thyroid_tr3_nodule", "thyroid nodule", "thyroid_gland", "solid isoechoic nodule",
        style="prep", imp_style="prep", locs=_THYROID, sizes=(15, 24), lesion=True,
        imp_suffix=", ACR TI-RADS 3; follow-up ultrasound in 1, 3, and 5 years is recommended",
        rank=5, term="nodule"),
    _F("thyroid_tr1_nodule", "thyroid nodule", "thyroid_gland", "spongiform nodule",
        style="prep", imp_style="prep", locs=_THYROID, sizes=(5, 30), lesion=True,
        imp_suffix=", ACR TI-RADS 1; no further evaluation is needed", rank=2, term="nodule"),
    _F("thyroid_goiter", "multinodular goiter", "thyroid_gland",
        "enlarged heterogeneous thyroid gland with multiple subcentimeter nodules",
        imp_suffix=", compatible with multinodular goiter", change_ok=False, rank=4,
        term="goiter"),
    _F("thyroiditis", "thyroiditis", "thyroid_gland",
        "diffusely heterogeneous and hypervascular thyroid parenchyma", article="",
        imp_suffix=", compatible with thyroiditis", change_ok=False, rank=5,
        term="thyroiditis"),
    _F("thyroid_node", "lymphadenopathy", "thyroid_nodes",
        "lymph node with loss of the fatty hilum",
        locs=("left level III", "right level III", "left level IV", "right level IV"),
        sizes=(8, 20), lesion=True, imp_suffix=", indeterminate; consider tissue sampling",
        rank=6, term="lymph node"),
    # ---------------------------------------------------------------- US scrotum
    _F("testicular_torsion", "testicular torsion", "testes",
        "testicular torsion with absent intratesticular flow", article="",
        locs=("left", "right"), critical=True, change_ok=False, sex="M", rank=10,
        term="torsion"),
    _F("testicular_mass", "testicular mass", "testes", "solid hypoechoic mass", style="prep",
        imp_style="prep",
        locs=("left testis", "right testis", "upper pole of the left testis",
              "lower pole of the right testis"),
        sizes=(6, 35), dims=2, lesion=True, change_ok=False, sex="M", rank=9,
        imp_suffix=", concerning for testicular neoplasm; urology referral is recommended",
        term="\\bmass"),
    _F("testicular_microlithiasis", "testicular microlithiasis", "testes",
        "testicular microlithiasis", article="", locs=("bilateral", "left", "right"),
        change_ok=False, sex="M", rank=2, term="microlithiasis"),
    _F("epididymitis", "epididymitis", "epididymides", "epididymis", locs=("left", "right"),
        sev=("enlarged, hyperemic",), imp_suffix=", compatible with acute epididymitis",
        change_ok=False, sex="M", rank=7, term="epididym"),
    _F("epididymal_cyst", "epididymal cyst", "epididymides", "cyst", style="prep",
        locs=("left epididymal head", "right epididymal head"), sizes=(3, 12), lesion=True,
        minor=True, sex="M", rank=1, term="cyst"),
    _F("scrotal_hydrocele", "hydrocele", "scrotal_sac", "hydrocele", plural="hydroceles",
        locs=("left", "right", "bilateral"), sev=("small", "moderate", "large"), sex="M",
        rank=2, term="hydrocele"),
    _F("scrotal_varicocele", "varicocele", "scrotal_sac", "varicocele", plural="varicoceles",
        locs=("left", "left", "right", "bilateral"), sev=("small", "moderate", "large"), sex="M",
        rank=3, term="varicocele"),
    # ---------------------------------------------------------------- screening mammography
    _F("mammo_mass", "breast mass", "breasts", "mass", style="prep", imp_style="prep",
        locs=_BREAST, sizes=(5, 25), sev=("irregular", "oval", "round"), change_ok=False,
        sex="F", rank=8,
        imp_suffix="; recommend diagnostic mammography and ultrasound" + _BIRADS_0,
        term="\\bmass"),
    _F("mammo_calcifications", "breast calcifications", "breasts", "calcifications",
        article="pl", style="prep", imp_style="prep", locs=_BREAST,
        sev=("grouped amorphous", "grouped fine pleomorphic", "grouped coarse heterogeneous"),
        change_ok=False, sex="F", rank=7,
        imp_suffix="; recommend diagnostic mammography with magnification views" + _BIRADS_0,
        term="calcification"),
    _F("mammo_distortion", "architectural distortion", "breasts", "architectural distortion",
        article="", style="prep", imp_style="prep", locs=_BREAST, change_ok=False, sex="F",
        rank=8, imp_suffix="; recommend diagnostic mammography and ultrasound" + _BIRADS_0,
        term="distortion"),
    _F("mammo_asymmetry", "asymmetry", "breasts", "asymmetry", style="prep", imp_style="prep",
        locs=_BREAST, sev=("focal",), change_ok=False, sex="F", rank=6,
        imp_suffix="; recommend diagnostic mammography" + _BIRADS_0, term="asymmetr"),
)}
# fmt: on

_O = Organ
# fmt: off
MORE_ORGANS: dict[str, Organ] = {o.key: o for o in (
    # extremity radiographs (shared by the five XR exams)
    _O("ext_bones", ("Bones", "Osseous structures"), (
        "There is no acute fracture.|fracture",
        "No acute fracture or focal osseous lesion.|fracture, osseous lesion",
        "Bone mineralization is normal. No acute fracture.|fracture",
        "+No acute fracture is seen.|fracture",
        "+The bones are intact without acute fracture.|fracture",
        "+No evidence of acute fracture.|fracture",
        "~No fracture or focal bone lesion is identified.|fracture, bone lesion",
    )),
    _O("ext_joints", ("Joints", "Alignment and joints", "Joint spaces"), (
        "Joint spaces are preserved. No dislocation.|dislocation",
        "Alignment is normal. Joint spaces are maintained.|",
        "No joint effusion or dislocation.|joint effusion, dislocation",
        "+Normal alignment without dislocation.|dislocation",
        "+The joint spaces are preserved, and alignment is normal.|",
        "+No significant degenerative change. No dislocation.|degenerative change, dislocation",
        "~Articular alignment is maintained without joint space narrowing.|joint space "
        "narrowing",
    )),
    _O("ext_soft", ("Soft tissues", "Periarticular soft tissues"), (
        "The soft tissues are unremarkable.|",
        "No soft tissue swelling or radiopaque foreign body.|soft tissue swelling, radiopaque "
        "foreign body",
        "Soft tissues are within normal limits.|",
        "+Unremarkable soft tissues.|",
        "+No radiopaque foreign body. Soft tissues are normal.|radiopaque foreign body",
        "+There is no soft tissue swelling.|soft tissue swelling",
        "~The surrounding soft tissues appear normal.|",
    )),
    # CTA head and neck
    _O("cta_intracranial", ("Intracranial arteries", "Head CTA", "Intracranial circulation"), (
        "No large vessel occlusion.|large vessel occlusion",
        "The intracranial arteries are patent without large vessel occlusion or aneurysm."
        "|large vessel occlusion, aneurysm",
        "+Patent anterior and posterior intracranial circulation. No large vessel occlusion."
        "|large vessel occlusion",
        "~Intracranial arterial opacification is normal, with no occlusion or aneurysm."
        "|occlusion, aneurysm",
    )),
    _O("cta_carotids", ("Cervical carotid arteries", "Carotid arteries", "Neck CTA"), (
        "The cervical carotid arteries are patent without stenosis or dissection.|stenosis, "
        "dissection",
        "No carotid stenosis by NASCET criteria. No dissection.|carotid stenosis, dissection",
        "+Patent common and internal carotid arteries without dissection.|dissection",
        "~Normal caliber carotid arteries without narrowing or dissection.|narrowing, "
        "dissection",
    )),
    _O("cta_vertebrals", ("Vertebral arteries", "Vertebrobasilar system"), (
        "The vertebral arteries are patent without stenosis or dissection.|stenosis, dissection",
        "Normal vertebral arteries.|",
        "+Both vertebral arteries are patent.|",
        "+No vertebral artery stenosis or dissection.|vertebral artery stenosis, dissection",
        "~The vertebrobasilar system is unremarkable.|",
    )),
    _O("cta_arch", ("Aortic arch", "Aortic arch and great vessels"), (
        "Normal three-vessel aortic arch.|",
        "The aortic arch and great vessel origins are patent.|",
        "+Patent great vessel origins without significant stenosis.|stenosis",
        "+Conventional aortic arch branching. The great vessel origins are patent.|",
        "~Unremarkable aortic arch and arch vessels.|",
    )),
    _O("cta_neck", ("Neck soft tissues", "Other neck structures"), (
        "The visualized soft tissues of the neck are unremarkable.|",
        "No neck mass or lymphadenopathy.|neck mass, lymphadenopathy",
        "+Unremarkable soft tissues of the neck.|",
        "+The included lung apices and neck soft tissues are clear.|",
        "~No mass or enlarged lymph node in the neck.|mass, enlarged lymph node",
    )),
    # CT cervical spine
    _O("cs_alignment", ("Alignment", "Cervical alignment"), (
        "Normal alignment of the cervical spine.|",
        "Cervical alignment is maintained. No traumatic malalignment.|traumatic malalignment",
        "+The cervical vertebrae are normally aligned.|",
        "+No subluxation or malalignment.|subluxation, malalignment",
        "~Cervical alignment is preserved.|",
    )),
    _O("cs_vertebrae", ("Vertebrae", "Osseous structures", "Bones"), (
        "No acute fracture of the cervical spine.|fracture",
        "Vertebral body heights are preserved. No acute fracture.|fracture",
        "+No cervical spine fracture.|fracture",
        "+The vertebral bodies and posterior elements are intact.|",
        "~There is no acute cervical fracture.|fracture",
    )),
    _O("cs_discs", ("Disc spaces", "Degenerative changes"), (
        "Intervertebral disc heights are preserved.|",
        "No significant degenerative disc disease.|degenerative disc disease",
        "+Disc spaces are maintained without significant degenerative change.|degenerative "
        "change",
        "~No significant spondylosis.|spondylosis",
    )),
    _O("cs_soft", ("Soft tissues", "Prevertebral soft tissues"), (
        "The prevertebral soft tissues are normal in thickness.|",
        "No prevertebral soft tissue swelling.|prevertebral soft tissue swelling",
        "+Prevertebral soft tissues are within normal limits.|",
        "+The paraspinal soft tissues are unremarkable.|",
        "~Normal prevertebral soft tissue thickness.|",
    )),
    # US thyroid
    _O("thyroid_gland", ("Thyroid", "Thyroid gland"), (
        "The thyroid gland is normal in size and echotexture. No thyroid nodules.|thyroid "
        "nodules",
        "Normal thyroid gland without nodules.|nodules",
        "The thyroid lobes and isthmus are normal in size, without nodules.|nodules",
        "~No thyroid nodule is identified, and the gland is normal in size.|thyroid nodule",
    )),
    _O("thyroid_nodes", ("Lymph nodes", "Cervical lymph nodes"), (
        "No cervical lymphadenopathy.|lymphadenopathy",
        "No sonographically abnormal cervical lymph nodes.|lymphadenopathy",
        "+Visualized cervical lymph nodes have normal morphology.|",
        "+Negative for cervical lymphadenopathy.|lymphadenopathy",
        "~Cervical lymph nodes are normal in appearance.|",
    )),
    # US scrotum
    _O("testes", ("Testes", "Testicles"), (
        "The testes are normal in size and echotexture with symmetric blood flow.|",
        "No testicular mass or torsion.|testicular mass, testicular torsion",
        "+The testes are homogeneous in echotexture with normal color Doppler flow.|",
        "~Both testicles are unremarkable, with normal vascularity.|",
    ), sex="M"),
    _O("epididymides", ("Epididymides", "Epididymis"), (
        "The epididymides are normal.|",
        "Normal size and vascularity of the epididymides.|",
        "+Unremarkable epididymides bilaterally.|",
        "+No epididymal enlargement or hyperemia.|epididymal enlargement, hyperemia",
        "~Both epididymides appear unremarkable.|",
    ), sex="M"),
    _O("scrotal_sac", ("Scrotum", "Scrotal sac"), (
        "No hydrocele or varicocele.|hydrocele, varicocele",
        "The scrotal wall is unremarkable. No hydrocele.|hydrocele",
        "+Negative for hydrocele or varicocele.|hydrocele, varicocele",
        "~No varicocele or hydrocele is seen.|varicocele, hydrocele",
    ), sex="M"),
    # screening mammography: the composition is stated on every report
    _O("breast_density", ("Breast composition", "Breast density"), (
        "The breasts are almost entirely fatty.|",
        "There are scattered areas of fibroglandular density.|",
        "The breasts are heterogeneously dense, which may obscure small masses.|",
        "+The breasts are extremely dense, which lowers the sensitivity of mammography.|",
        "+Scattered fibroglandular tissue is present in both breasts.|",
        "~The breast tissue is heterogeneously dense.|",
    ), sex="F", always=True),
    _O("breasts", ("Breasts", "Bilateral breasts"), (
        "No suspicious mass, calcifications, or architectural distortion.|suspicious mass, "
        "calcifications, architectural distortion",
        "There are no suspicious masses, calcifications, or areas of architectural distortion "
        "in either breast.|suspicious masses, calcifications, architectural distortion",
        "Negative for suspicious mass or calcifications in either breast.|suspicious mass, "
        "calcifications",
        "~Both breasts are without suspicious mass, calcification, or distortion.|suspicious "
        "mass, calcification, distortion",
    ), sex="F"),
    _O("breast_skin", ("Skin and axillae", "Axillae"), (
        "The skin and nipples are unremarkable. No axillary lymphadenopathy.|axillary "
        "lymphadenopathy",
        "No skin thickening or axillary lymphadenopathy.|skin thickening, axillary "
        "lymphadenopathy",
        "+Unremarkable skin, nipples, and axillae.|",
        "+Axillary lymph nodes are normal in appearance.|",
        "~Normal-appearing axillary lymph nodes and skin.|",
    ), sex="F"),
)}
# fmt: on

_EXT = ("ext_bones", "ext_joints", "ext_soft")
_E = Exam
# fmt: off
MORE_EXAMS: dict[str, Exam] = {e.key: e for e in (
    _E("xr_wrist", ("XR WRIST 3 VIEWS", "Wrist radiographs, 3 views"), "XR", _EXT,
        ("wrist_fracture", "wrist_swelling", "wrist_foreign_body", "wrist_oa"),
        "No acute fracture or dislocation.", weight=0.6, age=(18, 85)),
    _E("xr_ankle", ("XR ANKLE 3 VIEWS", "Ankle radiographs, 3 views"), "XR", _EXT,
        ("ankle_fracture", "ankle_effusion", "ankle_swelling", "ankle_foreign_body",
         "ankle_spur"),
        "No acute fracture or dislocation.", weight=0.6, age=(18, 80)),
    _E("xr_knee", ("XR KNEE 3 VIEWS", "XR KNEE 2 VIEWS", "Knee radiographs"), "XR", _EXT,
        ("knee_fracture", "knee_effusion", "knee_lipohemarthrosis", "knee_oa"),
        "No acute fracture or joint effusion.", weight=0.6, age=(25, 85)),
    _E("xr_hip", ("XR HIP 2 VIEWS", "Hip radiographs, 2 views"), "XR", _EXT,
        ("hip_fracture", "hip_sclerotic_lesion", "hip_oa"),
        "No acute fracture or dislocation of the hip.", weight=0.5, age=(55, 95),
        pertinent=((("hip_fracture",), "No acute hip fracture."),)),
    _E("xr_shoulder", ("XR SHOULDER 3 VIEWS", "Shoulder radiographs, 3 views"), "XR", _EXT,
        ("shoulder_fracture", "shoulder_dislocation", "shoulder_calcific_tendinosis",
         "shoulder_oa"),
        "No acute fracture or dislocation.", weight=0.5, age=(20, 85)),
    _E("cta_head_neck", ("CTA HEAD AND NECK", "CT ANGIOGRAPHY HEAD AND NECK WITH CONTRAST"), "CT",
        ("cta_intracranial", "cta_carotids", "cta_vertebrals", "cta_arch", "cta_neck"),
        ("cta_lvo", "cta_aneurysm", "cta_carotid_stenosis", "cta_plaque",
         "cta_vertebral_hypoplasia"),
        "No large vessel occlusion, hemodynamically significant stenosis, or aneurysm.",
        weight=0.6, age=(40, 90),
        pertinent=((("cta_lvo",), "No large vessel occlusion."),)),
    _E("ct_cspine", ("CT CERVICAL SPINE WITHOUT CONTRAST", "CT C-SPINE WITHOUT CONTRAST"), "CT",
        ("cs_alignment", "cs_vertebrae", "cs_discs", "cs_soft"),
        ("cs_fracture", "cs_anterolisthesis", "cs_canal_narrowing", "cs_degeneration"),
        "No acute fracture or traumatic malalignment of the cervical spine.", weight=0.7,
        pertinent=((("cs_fracture",), "No acute fracture of the cervical spine."),)),
    _E("us_thyroid", ("US THYROID", "Thyroid ultrasound"), "US",
        ("thyroid_gland", "thyroid_nodes"),
        ("thyroid_tr5_nodule", "thyroid_tr4_nodule", "thyroid_tr3_nodule", "thyroid_tr1_nodule",
         "thyroid_goiter", "thyroiditis", "thyroid_node"),
        "Unremarkable thyroid ultrasound.", weight=0.6, age=(20, 80)),
    _E("us_scrotum", ("US SCROTUM", "Scrotal ultrasound with Doppler"), "US",
        ("testes", "epididymides", "scrotal_sac"),
        ("testicular_torsion", "testicular_mass", "testicular_microlithiasis", "epididymitis",
         "epididymal_cyst", "scrotal_hydrocele", "scrotal_varicocele"),
        "Unremarkable scrotal ultrasound. No testicular torsion.", weight=0.5, age=(18, 70),
        sex="M", pertinent=((("testicular_torsion",), "No testicular torsion."),)),
    _E("mammo_screening",
        ("XR MAMMOGRAM SCREENING BILATERAL", "XR SCREENING MAMMOGRAM BILATERAL WITH TOMOSYNTHESIS"),
        "XR", ("breast_density", "breasts", "breast_skin"),
        ("mammo_mass", "mammo_calcifications", "mammo_distortion", "mammo_asymmetry"),
        "No mammographic evidence of malignancy. BI-RADS 1: Negative.", weight=0.6,
        age=(40, 75), sex="F"),
)}
# fmt: on

MORE_INDICATIONS: dict[str, tuple[str, ...]] = {
    "xr_wrist": ("Fall on outstretched hand.", "Wrist pain.", "Snuffbox tenderness."),
    "xr_ankle": ("Inversion injury.", "Ankle pain.", "Ankle swelling after a fall."),
    "xr_knee": ("Knee pain.", "Knee swelling.", "Fall onto the knee.", "Chronic knee pain."),
    "xr_hip": ("Fall.", "Hip pain.", "Unable to bear weight."),
    "xr_shoulder": ("Shoulder pain.", "Fall onto the shoulder.", "Decreased range of motion."),
    "cta_head_neck": (
        "Code stroke.",
        "Acute aphasia.",
        "Facial droop.",
        "Transient ischemic attack.",
    ),
    "ct_cspine": ("Motor vehicle collision.", "Fall with neck pain.", "Neck pain after trauma."),
    "us_thyroid": ("Palpable thyroid nodule.", "Goiter.", "Abnormal thyroid function tests."),
    "us_scrotum": ("Scrotal pain.", "Scrotal swelling.", "Palpable scrotal mass."),
    "mammo_screening": ("Screening.", "Routine screening mammogram.", "Annual screening."),
}

# Exams of one limb: a report should keep to one side (see the module docstring).
SINGLE_SIDE_EXAMS = frozenset({"xr_wrist", "xr_ankle", "xr_knee", "xr_hip", "xr_shoulder"})

# Finding pairs never drawn together (they describe the same structure two ways).
MORE_EXCLUSIVE: tuple[frozenset[str], ...] = (
    frozenset({"knee_effusion", "knee_lipohemarthrosis"}),
    frozenset({"thyroid_goiter", "thyroiditis"}),
    frozenset({"testicular_torsion", "epididymitis"}),
    frozenset({"testicular_torsion", "testicular_mass"}),
)
