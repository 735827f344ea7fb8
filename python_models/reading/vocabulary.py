"""Trigger words and the neutral vocabulary the report reading is built on.

The reading is NegEx/ConText-shaped (Chapman et al. 2001; Harkema et al. 2009): trigger words
open a scope (negation, uncertainty, history), termination words close it. What is *not* a
trigger, not neutral report language and not inside a negation scope is taken as a finding,
so a word the project has never seen counts as abnormal by default: the safe side. Kept as data
so a radiologist can review it without reading the matching code.
"""

from __future__ import annotations

import re

# Negation triggers whose scope runs forward ("no pneumothorax", "without effusion").
PRE_NEGATION: tuple[str, ...] = (
    "no",
    "not",
    "without",
    "negative for",
    "free of",
    "absence of",
    "absent",
    "no evidence of",
    "no signs of",
    "no sign of",
    "no findings of",
    "resolution of",
    "resolved",
    "interval resolution of",
    "removal of",
    "nor",
    "neither",
    "none",
    "rather than",
    "clear of",
    "rules out",
    "ruled out",
    "non-visualized",
    "nonvisualized",
    "non-visualization of",
    "nonvisualization of",
    "excludes",
    "negative",
)
# Negation triggers whose scope runs backward ("effusion is not seen", "has resolved").
POST_NEGATION: tuple[str, ...] = (
    "not seen",
    "not identified",
    "not visualized",
    "not demonstrated",
    "not present",
    "not evident",
    "not appreciated",
    "not detected",
    "no longer seen",
    "no longer visualized",
    "no longer present",
    "no longer identified",
    "no longer evident",
    "no longer visible",
    "no longer apparent",
    "no longer demonstrated",
    "has resolved",
    "have resolved",
    "resolved",
    "is absent",
    "are absent",
    "absent",
    "excluded",
    "ruled out",
    "removed",
    "is negative",
    "are negative",
)
# Look like negation but are not ("no change", "not excluded" is uncertainty, below).
PSEUDO_NEGATION: tuple[str, ...] = (
    "no change",
    "no significant change",
    "no interval change",
    "no significant interval change",
    "no increase",
    "not only",
    "not significantly changed",
    "not changed",
    "without change",
    "without interval change",
    "without significant change",
    "no other",
    "than normal",
    "than expected",
    "than usual",
    "not present on the prior",
    "not present on prior",
    "not seen on the prior",
    "not seen on prior",
    "not visualized on the prior",
    "not identified on the prior",
    "not previously seen",
    "not previously present",
    "not previously identified",
    # a finding still there: "the pneumothorax has not resolved", "partially resolved effusion"
    "not resolved",
    "not yet resolved",
    "not completely resolved",
    "not fully resolved",
    "incompletely resolved",
    "partially resolved",
    "partial resolution of",
    "not improved",
    "no improvement",
)
# Hedging: the finding is still a finding (it must be represented), read as uncertain.
UNCERTAINTY: tuple[str, ...] = (
    "does not exclude",
    "do not exclude",
    "cannot exclude",
    "cannot be excluded",
    "can not be excluded",
    "not excluded",
    "cannot be ruled out",
    "not ruled out",
    "cannot rule out",
    "possible",
    "possibly",
    "probable",
    "probably",
    "may",
    "might",
    "could",
    "questionable",
    "suspicious",
    "suspected",
    "concerning",
    "suggest",
    "suggests",
    "suggestive",
    "likely",
    "versus",
    "vs",
    "differential",
    "equivocal",
    "indeterminate",
    "age-indeterminate",
    "nonspecific",
    "non-specific",
    "borderline",
    "consider",
)
# ConText "historical"/incidental modifiers: a finding so marked may be left out of the
# impression on purpose (it is reported, as such, in the warnings).
CHRONIC: tuple[str, ...] = (
    "stable",
    "unchanged",
    "chronic",
    "old",
    "healed",
    "remote",
    "postoperative",
    "post-operative",
    "postsurgical",
    "post-surgical",
    "surgical",
    "again seen",
    "again noted",
    "again demonstrated",
    "redemonstrated",
    "re-demonstrated",
    "previously",
    "known",
    "incidental",
)
# Findings that are by nature old or incidental: a key word (they are findings) that also
# marks the sentence chronic.
INCIDENTAL: tuple[str, ...] = (
    "degenerative",
    "spondylosis",
    "spondylotic",
    "osteophyte",
    "osteophytes",
    "sternotomy",
    "calcified",
    "granuloma",
    "granulomas",
    "granulomatous",
    "tortuous",
    "tortuosity",
    "atherosclerotic",
    "atherosclerosis",
    "calcification",
    "calcifications",
    "clips",
    "pacemaker",
    "defibrillator",
    "arthroplasty",
    "hardware",
    "fusion",
    # degenerative change, by its usual names
    "uncovertebral",
    "arthropathy",
    "desiccation",
    "facet hypertrophy",
    "ligamentum flavum hypertrophy",
    "schmorl",
    "enthesophyte",
    "enthesophytes",
    # normal variants and findings impressions leave out (radiology's lists of "leave alone"
    # findings: variants of vessels, bones and organs, physiologic calcifications and cysts)
    "variant",
    "variants",
    "normal variant",
    "anatomic variant",
    "conventional anatomy",
    "conventional",
    "fetal origin",
    "codominant",
    "co-dominant",
    "dominant",
    "hypoplastic",
    "accessory",
    "bifid",
    "azygos lobe",
    "cervical rib",
    "transitional",
    "os trigonum",
    "os acromiale",
    "bipartite",
    "sesamoid",
    "retroaortic",
    "circumaortic",
    "replaced",
    "phlebolith",
    "phleboliths",
    "arachnoid granulation",
    "arachnoid granulations",
    "cavum septum pellucidum",
    "cisterna magna",
    "perivascular spaces",
    "developmental venous anomaly",
    "retention cyst",
    "mucous retention cyst",
    "nabothian",
    "corpus luteum",
    "follicle",
    "follicles",
    "eventration",
    "pectus",
    "diverticulosis",
    "lipoma",
    "hemangioma",
    "splenule",
)
# These words make a finding acute whatever history word stands beside it.
ACUTE_MARKERS: tuple[str, ...] = (
    "new",
    "acute",
    "increased",
    "increasing",
    "enlarging",
    "worsening",
    "worsened",
    "interval development",
    "developing",
    "progression",
    "progressed",
    "larger",
)
# What limits the study rather than describing the patient: a clause holding one of these
# affirms only words with the shape of a finding ("evaluation limited by respiratory motion").
LIMITATION: tuple[str, ...] = (
    "limited by",
    "limits evaluation",
    "limiting evaluation",
    "degraded by",
    "obscured by",
    "suboptimal",
    "suboptimally",
    "nondiagnostic",
    "non-diagnostic",
    "partially imaged",
    "incompletely imaged",
    "incompletely evaluated",
    "not well visualized",
    "not well seen",
    "poorly visualized",
    "motion artifact",
    "streak artifact",
    "beam hardening",
    # how the study was acquired: a technique statement, whatever its header
    "images were obtained",
    "images were acquired",
    "were obtained",
    "was obtained",
    "were acquired",
    "was performed",
    "were performed",
    "was administered",
    "were administered",
    "views of",
    "view of",
    "views",
    "doppler evaluation",
    "duplex evaluation",
    "sonographic evaluation",
    "images of",
    "images through",
    "was scanned",
    "were reviewed",
)
# A scope (negation, uncertainty) ends at these.
TERMINATION: tuple[str, ...] = (
    "but",
    "however",
    "although",
    "though",
    "except",
    "except for",
    "apart from",
    "aside from",
    "with the exception of",
    "other than",
    "whereas",
    "which",
    "while",
    "yet",
    "otherwise",
    "there is",
    "there are",
    "and there",
    "though",
)
# Statements of normality.
NORMAL_CUES: tuple[str, ...] = (
    "normal",
    "normally",
    "unremarkable",
    "clear",
    "intact",
    "within normal limits",
    "wnl",
    "patent",
    "preserved",
    "maintained",
    "symmetric",
    "symmetrical",
    "appropriate",
    "satisfactory",
    "expected",
    "age-appropriate",
    "grossly",
    "well aerated",
    "aerated",
    "compressible",
    "no acute",
    "negative",
    "benign",
    "physiologic",
    "physiological",
    "midline",
    "adequate",
    "good",
    "usual",
    "decompressed",
    "thin",
    "symmetrically",
    "nondilated",
    "non-dilated",
    "nondistended",
    "non-distended",
    "unopacified",
    "nonobstructive",
    "non-obstructive",
    "smooth",
    "uninterrupted",
    "congruent",
    "well-aligned",
    "anatomic",
    "anatomically",
    "well-aerated",
    "well-expanded",
    "expanded",
    "unchanged in appearance",
)
# Abnormality by the shape of the word (suffixes and stems of radiology findings). Inside a
# normal statement an unknown word counts as abnormal only when it has such a shape.
ABNORMAL_SHAPE = re.compile(
    # an anastomosis, a diagnosis or a prognosis is no disease
    r"(?:(?<!anastom)(?<!diagn)(?<!progn)(?:osis|oses)|itis|oma|omas|megaly|ectasis|ectases|pathy|rrhage|emia|ism|iasis|cele|"
    r"plasia|trophy|penia|lith|liths|lithiasis)$"
    r"|^(?:enlarg|dilat|thicken|opacit|effus|fractur|mass|lesion|nodul|collaps|herni|stenos|"
    r"occlu|thromb|embol|hemorrh|haemorrh|bleed|edema|oedema|infarct|consolidat|pneumo|"
    r"fluid|collection|abscess|calcif|deform|displac|shift|widen|narrow|lucen|hyperden|"
    r"hypoden|hyperinten|hypointen|hyperechoic|hypoechoic|attenuat|enhancing|restrict|irregular|"
    r"tortu|atelect|scar|emphysem|hyperinfl|hyperexpan|flatten|elevat|blunt|prominen|"
    r"infiltrat|dens[ei]r|aneurysm|dissect|perforat|obstruct|tear|rupture|contusion|laceration|"
    r"free air|pneumoperitoneum|cyst|tumou?r|cancer|carcinoma|metasta|malignan|spicul|"
    r"air-fluid|stranding|thick(?!ness)|swell|volume loss|loss|malposit|kink|retain|foreign|"
    r"increase|decrease|new|worse|abnormal|asymmetr|filling defect|defect|clot|"
    r"vegetat|granulom|scoliosis|kyphosis|listhesis|subluxat|dislocat|avulsion|erosion|"
    r"destruct|sclero|lytic|blastic|mural|plaque|ulcer|wedge|bulg|protrus|"
    r"extrus|impinge|encroach|effac|midline shift|herniat|hydro|ascites|adenopathy|"
    r"lymphaden|splenomeg|hepatomeg|cardiomeg|cholelith|nephrolith|urolith|stone|calcul)"
)

# Report language that states neither a finding nor normality: anatomy, technique, verbs and
# function words. Unknown words are NOT here on purpose (see the module docstring).
NEUTRAL_WORDS: frozenset[str] = frozenset(
    """
a an the and or of in on at to for from by with as is are was were be been being has have had
this that these those there here it its their his her which who whom whose what when where
also again both either each any all other another some only very more most less least than
then thus so such same per via into onto over under within upon about above below along across
between beneath behind around near through throughout toward towards including include includes
measure measures measuring measured measurement measurements approximately approx about up down
length lengths diameter dimension dimensions
seen noted identified demonstrated visualized visualised present appears appear appearing
evident apparent observed shown shows show demonstrates demonstrate depicted
images image imaging views view frontal lateral pa ap portable upright supine semi-upright
erect single two three radiograph radiographs film films study exam examination series
obtained performed acquired provided submitted reviewed compared comparison prior previous
technique contrast noncontrast non-contrast intravenous iv oral without with multiplanar
axial coronal sagittal reformats reformatted reconstructions sequences sequence weighted
limited evaluation evaluated assessment assess assessed allowing given due secondary
heart cardiac cardiomediastinal mediastinal mediastinum silhouette contour contours size
sized caliber calibre configuration shape position positioned positioning alignment
lung lungs pulmonary vascularity vasculature vessels vessel hilar hila hilum hemidiaphragm
hemidiaphragms diaphragm diaphragms costophrenic angle angles sulcus sulci pleura pleural
space spaces trachea tracheal bronchi bronchial airway airways thoracic thorax chest
osseous bony bone bones skeletal structures structure soft tissue tissues visualized
aorta aortic arch ascending descending abdominal abdomen pelvis pelvic upper lower mid middle
base bases apex apices apical basilar lobe lobes lobar segment segments segmental zone zones
field fields region regions area areas portion portions aspect side sides wall walls
liver hepatic gallbladder biliary bile duct ducts common pancreas pancreatic spleen splenic
kidney kidneys renal adrenal adrenals glands gland bladder urinary uterus uterine ovary ovaries
adnexa adnexal prostate bowel loops loop colon colonic stomach gastric esophagus
appendix mesentery mesenteric retroperitoneum peritoneal intraperitoneal
brain cerebral cerebellar cerebellum ventricles ventricular ventricle sulci cisterns cistern
gray white matter differentiation parenchyma parenchymal cortex cortical intracranial
extra-axial skull calvarium calvaria orbits orbit sinuses sinus paranasal mastoid mastoids
air cells midline hemisphere hemispheres brainstem pons medulla basal ganglia thalamus
cervical lumbar sacral spine spinal cord canal vertebral body bodies disc discs disk disks
facet facets joint joints level levels foramina foraminal neural interspace interspaces
conus marrow signal heights height intervertebral
muscle muscles tendon tendons ligament ligaments cartilage articular surface surfaces
extremity knee hip shoulder ankle wrist elbow hand foot femur tibia fibula humerus radius
ulna pelvis
vein veins venous artery arteries arterial flow doppler waveform waveforms velocities
velocity spectral color compression augmentation phasicity
thyroid lobe isthmus neck lymph nodes node
findings finding impression history clinical indication
patient motion artifact artifacts rotation rotated appearance gas pattern limits limiting
appreciable appreciated significant acute focal definite definitive gross grossly discrete
visible overt obvious sizable measurable
volume volumes density densities attenuation intensity echogenicity
well fully partially partly relatively slightly
respectively
opacified opacification enhancement upstream downstream diffusion diffusion-weighted dwi adc
flair t1 t2 t1-weighted t2-weighted gradient susceptibility swi perfusion
superior inferior anterior posterior medial distal proximal central peripheral dependent
anteriorly posteriorly superiorly inferiorly medially laterally distally proximally centrally
interval since time timing current currently today consists consist consisting consisted
cta mra mrv ctv ct mr mri hrct ncct cect us ultrasound sonographic sonography sonogram
radiographic fluoroscopic mammographic protocol dose low-dose reduced-dose administered
administration injection bolus scanned
scanning acquisition helical thin-section thin-slice inspiratory expiratory inspiration
expiration technologist shielded shielding
""".split()
)

# Adverbs say how, not what: "Specifically, no effusion" affirms nothing. Severity and
# distribution adverbs stay key words, so a statement cannot turn "mild" into "markedly".
ADVERB_SHAPE = re.compile(
    r"(?:ally|ively|ously|edly|ately|ently|antly|fully|ingly|ibly|ably|arly|ily|ely)$"
)
KEY_ADVERBS: frozenset[str] = frozenset(
    """mildly moderately markedly severely minimally massively extensively diffusely
    newly acutely chronically focally multifocally asymmetrically""".split()
)

# Abbreviations radiologists write for words the impression may spell out (and back).
ABBREVIATIONS: dict[str, str] = {
    "rll": "right lower lobe",
    "rul": "right upper lobe",
    "rml": "right middle lobe",
    "lll": "left lower lobe",
    "lul": "left upper lobe",
    "ptx": "pneumothorax",
    "ett": "endotracheal tube",
    "et": "endotracheal",
    "ij": "internal jugular",
    "svc": "superior vena cava",
    "ivc": "inferior vena cava",
    "cxr": "chest radiograph",
    "chf": "heart failure",
    "copd": "emphysema",
    "dvt": "deep venous thrombosis",
    "pe": "pulmonary embolism",
    "sbo": "small bowel obstruction",
    "cbd": "common bile duct",
    "mca": "middle cerebral artery",
    "aca": "anterior cerebral artery",
    "pca": "posterior cerebral artery",
    "ica": "internal carotid artery",
    "sah": "subarachnoid hemorrhage",
    "sdh": "subdural hematoma",
    "ng": "nasogastric",
    "og": "orogastric",
    "picc": "peripherally inserted central catheter",
    "lt": "left",
    "rt": "right",
    "bilat": "bilateral",
    "l": "left",
    "r": "right",
}

# Verbs that report a communication about a finding ("discussed with", "called to"): such a
# sentence states no finding, whatever finding words it holds. One pattern for every reader.
COMMUNICATION_VERBS = (
    r"call(?:ed)?|notif(?:y|ied|ication)|communicat(?:ed|ion)|discuss(?:ed|ion)|paged|"
    r"telephon(?:ed|ically)|convey(?:ed)?|relay(?:ed)?|reported"
)

SIDE_WORDS: frozenset[str] = frozenset({"left", "right", "bilateral", "bilaterally"})

# British spellings and the American ones both readers use ("haematoma", "oedema",
# "oesophagus", "ischaemic", "tumour"): a report dictated either way reads the same.
BRITISH_SPELLINGS: dict[str, str] = {
    "haem": "hem",
    "oedem": "edem",
    "oesophag": "esophag",
    "ischaem": "ischem",
    "tumour": "tumor",
    "anaem": "anem",
    "leukaem": "leukem",
    "paediatr": "pediatr",
    "foet": "fet",
}
_BRITISH_RE = re.compile("|".join(BRITISH_SPELLINGS))
_AMERICAN_RE = re.compile("|".join(BRITISH_SPELLINGS.values()))


def american(text: str) -> str:
    """``text`` (lower-cased) with British spellings written the American way."""
    return _BRITISH_RE.sub(lambda m: BRITISH_SPELLINGS[m.group()], text)


def either_spelling(pattern: str) -> str:
    """A regex of American words that also matches their British spelling ("hem" ->
    "ha?em"): a letter the British spelling adds becomes optional."""
    return _AMERICAN_RE.sub(lambda m: _either(m.group()), pattern)


def _either(american_part: str) -> str:
    british = next(b for b, a in BRITISH_SPELLINGS.items() if a == american_part)
    # the one letter British adds: haem/hem, oedem/edem, tumour/tumor
    for k in range(len(british)):
        if british[:k] + british[k + 1 :] == american_part:
            return f"{british[:k]}{british[k]}?{british[k + 1 :]}"
    return american_part
