"""The clinical catalogue behind the synthetic corpus: exams, organ paragraphs, findings.

Kept apart from the generator so a radiologist can review the medicine (sizes, locations,
critical flags, normal sentences) without reading sampling code. Everything here is data.

Conventions
- A location is written ``"adjective form|noun form"`` ("left renal|left kidney") when the two
  differ; a single string serves both. Side words (left/right/bilateral) inside it give the fact
  its laterality. ``{side}`` is replaced by the exam side (venous duplex).
- A normal sentence is ``"text|negated head, negated head"``; a leading ``~`` marks a phrasing
  family held out for the test split, a leading ``+`` one drawn for the train split only.
  ``{klen}`` is a kidney length drawn per report.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    """One abnormality an exam can show, with the ranges the sampler draws from."""

    key: str
    head: str  # facts.finding: the canonical name used for grounding and metrics
    organ: str  # organ paragraph key; may contain {side}
    noun: str
    plural: str = ""  # plural noun (bilateral processes, counts > 1)
    article: str = "a"  # "a" (count noun), "" (mass noun), "pl" (always plural)
    style: str = "adj"  # "adj": loc before noun; "prep": noun + prep + loc
    prep: str = "in the"
    imp_style: str = "adj"  # impression form: "adj" or "prep"
    locs: tuple[str, ...] = ("",)
    sizes: tuple[float, float] | None = None  # millimetres
    dims: int = 1
    size_fmt: str = " measuring {size}"  # how a process carries its size
    lesion: bool = False  # size before the noun in the impression ("6 mm ... nodule")
    sev: tuple[str, ...] = ()
    count_max: int = 1
    critical: bool = False
    minor: bool = False  # written in the findings, left out of the impression
    change_ok: bool = True
    hedge_ok: bool = False
    sex: str | None = None
    rank: int = 5  # significance within non-critical items, higher first
    imp_suffix: str = ""
    followup: str | None = None  # "fleischner" | "ct_chest" | None
    level_organ: bool = False  # spine: the level (L4-L5) is the organ paragraph
    term: str = ""  # regex stem to find this finding in an impression (metrics)


@dataclass(frozen=True)
class Organ:
    """An organ paragraph: its labels and the normal sentences used when it has no finding."""

    key: str
    labels: tuple[str, ...]
    normals: tuple[str, ...]
    sex: str | None = None
    always: bool = False  # rendered even when a finding sits in it (e.g. kidney lengths)


@dataclass(frozen=True)
class Exam:
    """An exam type: names, organs in canonical order, its findings and impression phrases."""

    key: str
    names: tuple[str, ...]
    modality: str
    organs: tuple[str, ...]
    findings: tuple[str, ...]
    normal_impression: str
    weight: float = 1.0
    age: tuple[int, int] = (18, 90)
    sex: str | None = None  # exam restricted to one sex (None: both)
    pertinent: tuple[tuple[tuple[str, ...], str], ...] = ()  # (absent keys, impression item)
    devices: bool = False
    sided: bool = False  # venous duplex: exam has a side
    levels: tuple[str, ...] = ()
    extra_normals: dict[str, tuple[str, ...]] = field(default_factory=dict)


LOBES = (
    "right upper lobe",
    "right middle lobe",
    "right lower lobe",
    "left upper lobe",
    "left lower lobe",
    "lingular|lingula",
)
LEVELS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")

_F = Finding
# fmt: off
FINDINGS: dict[str, Finding] = {f.key: f for f in (
    _F("consolidation", "consolidation", "lungs", "consolidation", article="",
        locs=("right upper lobe", "right middle lobe", "right lower lobe", "left upper lobe",
              "left lower lobe", "bilateral lower lobe"),
        hedge_ok=True, rank=7, imp_suffix=", concerning for pneumonia", term="consolidat"),
    _F("pleural_effusion", "pleural effusion", "pleura", "pleural effusion",
        plural="pleural effusions", locs=("right", "left", "bilateral"),
        sev=("small", "moderate", "large"), hedge_ok=True, rank=6, term="effusion"),
    _F("pneumothorax", "pneumothorax", "pleura", "pneumothorax",
        locs=("right apical|right apex", "left apical|left apex", "right", "left"),
        sev=("small", "moderate", "large"), critical=True, rank=10, term="pneumothora"),
    _F("cardiomegaly", "cardiomegaly", "heart", "cardiomegaly", article="",
        sev=("mild", "moderate", "marked"), rank=4, term="cardiomegaly"),
    _F("pulmonary_edema", "pulmonary edema", "lungs", "interstitial pulmonary edema", article="",
        sev=("mild", "moderate", "severe"), hedge_ok=True, rank=6, term="edema"),
    _F("atelectasis", "atelectasis", "lungs", "atelectasis", article="",
        locs=("bibasilar", "left basilar", "right basilar"), minor=True, change_ok=False, rank=2,
        term="atelectasis"),
    _F("xr_nodule", "pulmonary nodule", "lungs", "nodular opacity", style="prep", locs=LOBES,
        sizes=(8, 25), lesion=True, followup="ct_chest", term="nodul"),
    _F("rib_fracture", "rib fracture", "bones", "rib fracture",
        locs=("right lateral 6th", "right posterior 8th", "left lateral 5th", "left anterior 4th",
              "right anterior 3rd", "left posterior 9th"),
        sev=("acute", "acute nondisplaced", "healing"), term="fracture"),
    _F("spine_degeneration", "degenerative changes", "bones",
        "degenerative changes of the thoracic spine", article="pl", sev=("mild", "moderate"),
        minor=True, change_ok=False, rank=1, term="degenerat"),
    _F("hiatal_hernia", "hiatal hernia", "heart", "hiatal hernia",
        sev=("small", "moderate", "large"), minor=True, change_ok=False, rank=1,
        term="hiatal hernia"),
    _F("ett_malposition", "endotracheal tube malposition", "devices", "endotracheal tube",
        critical=True, change_ok=False, rank=10, term="endotracheal tube"),
    _F("pulmonary_nodule", "pulmonary nodule", "lungs", "pulmonary nodule",
        plural="pulmonary nodules", style="prep", locs=LOBES, sizes=(3, 14), lesion=True,
        count_max=4, followup="fleischner", term="nodul"),
    _F("lung_mass", "lung mass", "lungs", "mass", style="prep", locs=LOBES[:5], sizes=(25, 70),
        dims=2, lesion=True, rank=8, imp_suffix=", suspicious for primary lung malignancy",
        term="\\bmass"),
    _F("ground_glass", "ground-glass opacities", "lungs", "ground-glass opacities", article="pl",
        locs=("bilateral", "right upper lobe", "left lower lobe", "bilateral lower lobe"),
        hedge_ok=True, imp_suffix=", likely infectious or inflammatory", term="ground-glass"),
    _F("emphysema", "emphysema", "lungs", "centrilobular emphysema", article="",
        sev=("mild", "moderate", "severe"), change_ok=False, rank=3, term="emphysema"),
    _F("mediastinal_node", "lymphadenopathy", "mediastinum", "lymph node", style="prep",
        locs=("right paratracheal", "subcarinal", "right hilar", "left hilar", "prevascular"),
        sizes=(11, 25), lesion=True, sev=("enlarged",), imp_suffix=", nonspecific",
        term="lymph node"),
    _F("pericardial_effusion", "pericardial effusion", "heart", "pericardial effusion",
        sev=("small", "moderate", "large"), term="pericardial effusion"),
    _F("coronary_calcification", "coronary artery calcification", "heart",
        "coronary artery calcification", article="", sev=("mild", "moderate", "severe"),
        minor=True, change_ok=False, rank=1, term="coronary"),
    _F("thoracic_aneurysm", "aortic aneurysm", "vessels", "thoracic aortic aneurysm",
        locs=("ascending", "descending"), sizes=(41, 60), rank=6, term="aneurysm"),
    _F("aortic_dissection", "aortic dissection", "vessels", "aortic dissection",
        locs=("Stanford type A", "Stanford type B"), critical=True, change_ok=False, rank=10,
        term="dissection"),
    _F("pulmonary_embolism", "pulmonary embolism", "pulmonary_arteries", "pulmonary embolism",
        plural="pulmonary emboli", article="",
        locs=("right lower lobe segmental", "left lower lobe segmental", "right main", "left main",
              "bilateral segmental and subsegmental", "bilateral lobar"),
        critical=True, rank=10, term="pulmonary embol"),
    _F("compression_fracture", "compression fracture", "bones",
        "vertebral body compression deformity", locs=("T7", "T8", "T10", "T11", "T12", "L1"),
        sev=("mild", "moderate", "severe"), rank=4, imp_suffix=", age-indeterminate",
        term="compression"),
    _F("upper_steatosis", "hepatic steatosis", "upper_abdomen", "hepatic steatosis", article="",
        minor=True, change_ok=False, rank=1, term="steatosis"),
    _F("intraparenchymal_hemorrhage", "intraparenchymal hemorrhage", "hemorrhage",
        "intraparenchymal hemorrhage", style="prep",
        locs=("right basal ganglia", "left basal ganglia", "right frontal lobe",
              "left temporal lobe", "right thalamus|right thalamus", "left parietal lobe"),
        sizes=(8, 45), dims=2, lesion=True, sev=("acute",), critical=True, rank=10,
        term="hemorrhage"),
    _F("subdural_hematoma", "subdural hematoma", "hemorrhage", "subdural hematoma",
        plural="subdural hematomas",
        locs=("left frontoparietal", "right frontoparietal", "right holohemispheric",
              "left holohemispheric", "bilateral"),
        sizes=(3, 18), size_fmt=" measuring {size} in thickness",
        sev=("acute", "subacute", "chronic"), critical=True, rank=10, term="subdural"),
    _F("subarachnoid_hemorrhage", "subarachnoid hemorrhage", "hemorrhage",
        "subarachnoid hemorrhage", article="",
        locs=("right sylvian fissure", "left frontal sulcal", "basilar cisternal"), sev=("acute",),
        critical=True, change_ok=False, rank=10, term="subarachnoid"),
    _F("midline_shift", "midline shift", "ventricles", "midline shift",
        locs=("leftward", "rightward"), sizes=(3, 12), critical=True, rank=9,
        term="midline shift"),
    _F("ct_infarct", "acute infarct", "parenchyma", "infarct",
        locs=("left MCA territory", "right MCA territory", "left PCA territory",
              "right ACA territory"),
        sev=("acute",), critical=True, rank=9, term="infarct"),
    _F("small_vessel", "small vessel ischemic changes", "parenchyma",
        "chronic small vessel ischemic changes", article="pl", sev=("mild", "moderate", "severe"),
        minor=True, change_ok=False, rank=1, term="small vessel"),
    _F("lacunar_infarct", "lacunar infarct", "parenchyma", "lacunar infarct", style="prep",
        locs=("left basal ganglia", "right thalamus|right thalamus", "right corona radiata"),
        sev=("chronic",), change_ok=False, rank=2, term="lacunar"),
    _F("sinus_disease", "mucosal thickening", "sinuses", "mucosal thickening", article="",
        style="prep", prep="of the",
        locs=("right maxillary sinus", "left maxillary sinus",
              "bilateral ethmoid air cells|bilateral ethmoid air cells"),
        sev=("mild",), minor=True, change_ok=False, rank=1, term="mucosal"),
    _F("skull_fracture", "skull fracture", "calvarium", "skull fracture",
        locs=("right parietal", "left temporal", "right frontal", "left occipital"),
        sev=("nondisplaced", "depressed"), change_ok=False, rank=8, term="fracture"),
    _F("mr_infarct", "acute infarct", "diffusion", "infarct",
        locs=("left MCA territory", "right MCA territory", "left PCA territory",
              "right cerebellar"),
        sev=("acute",), critical=True, rank=9, term="infarct"),
    _F("white_matter", "white matter hyperintensities", "parenchyma",
        "T2/FLAIR white matter hyperintensities", article="pl",
        sev=("mild", "moderate", "extensive"), change_ok=False, rank=2,
        imp_suffix=", likely chronic microvascular ischemic change", term="white matter"),
    _F("brain_mass", "brain mass", "parenchyma", "enhancing mass", style="prep",
        locs=("right frontal lobe", "left temporal lobe", "left parietal lobe",
              "right cerebellar hemisphere"),
        sizes=(15, 45), dims=2, lesion=True, rank=8, imp_suffix=", concerning for neoplasm",
        term="\\bmass"),
    _F("meningioma", "extra-axial mass", "extra_axial", "extra-axial mass", style="prep",
        prep="along the",
        locs=("left frontal convexity|left frontal convexity",
              "right parietal convexity|right parietal convexity", "falcine|falx"),
        sizes=(8, 35), lesion=True, rank=6, imp_suffix=", likely meningioma", term="extra-axial"),
    _F("pituitary_lesion", "pituitary lesion", "sella", "hypoenhancing lesion", style="prep",
        locs=("left pituitary|left aspect of the pituitary gland",
              "right pituitary|right aspect of the pituitary gland"),
        sizes=(3, 9), lesion=True, rank=4, imp_suffix=", likely microadenoma", term="pituitary"),
    _F("disc_protrusion", "disc protrusion", "*", "disc protrusion", prep="at", imp_style="prep",
        locs=("left paracentral", "right paracentral", "central", "left foraminal",
              "right foraminal"),
        sizes=(2, 8), level_organ=True, term="protrusion"),
    _F("canal_stenosis", "spinal canal stenosis", "*", "spinal canal stenosis", article="",
        prep="at", imp_style="prep", sev=("mild", "moderate", "severe"), rank=6, level_organ=True,
        term="canal stenosis"),
    _F("foraminal_narrowing", "neural foraminal narrowing", "*", "neural foraminal narrowing",
        article="", prep="at", imp_style="prep", locs=("left", "right", "bilateral"),
        sev=("mild", "moderate", "severe"), rank=4, level_organ=True, term="foraminal"),
    _F("anterolisthesis", "anterolisthesis", "*", "anterolisthesis", article="", prep="at",
        imp_style="prep", sizes=(2, 9), sev=("grade 1", "grade 2"), change_ok=False, rank=4,
        level_organ=True, term="listhesis"),
    _F("cauda_equina", "cauda equina compression", "*",
        "spinal canal stenosis with compression of the cauda equina", article="", prep="at",
        imp_style="prep", sev=("severe",), critical=True, change_ok=False, rank=10,
        level_organ=True, term="cauda equina"),
    _F("lumbar_compression", "compression fracture", "marrow", "compression fracture",
        locs=("L1", "L2", "L3", "L4"), sev=("acute", "chronic"), rank=7, term="compression"),
    _F("modic", "endplate changes", "marrow", "Modic type 2 endplate changes", article="pl",
        style="prep", prep="at", locs=("L4-L5", "L5-S1"), minor=True, change_ok=False, rank=1,
        term="endplate"),
    _F("free_air", "pneumoperitoneum", "peritoneum", "pneumoperitoneum", article="",
        sev=("small volume", "moderate volume", "large volume"), critical=True, change_ok=False,
        rank=10, term="pneumoperitoneum|free air"),
    _F("appendicitis", "acute appendicitis", "appendix", "acute appendicitis", article="",
        sizes=(9, 16), size_fmt=", with the appendix measuring {size} in diameter", critical=True,
        change_ok=False, rank=9, term="appendicitis"),
    _F("sbo", "small bowel obstruction", "bowel", "small bowel obstruction",
        sev=("partial", "high-grade"), rank=8, term="obstruction"),
    _F("diverticulitis", "diverticulitis", "bowel", "diverticulitis", article="",
        locs=("sigmoid", "descending colon|descending colon"), sev=("acute uncomplicated",),
        change_ok=False, rank=7, term="diverticulitis"),
    _F("diverticulosis", "diverticulosis", "bowel", "diverticulosis", article="",
        locs=("sigmoid",), minor=True, change_ok=False, rank=1, term="diverticulosis"),
    _F("liver_hypodensity", "hepatic hypodensity", "liver", "hypodensity", plural="hypodensities",
        style="prep",
        locs=("right hepatic lobe", "left hepatic lobe", "hepatic segment 7|hepatic segment 7"),
        sizes=(3, 9), lesion=True, count_max=3, rank=2, imp_suffix=", too small to characterize",
        term="hypodens"),
    _F("liver_mass", "hepatic mass", "liver", "mass", style="prep",
        locs=("right hepatic lobe", "left hepatic lobe"), sizes=(20, 60), dims=2, lesion=True,
        rank=7, imp_suffix=", indeterminate; recommend MRI abdomen for further characterization",
        term="\\bmass"),
    _F("steatosis", "hepatic steatosis", "liver", "hepatic steatosis", article="",
        sev=("mild", "moderate", "severe"), change_ok=False, rank=2, term="steatosis"),
    _F("cholelithiasis", "cholelithiasis", "gallbladder", "cholelithiasis", article="",
        change_ok=False, rank=3, term="cholelithiasis"),
    _F("renal_cyst", "renal cyst", "kidneys", "cyst", style="prep",
        locs=("left renal|left kidney", "right renal|right kidney"), sizes=(6, 60), lesion=True,
        minor=True, rank=1, term="cyst"),
    _F("renal_calculus", "renal calculus", "kidneys", "nonobstructing calculus",
        plural="nonobstructing calculi", style="prep",
        locs=("left renal|left kidney", "right renal|right kidney"), sizes=(2, 12), lesion=True,
        count_max=3, rank=3, term="calcul"),
    _F("ureteral_calculus", "obstructing ureteral calculus", "kidneys", "obstructing calculus",
        style="prep", prep="at the",
        locs=("left ureterovesical junction", "right ureterovesical junction",
              "proximal left ureteral|proximal left ureter",
              "proximal right ureteral|proximal right ureter"),
        sizes=(2, 10), lesion=True, rank=7, imp_suffix=" with upstream hydronephrosis",
        term="calcul"),
    _F("aaa", "abdominal aortic aneurysm", "abd_vessels", "abdominal aortic aneurysm",
        locs=("infrarenal",), sizes=(30, 65), rank=6, term="aneurysm"),
    _F("adrenal_nodule", "adrenal nodule", "adrenals", "nodule", style="prep",
        locs=("left adrenal|left adrenal gland", "right adrenal|right adrenal gland"),
        sizes=(8, 30), lesion=True, rank=3, imp_suffix=", likely adenoma", term="adrenal"),
    _F("splenomegaly", "splenomegaly", "spleen", "splenomegaly", article="", sizes=(135, 200),
        size_fmt=", with the spleen measuring {size}", sev=("mild", "moderate"), rank=3,
        term="splenomegaly"),
    _F("ascites", "ascites", "peritoneum", "ascites", article="",
        sev=("small volume", "moderate volume", "large volume"), term="ascites"),
    _F("abd_node", "lymphadenopathy", "nodes", "lymph node", style="prep",
        locs=("left para-aortic", "aortocaval", "right external iliac", "mesenteric"),
        sizes=(11, 30), lesion=True, sev=("enlarged",), imp_suffix=", nonspecific",
        term="lymph node"),
    _F("lung_base_nodule", "pulmonary nodule", "lung_bases", "pulmonary nodule", style="prep",
        locs=("right lower lobe", "left lower lobe"), sizes=(3, 12), lesion=True, rank=4,
        followup="fleischner", term="nodul"),
    _F("ovarian_cyst", "ovarian cyst", "adnexa", "simple cyst", style="prep",
        locs=("left ovarian|left ovary", "right ovarian|right ovary"), sizes=(15, 60), lesion=True,
        sex="F", rank=3, term="cyst"),
    _F("fibroid", "uterine fibroid", "uterus", "fibroid", plural="fibroids",
        locs=("intramural", "subserosal", "submucosal"), sizes=(10, 60), lesion=True, count_max=3,
        sex="F", rank=2, term="fibroid"),
    _F("prostatomegaly", "prostatomegaly", "prostate", "prostatomegaly", article="",
        sizes=(45, 70), size_fmt=", with the gland measuring {size} in transverse dimension",
        sev=("mild", "moderate"), minor=True, change_ok=False, sex="M", rank=1, term="prostat"),
    _F("abd_spine_degeneration", "degenerative changes", "bones",
        "degenerative changes of the lumbar spine", article="pl", sev=("mild", "moderate"),
        minor=True, change_ok=False, rank=1, term="degenerat"),
    _F("us_cholelithiasis", "cholelithiasis", "gallbladder", "cholelithiasis", article="",
        sizes=(4, 25), size_fmt=", with the largest stone measuring {size}", change_ok=False,
        rank=4, term="cholelithiasis"),
    _F("cholecystitis", "acute cholecystitis", "gallbladder", "acute cholecystitis", article="",
        sizes=(4, 9), size_fmt=", with gallbladder wall thickening to {size}", change_ok=False,
        rank=9, term="cholecystitis"),
    _F("gb_polyp", "gallbladder polyp", "gallbladder", "polyp", style="prep",
        locs=("gallbladder",), sizes=(3, 12), lesion=True, rank=3, term="polyp"),
    _F("cbd_dilation", "biliary dilation", "cbd", "common bile duct dilation", article="",
        sizes=(8, 14), size_fmt=", with the duct measuring {size}", rank=6, term="bile duct"),
    _F("us_steatosis", "hepatic steatosis", "liver", "hepatic steatosis", article="",
        sev=("mild", "moderate", "severe"), change_ok=False, rank=2, term="steatosis"),
    _F("hemangioma", "hepatic lesion", "liver", "hyperechoic lesion", style="prep",
        locs=("right hepatic lobe", "left hepatic lobe"), sizes=(5, 30), lesion=True, rank=4,
        imp_suffix=", likely hemangioma", term="hyperechoic"),
    _F("us_right_renal_cyst", "renal cyst", "right_kidney", "simple cyst", style="prep",
        locs=("right renal|right kidney",), sizes=(6, 40), lesion=True, minor=True, rank=1,
        term="cyst"),
    _F("hydronephrosis", "hydronephrosis", "kidneys", "hydronephrosis", article="",
        locs=("right", "left", "bilateral"), sev=("mild", "moderate", "severe"), rank=7,
        term="hydronephrosis"),
    _F("us_renal_calculus", "renal calculus", "kidneys", "shadowing calculus",
        plural="shadowing calculi", style="prep",
        locs=("left renal|left kidney", "right renal|right kidney"), sizes=(3, 15), lesion=True,
        count_max=3, rank=4, term="calcul"),
    _F("us_renal_cyst", "renal cyst", "kidneys", "simple cyst", style="prep",
        locs=("left renal|left kidney", "right renal|right kidney"), sizes=(6, 50), lesion=True,
        minor=True, rank=1, term="cyst"),
    _F("renal_mass", "renal mass", "kidneys", "solid mass", style="prep",
        locs=("left renal|left kidney", "right renal|right kidney"), sizes=(15, 50), dims=2,
        lesion=True, rank=8,
        imp_suffix=", concerning for renal cell carcinoma; recommend contrast-enhanced CT or MRI",
        term="\\bmass"),
    _F("bladder_wall", "bladder wall thickening", "bladder", "diffuse bladder wall thickening",
        article="", sizes=(5, 12), rank=4, term="bladder wall"),
    _F("us_fibroid", "uterine fibroid", "uterus", "fibroid", plural="fibroids",
        locs=("intramural", "subserosal", "submucosal"), sizes=(10, 60), lesion=True, count_max=3,
        sex="F", rank=3, term="fibroid"),
    _F("us_ovarian_cyst", "ovarian cyst", "adnexa", "simple cyst", style="prep",
        locs=("left ovarian|left ovary", "right ovarian|right ovary"), sizes=(15, 70), lesion=True,
        sex="F", rank=3, term="cyst"),
    _F("adnexal_mass", "adnexal mass", "adnexa", "complex cystic mass", style="prep",
        locs=("left adnexal|left adnexa", "right adnexal|right adnexa"), sizes=(30, 80), dims=2,
        lesion=True, sex="F", rank=8, imp_suffix=", indeterminate; recommend pelvic MRI",
        term="\\bmass"),
    _F("endometrial_thickening", "endometrial thickening", "endometrium", "endometrial thickening",
        article="", sizes=(12, 25), size_fmt=", with the endometrium measuring {size}", sex="F",
        rank=6, term="endometri"),
    _F("free_fluid", "free fluid", "cul_de_sac", "free fluid", article="",
        sev=("small amount of",), minor=True, change_ok=False, sex="F", rank=1, term="free fluid"),
    _F("us_prostatomegaly", "prostatomegaly", "prostate", "prostatomegaly", article="",
        sizes=(45, 70), size_fmt=", with the gland measuring {size} in transverse dimension",
        sev=("mild", "moderate"), change_ok=False, sex="M", rank=2, term="prostat"),
    _F("dvt", "deep venous thrombosis", "veins_{side}", "deep venous thrombosis", article="",
        style="prep", prep="of the", imp_style="prep",
        locs=("{side} common femoral and femoral|{side} common femoral and femoral veins",
              "{side} femoral and popliteal|{side} femoral and popliteal veins",
              "{side} popliteal|{side} popliteal vein",
              "{side} posterior tibial|{side} posterior tibial veins"),
        sev=("acute occlusive", "acute nonocclusive"), critical=True, rank=10,
        term="deep venous thrombosis|\\bDVT\\b"),
    _F("superficial_thrombus", "superficial venous thrombosis", "veins_{side}",
        "superficial venous thrombosis", article="", style="prep", prep="of the", imp_style="prep",
        locs=("{side} great saphenous|{side} great saphenous vein",), term="superficial venous"),
    _F("baker_cyst", "Baker cyst", "veins_{side}", "Baker cyst", style="prep",
        locs=("{side}|{side} popliteal fossa",), sizes=(20, 60), dims=2, lesion=True,
        change_ok=False, rank=2, term="baker"),
)}
# fmt: on

_O = Organ
# fmt: off
ORGANS: dict[str, Organ] = {o.key: o for o in (
    _O("lungs", ("Lungs", "Lungs and airways"), (
        "The lungs are clear.|consolidation",
        "No focal consolidation.|consolidation",
        "Lungs are clear without focal airspace opacity.|airspace opacity",
        "~The lungs are well expanded and clear.|",
        "~No airspace disease is identified.|airspace disease",
        "+No focal airspace consolidation is seen.|consolidation",
    )),
    _O("pleura", ("Pleura", "Pleural spaces"), (
        "No pleural effusion or pneumothorax.|pleural effusion, pneumothorax",
        "There is no pleural effusion or pneumothorax.|pleural effusion, pneumothorax",
        "No pneumothorax. No pleural effusion.|pneumothorax, pleural effusion",
        "+No effusion or pneumothorax is seen.|pleural effusion, pneumothorax",
        "+Negative for pneumothorax or pleural effusion.|pneumothorax, pleural effusion",
        "~Pleural spaces are clear, without effusion or pneumothorax.|pleural effusion, "
        "pneumothorax",
    )),
    _O("heart", ("Heart and mediastinum", "Cardiomediastinal silhouette"), (
        "The cardiomediastinal silhouette is within normal limits.|",
        "Heart size is normal.|",
        "Normal heart size and mediastinal contours.|",
        "~The heart is not enlarged and the mediastinum is unremarkable.|",
    )),
    _O("bones", ("Bones", "Osseous structures", "Bones and soft tissues"), (
        "No acute osseous abnormality.|fracture",
        "The osseous structures are intact.|",
        "No acute fracture.|fracture",
        "+No fracture is identified.|fracture",
        "~Visualized bones show no acute abnormality.|fracture",
    )),
    _O("devices", ("Lines and tubes", "Support devices"), (
        "No support devices.|",
    )),
    _O("mediastinum", ("Mediastinum and lymph nodes", "Mediastinum"), (
        "No mediastinal or hilar lymphadenopathy.|lymphadenopathy",
        "No enlarged mediastinal or hilar lymph nodes.|lymphadenopathy",
        "~Mediastinal and hilar nodes are not enlarged.|lymphadenopathy",
    )),
    _O("vessels", ("Vessels", "Vasculature"), (
        "The thoracic aorta is normal in caliber.|",
        "Normal caliber thoracic aorta.|",
        "~No thoracic aortic aneurysm.|aortic aneurysm",
    )),
    _O("pulmonary_arteries", ("Pulmonary arteries",), (
        "No filling defect in the pulmonary arteries to suggest pulmonary embolism.|pulmonary "
        "embolism",
        "The pulmonary arteries are well opacified without filling defect. No pulmonary "
        "embolism.|pulmonary embolism",
        "There is no pulmonary embolism.|pulmonary embolism",
        "~Pulmonary arterial opacification is adequate, with no embolus identified.|pulmonary "
        "embolism",
    )),
    _O("upper_abdomen", ("Upper abdomen",), (
        "The visualized upper abdomen is unremarkable.|",
        "Limited images of the upper abdomen are unremarkable.|",
        "~No acute abnormality in the imaged upper abdomen.|",
    )),
    _O("hemorrhage", (), (
        "There is no intracranial hemorrhage.|intracranial hemorrhage",
        "No acute intracranial hemorrhage.|intracranial hemorrhage",
        "No evidence of intracranial hemorrhage.|intracranial hemorrhage",
        "~Intracranial hemorrhage is not seen.|intracranial hemorrhage",
    )),
    _O("parenchyma", ("Brain parenchyma", "Parenchyma", "Brain"), (
        "Gray-white matter differentiation is preserved.|",
        "No acute territorial infarct.|acute infarct",
        "The brain parenchyma is normal in attenuation.|",
        "~There is normal gray-white matter differentiation without mass effect.|mass effect",
    )),
    _O("ventricles", ("Ventricles", "Ventricles and extra-axial spaces"), (
        "The ventricles are normal in size. No midline shift.|midline shift",
        "Ventricles and sulci are normal in size.|",
        "No hydrocephalus or midline shift.|hydrocephalus, midline shift",
        "~No ventriculomegaly; midline structures are centered.|ventriculomegaly",
    )),
    _O("calvarium", ("Calvarium", "Skull"), (
        "The calvarium is intact.|",
        "No skull fracture.|skull fracture",
        "~No calvarial fracture is seen.|calvarial fracture",
    )),
    _O("sinuses", ("Paranasal sinuses and mastoids", "Sinuses"), (
        "The visualized paranasal sinuses and mastoid air cells are clear.|",
        "Paranasal sinuses and mastoids are clear.|",
        "~The paranasal sinuses are well aerated.|",
    )),
    _O("diffusion", ("Diffusion",), (
        "No restricted diffusion to suggest acute infarct.|acute infarct",
        "There is no restricted diffusion.|restricted diffusion",
        "~Diffusion-weighted images show no acute infarct.|acute infarct",
    )),
    _O("extra_axial", ("Extra-axial spaces",), (
        "No extra-axial collection or mass.|extra-axial collection",
        "The extra-axial spaces are unremarkable.|",
        "~There is no extra-axial fluid collection.|extra-axial fluid collection",
    )),
    _O("sella", ("Pituitary and sella", "Sella"), (
        "The pituitary gland is normal in size.|",
        "Normal appearance of the sella and pituitary gland.|",
        "~The sella turcica and pituitary are unremarkable.|",
    )),
    _O("flow_voids", ("Vascular flow voids", "Vessels"), (
        "Normal intracranial vascular flow voids are present.|",
        "Major intracranial flow voids are preserved.|",
        "~Expected flow voids are seen in the major intracranial arteries.|",
    )),
    _O("alignment", ("Alignment",), (
        "Alignment is normal.|",
        "Normal lumbar lordosis.|",
        "~Vertebral alignment is maintained.|",
    )),
    _O("marrow", ("Vertebral bodies", "Bone marrow"), (
        "Vertebral body heights are maintained. Normal marrow signal.|",
        "No fracture or marrow replacing lesion.|fracture",
        "~Marrow signal is within normal limits, and vertebral heights are preserved.|",
    )),
    _O("conus", ("Conus", "Conus medullaris"), (
        "The conus medullaris terminates at L1 and is normal in signal.|",
        "The conus is normal in position and signal.|",
        "~Normal conus medullaris.|",
    )),
    _O("lung_bases", ("Lung bases",), (
        "The lung bases are clear.|",
        "Visualized lung bases are clear.|",
        "~No abnormality at the lung bases.|",
    )),
    _O("liver", ("Liver",), (
        "The liver is normal in size and attenuation.|",
        "Unremarkable liver.|",
        "No focal hepatic lesion.|hepatic lesion",
        "~The liver appears normal.|",
    )),
    _O("gallbladder", ("Gallbladder", "Gallbladder and biliary tree"), (
        "The gallbladder is unremarkable.|",
        "No gallstones or gallbladder wall thickening.|gallstones, gallbladder wall thickening",
        "Gallbladder is normal. No biliary dilation.|biliary dilation",
        "~Normal gallbladder without stones.|stones",
    )),
    _O("pancreas", ("Pancreas",), (
        "The pancreas is unremarkable.|",
        "Normal pancreas.|",
        "~No pancreatic abnormality.|",
    )),
    _O("spleen", ("Spleen",), (
        "The spleen is normal in size.|",
        "Unremarkable spleen.|",
        "~Spleen is not enlarged.|",
    )),
    _O("adrenals", ("Adrenal glands", "Adrenals"), (
        "The adrenal glands are normal.|",
        "No adrenal nodule.|adrenal nodule",
        "~Unremarkable adrenal glands.|",
    )),
    _O("kidneys", ("Kidneys", "Kidneys and ureters"), (
        "No hydronephrosis or renal calculi.|hydronephrosis, renal calculi",
        "The kidneys are normal in size without hydronephrosis.|hydronephrosis",
        "No hydronephrosis. No nephrolithiasis.|hydronephrosis, nephrolithiasis",
        "~Both kidneys enhance symmetrically, with no stones or hydronephrosis.|stones, "
        "hydronephrosis",
    )),
    _O("bowel", ("Bowel", "Bowel and mesentery"), (
        "No bowel obstruction or bowel wall thickening.|bowel obstruction, bowel wall thickening",
        "The bowel is normal in caliber.|",
        "~Small and large bowel loops are unremarkable.|",
    )),
    _O("appendix", ("Appendix",), (
        "The appendix is normal.|",
        "Normal appendix.|",
        "~The appendix is visualized and unremarkable.|",
    )),
    _O("peritoneum", ("Peritoneum", "Peritoneal cavity"), (
        "No free air or free fluid.|free air, free fluid",
        "There is no free intraperitoneal air or ascites.|free intraperitoneal air, ascites",
        "No pneumoperitoneum. No ascites.|pneumoperitoneum, ascites",
        "~Free air and ascites are absent.|free air, ascites",
    )),
    _O("bladder", ("Bladder", "Urinary bladder"), (
        "The bladder is unremarkable.|",
        "The urinary bladder is normally distended.|",
        "~Normal bladder.|",
    )),
    _O("uterus", ("Uterus",), (
        "The uterus is normal in size.|",
        "Unremarkable uterus.|",
        "~The uterus is within normal limits.|",
    ), sex="F"),
    _O("adnexa", ("Ovaries", "Adnexa"), (
        "The ovaries are unremarkable.|",
        "No adnexal mass.|adnexal mass",
        "~Both ovaries appear normal.|",
    ), sex="F"),
    _O("endometrium", ("Endometrium",), (
        "The endometrial stripe is thin.|",
        "Normal endometrial thickness.|",
        "~The endometrium is not thickened.|",
    ), sex="F"),
    _O("cul_de_sac", ("Cul-de-sac",), (
        "No free fluid in the pelvis.|free fluid",
        "No pelvic free fluid.|free fluid",
        "~The cul-de-sac is clear.|",
    ), sex="F"),
    _O("prostate", ("Prostate",), (
        "The prostate is normal in size.|",
        "Unremarkable prostate.|",
        "~The prostate gland is not enlarged.|",
    ), sex="M"),
    _O("nodes", ("Lymph nodes",), (
        "No lymphadenopathy.|lymphadenopathy",
        "No enlarged abdominal or pelvic lymph nodes.|lymphadenopathy",
        "~Lymph nodes are not enlarged.|lymphadenopathy",
    )),
    _O("abd_vessels", ("Vasculature", "Vessels"), (
        "The abdominal aorta is normal in caliber.|",
        "No abdominal aortic aneurysm.|abdominal aortic aneurysm",
        "~Normal caliber abdominal aorta.|",
    )),
    _O("cbd", ("Common bile duct", "Bile ducts"), (
        "The common bile duct is not dilated.|",
        "No intrahepatic or extrahepatic biliary dilation.|biliary dilation",
        "~The common duct is normal in caliber.|",
    )),
    _O("right_kidney", ("Right kidney",), (
        "The right kidney is normal in echotexture without hydronephrosis.|hydronephrosis",
        "Unremarkable right kidney.|",
        "~No right hydronephrosis.|hydronephrosis",
    )),
    _O("kidney_size", ("Renal size", "Measurements"), (
        "The right kidney measures {klen_r}. The left kidney measures {klen_l}.|",
        "Right kidney: {klen_r}. Left kidney: {klen_l}.|",
        "~Renal lengths are {klen_r} on the right and {klen_l} on the left.|",
    ), always=True),
    _O("veins_left", ("Left lower extremity",), (
        "The left common femoral, femoral, and popliteal veins are compressible with normal "
        "flow.|deep venous thrombosis",
        "No deep venous thrombosis in the left lower extremity.|deep venous thrombosis",
        "Left lower extremity veins are patent and fully compressible.|",
        "~Normal compressibility and augmentation of the left leg veins.|",
    )),
    _O("veins_right", ("Right lower extremity",), (
        "The right common femoral, femoral, and popliteal veins are compressible with normal "
        "flow.|deep venous thrombosis",
        "No deep venous thrombosis in the right lower extremity.|deep venous thrombosis",
        "Right lower extremity veins are patent and fully compressible.|",
        "~Normal compressibility and augmentation of the right leg veins.|",
    )),
)}
# fmt: on

for _level in LEVELS:
    ORGANS[_level] = Organ(
        _level,
        (_level,),
        (
            "No disc herniation, spinal canal stenosis, or neural foraminal narrowing."
            "|disc herniation, spinal canal stenosis, neural foraminal narrowing",
            "Normal disc. No stenosis.|stenosis",
            "Unremarkable.|",
            "~No significant disc disease or stenosis.|stenosis",
        ),
    )

_CHEST_XR = (
    "consolidation",
    "pleural_effusion",
    "pneumothorax",
    "cardiomegaly",
    "pulmonary_edema",
    "atelectasis",
    "xr_nodule",
    "rib_fracture",
    "spine_degeneration",
    "hiatal_hernia",
)
_CHEST_CT = (
    "pulmonary_nodule",
    "lung_mass",
    "consolidation",
    "ground_glass",
    "pleural_effusion",
    "pneumothorax",
    "emphysema",
    "mediastinal_node",
    "pericardial_effusion",
    "coronary_calcification",
    "thoracic_aneurysm",
    "compression_fracture",
    "upper_steatosis",
)
_CT_CHEST_ORGANS = ("lungs", "pleura", "mediastinum", "heart", "vessels", "upper_abdomen", "bones")
_ABD_ORGANS = (
    "lung_bases",
    "liver",
    "gallbladder",
    "pancreas",
    "spleen",
    "adrenals",
    "kidneys",
    "bowel",
    "appendix",
    "peritoneum",
    "bladder",
    "uterus",
    "adnexa",
    "prostate",
    "nodes",
    "abd_vessels",
    "bones",
)

_E = Exam
# fmt: off
EXAMS: dict[str, Exam] = {e.key: e for e in (
    _E("xr_chest", ("XR CHEST PA AND LATERAL", "Chest radiograph, PA and lateral"), "XR",
        ("lungs", "pleura", "heart", "bones"), _CHEST_XR, "No acute cardiopulmonary process.",
        weight=1.6),
    _E("xr_chest_portable", ("XR CHEST PORTABLE AP", "Portable chest radiograph"), "XR",
        ("devices", "lungs", "pleura", "heart", "bones"), _CHEST_XR + ("ett_malposition",),
        "No acute cardiopulmonary process.", weight=1.2, devices=True),
    _E("ct_chest_wo", ("CT CHEST WITHOUT CONTRAST",), "CT", _CT_CHEST_ORGANS, _CHEST_CT,
        "No acute intrathoracic abnormality.", age=(35, 90)),
    _E("ct_chest_w", ("CT CHEST WITH CONTRAST",), "CT", _CT_CHEST_ORGANS,
        _CHEST_CT + ("aortic_dissection", "pulmonary_embolism"),
        "No acute intrathoracic abnormality.", age=(35, 90)),
    _E("ct_pe", ("CTA CHEST PE PROTOCOL", "CT PULMONARY ANGIOGRAM"), "CT",
        ("pulmonary_arteries",) + _CT_CHEST_ORGANS,
        ("pulmonary_embolism", "pulmonary_embolism", "pulmonary_nodule", "consolidation",
         "pleural_effusion", "ground_glass", "emphysema", "aortic_dissection",
         "pericardial_effusion", "mediastinal_node", "coronary_calcification"),
        "No pulmonary embolism. No acute intrathoracic abnormality.", weight=1.2, age=(35, 90),
        pertinent=((("pulmonary_embolism",), "No pulmonary embolism."),)),
    _E("ct_head", ("CT HEAD WITHOUT CONTRAST",), "CT",
        ("hemorrhage", "parenchyma", "ventricles", "calvarium", "sinuses"),
        ("intraparenchymal_hemorrhage", "subdural_hematoma", "subarachnoid_hemorrhage",
         "midline_shift", "ct_infarct", "small_vessel", "lacunar_infarct", "sinus_disease",
         "skull_fracture"),
        "No acute intracranial abnormality.", weight=1.3,
        pertinent=((("intraparenchymal_hemorrhage", "subdural_hematoma",
                      "subarachnoid_hemorrhage"), "No intracranial hemorrhage."),)),
    _E("ct_abd", ("CT ABDOMEN AND PELVIS WITH CONTRAST", "CT ABDOMEN/PELVIS"), "CT", _ABD_ORGANS,
        ("free_air", "appendicitis", "sbo", "diverticulitis", "diverticulosis",
         "liver_hypodensity", "liver_mass", "steatosis", "cholelithiasis", "renal_cyst",
         "renal_calculus", "ureteral_calculus", "aaa", "adrenal_nodule", "splenomegaly", "ascites",
         "abd_node", "lung_base_nodule", "ovarian_cyst", "fibroid", "prostatomegaly",
         "abd_spine_degeneration"),
        "No acute abnormality in the abdomen or pelvis.", weight=1.5, age=(35, 90)),
    _E("mr_brain", ("MRI BRAIN WITH AND WITHOUT CONTRAST",), "MR",
        ("diffusion", "parenchyma", "extra_axial", "sella", "flow_voids", "sinuses"),
        ("mr_infarct", "white_matter", "brain_mass", "meningioma", "pituitary_lesion",
         "sinus_disease"),
        "No acute intracranial abnormality. Normal MRI of the brain."),
    _E("mr_lspine", ("MRI LUMBAR SPINE WITHOUT CONTRAST",), "MR",
        ("alignment", "marrow", "conus") + LEVELS,
        ("disc_protrusion", "canal_stenosis", "foraminal_narrowing", "anterolisthesis",
         "cauda_equina", "lumbar_compression", "modic"),
        "Normal MRI of the lumbar spine.", levels=LEVELS),
    _E("us_ruq", ("US ABDOMEN LIMITED RUQ", "Right upper quadrant ultrasound"), "US",
        ("liver", "gallbladder", "cbd", "pancreas", "right_kidney"),
        ("us_cholelithiasis", "cholecystitis", "gb_polyp", "cbd_dilation", "us_steatosis",
         "hemangioma", "us_right_renal_cyst"),
        "Unremarkable right upper quadrant ultrasound."),
    _E("us_renal", ("US RENAL", "Renal ultrasound"), "US", ("kidney_size", "kidneys", "bladder"),
        ("hydronephrosis", "us_renal_calculus", "us_renal_cyst", "renal_mass", "bladder_wall"),
        "Unremarkable renal ultrasound.", weight=0.8),
    _E("us_pelvis", ("US PELVIS TRANSABDOMINAL AND TRANSVAGINAL", "Pelvic ultrasound"), "US",
        ("uterus", "endometrium", "adnexa", "cul_de_sac", "bladder"),
        ("us_fibroid", "us_ovarian_cyst", "adnexal_mass", "endometrial_thickening", "free_fluid"),
        "Unremarkable pelvic ultrasound.", weight=0.6, sex="F"),
    _E("us_pelvis_male", ("US PELVIS", "Pelvic ultrasound"), "US", ("bladder", "prostate"),
        ("us_prostatomegaly", "bladder_wall"), "Unremarkable pelvic ultrasound.", weight=0.3,
        sex="M"),
    _E("us_venous", ("US VENOUS DUPLEX LOWER EXTREMITY {SIDE}",), "US", ("veins_{side}",),
        ("dvt", "superficial_thrombus", "baker_cyst"),
        "No deep venous thrombosis in the {side} lower extremity.", sided=True),
)}
# fmt: on

# Finding combinations never drawn together in train/val; the test split favours them.
HELD_OUT_COMBOS: tuple[frozenset[str], ...] = (
    frozenset({"pneumothorax", "rib_fracture"}),
    frozenset({"pulmonary_nodule", "emphysema"}),
    frozenset({"us_cholelithiasis", "cbd_dilation"}),
    frozenset({"subdural_hematoma", "midline_shift"}),
    frozenset({"hydronephrosis", "us_renal_calculus"}),
    frozenset({"disc_protrusion", "foraminal_narrowing"}),
    frozenset({"free_air", "ascites"}),
)

# Support devices on portable films: (key, findings variants, impression)
DEVICE_HEADS = {
    "ett": "endotracheal tube",
    "cvc": "central venous catheter",
    "enteric": "enteric tube",
    "pacer": "pacemaker",
}
DEVICES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "ett",
        (
            "Endotracheal tube tip {dist} above the carina.",
            "The endotracheal tube terminates {dist} above the carina.",
            "ETT tip is {dist} above the carina.",
            "~Endotracheal tube in place, tip {dist} from the carina.",
        ),
        "Endotracheal tube tip {dist} above the carina.",
    ),
    (
        "cvc",
        (
            "Right internal jugular central venous catheter tip in the superior vena cava.",
            "Right IJ central line with tip in the SVC.",
            "A right internal jugular catheter terminates in the superior vena cava.",
            "~Right internal jugular venous catheter, tip projecting over the SVC.",
        ),
        "Right internal jugular central venous catheter tip in the superior vena cava.",
    ),
    (
        "enteric",
        (
            "Enteric tube courses below the diaphragm with tip in the stomach.",
            "Nasogastric tube tip in the stomach.",
            "An enteric tube extends into the stomach.",
            "~The gastric tube is seen below the diaphragm, tip within the stomach.",
        ),
        "Enteric tube tip in the stomach.",
    ),
    (
        "pacer",
        (
            "Left chest wall pacemaker with leads in the right atrium and right ventricle.",
            "Left-sided dual-chamber pacemaker, leads in expected position.",
            "~Dual-lead pacemaker on the left chest wall with leads in the right heart.",
        ),
        "Left chest wall pacemaker with leads in the right atrium and right ventricle.",
    ),
)
ETT_MALPOSITION = (
    (
        "The endotracheal tube tip is in the right mainstem bronchus.",
        "ETT terminates in the right mainstem bronchus.",
        "Endotracheal tube tip extends into the right mainstem bronchus.",
        "~The tip of the endotracheal tube projects over the right mainstem bronchus.",
    ),
    "Endotracheal tube tip in the right mainstem bronchus; recommend retraction.",
)

# Abbreviations sometimes used in the findings (never in the canonical impression).
ABBREVIATIONS: dict[str, str] = {
    "right upper lobe": "RUL",
    "right middle lobe": "RML",
    "right lower lobe": "RLL",
    "left upper lobe": "LUL",
    "left lower lobe": "LLL",
    "common bile duct": "CBD",
    "superior vena cava": "SVC",
    "deep venous thrombosis": "DVT",
}
# Canonical abbreviations the findings sometimes spell out.
EXPANSIONS: dict[str, str] = {
    "MCA territory": "middle cerebral artery territory",
    "PCA territory": "posterior cerebral artery territory",
    "ACA territory": "anterior cerebral artery territory",
}
