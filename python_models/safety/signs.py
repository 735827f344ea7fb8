"""Diagnosis <- supporting imaging signs: a small knowledge base of radiology.

An impression names a diagnosis ("acute infarct", "pneumoperitoneum", "testicular torsion")
while the findings often describe only its signs ("restricted diffusion", "lucency beneath the
hemidiaphragm", "absent flow ... whirlpool sign"). This table lets the checks read such findings
as support for the diagnosis (grounding) and as a statement of it (a critical finding that the
impression must carry). It is written from radiology textbooks' sign lists, per diagnosis, not
from any report; each pattern is a regex over lower-cased text, matched only where no negation
cue covers it. A pattern written with a leading "~" only supports the diagnosis (absent flow
may be torsion or thrombosis); the others state it, so findings that hold them state a finding
the impression must carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from python_models.reading.vocabulary import either_spelling

_SUPERFICIAL_VEINS = ("cephalic", "basilic", "saphenous", "superficial")
_SUPERFICIAL = "(?:" + "|".join(_SUPERFICIAL_VEINS) + ")"
_NOT_AFTER_SUPERFICIAL = "".join(f"(?<!{word} )" for word in _SUPERFICIAL_VEINS)

# canonical finding head (lexicons.FINDINGS) -> regexes of signs that support it
SIGNS: dict[str, tuple[str, ...]] = {
    "infarct": (
        r"restricted diffusion",
        r"diffusion restriction",
        r"reduced diffusion",
        r"restricting diffusion",
        r"dwi hyperintens\w*",
        r"(?:low|reduced) adc",
        r"adc hypointens\w*",
        r"loss of (?:the )?(?:normal )?gr[ae]y[\s-]white",
        r"insular ribbon",
        r"hyperdense (?:mca|vessel|artery)",
        r"cytotoxic edema",
        # a pulmonary infarct's sign (Hampton's hump) supports it only: it may be pneumonia
        r"~wedge[\s-]shaped (?:[\w-]+ ){0,2}(?:opacity|opacities|consolidation)",
    ),
    "pneumoperitoneum": (
        r"(?:lucency|lucencies|air|gas) (?:beneath|under|below) (?:the |both )?"
        r"(?:right |left |bilateral )?(?:hemi)?diaphragms?",
        r"~(?:lucency|lucencies|air|gas)(?: \w+){0,3} (?:beneath|under|below) (?:the |both )?"
        r"(?:right |left |bilateral )?(?:hemi)?diaphragms?",
        r"subdiaphragmatic (?:free )?(?:lucency|air|gas)",
        r"rigler",
        r"football sign",
        r"falciform ligament sign",
        r"free (?:intraperitoneal |intra-?abdominal )?(?:air|gas)",
        r"extraluminal (?:air|gas)",
        r"(?:air|gas)[^.;]{0,80}\boutside (?:of )?the (?:bowel|gut|intestinal)(?: lumen)?",
    ),
    "bowel obstruction": (
        r"~dilated (?:fluid[\s-]filled )?(?:small[\s-]bowel|bowel|jejunal|ileal|colonic) loops?",
        r"~(?:small[\s-]bowel|bowel) loops? (?:are |is )?dilated",
        r"~dilated (?:[\w-]+ ){0,2}loops? of (?:small[\s-])?bowel",
        r"~(?:upstream|proximal) (?:small[\s-]bowel |bowel )?dilat\w*",
        r"step[\s-]ladder",
        r"air[\s-]fluid levels (?:\w+ ){0,3}(?:differing|different|varying) heights",
        r"transition point",  # not "transition zone": the prostate's
        r"abrupt (?:caliber )?(?:change|transition)",
        r"transition to (?:\w+ ){0,3}(?:collapsed|decompressed)",
        r"small[\s-]bowel feces",
        r"closed[\s-]loop",
    ),
    "torsion": (
        r"whirl(?:pool)? sign",
        r"twist\w* (?:\w+ ){0,4}(?:spermatic cord|pedicle|vascular pedicle)",
        r"~(?:absent|no) (?:internal |intratesticular |intraovarian )?"
        r"(?:arterial |venous )?(?:(?:and|or) (?:arterial |venous ))?(?:color |doppler )*flow",
    ),
    "appendicitis": (
        r"appendix (?:is )?(?:dilated|distended|enlarged|thickened|inflamed)",
        r"(?:dilated|distended|enlarged|inflamed|noncompressible) appendix",
        r"periappendiceal",
        r"appendicolith",
        # the sonographic appendix: a blind-ending tubular structure; noncompressible, inflamed
        r"blind[\s-]ending,? non-?compressible,? tubular structure",
        r"non-?compressible,? blind[\s-]ending,? tubular structure",
    ),
    "aortic dissection": (
        r"intimal flap",
        # an intramural hematoma: a crescent of thickening in the wall
        r"crescentic (?:[\w-]+ ){0,2}(?:mural |wall )?thickening",
        r"dissection flap",
        r"false lumen",
        r"intramural hematoma",
    ),
    "pulmonary embolism": (
        r"filling defects? (?:\w+ ){0,7}pulmonary arter\w*",
        r"filling defects? (?:[\w,]+ ){0,8}(?:segmental|subsegmental|lobar|interlobar) "
        r"(?:[\w,]+ ){0,5}(?:arter\w*|branch\w*)",
        r"pulmonary arter\w* (?:\w+ ){0,4}filling defects?",
        r"(?:segmental|subsegmental|lobar|interlobar) filling defects?",
        r"saddle embol\w*",
        # a ventilation/perfusion scan: perfusion defects the ventilation does not match
        r"mismatched (?:\w+ ){0,3}perfusion defects?",
        r"perfusion defects?[^.;]{0,160}?\b(?:mismatched|ventilation[\s-]perfusion mismatch)",
    ),
    "deep vein thrombosis": (
        # a deep vein that does not compress is thrombosed ("noncompressible" alone may be an
        # appendix; a superficial vein's clot is no DVT)
        rf"{_NOT_AFTER_SUPERFICIAL}(?:vein|veins|cfv|cfvs) (?:\w+ ){{0,3}}(?:is |are |was |were )?"
        r"non-?compressible",
        rf"non-?compressible (?!(?:\w+ ){{0,2}}{_SUPERFICIAL})(?:\w+ ){{0,3}}(?:vein|veins|cfv)",
        r"~non-?compressible",
        r"~(?:intraluminal|occlusive|echogenic|non-?occlusive) (?:echogenic )?thromb\w*",
    ),
    "pneumothorax": (
        r"(?:air|gas) (?:with)?in the (?:\w+ ){0,3}pleural (?:space|cavity)",
        r"(?<!no )(?<!without )pleural (?:air|gas)\b",
        r"visceral pleural (?:line|edge)",
        r"(?:costophrenic )?sulcus (?:is )?(?:abnormally )?deep",
        r"lung (?:is )?collapsed towards the hil\w*",
        r"~hyperlucent (?:\w+ ){0,2}hemithorax|hemithorax (?:is )?hyperlucent",
        r"deep sulcus sign",
        r"absent lung markings",
    ),
    "cholecystitis": (
        r"pericholecystic (?:fluid|stranding|edema)",
        r"(?:sonographic )?murphy'?s? sign (?:is |was )?positive",
        r"positive (?:sonographic )?murphy",
    ),
    "subdural hematoma": (
        r"crescentic (?:hyperdense |extra-axial )*(?:collection|hyperdensity)",
        # a subdural collection may be a hygroma or an empyema: supports only
        r"~subdural (?:[\w-]+ ){0,2}collections?",
    ),
    "epidural hematoma": (r"biconvex (?:hyperdense |extra-axial )*(?:collection|hyperdensity)",),
    "subarachnoid hemorrhage": (
        r"subarachnoid (?:blood|hyperdensity)",
        r"hyperdens\w* (?:\w+ ){0,4}(?:sulci|sulcal|cisterns?|cisternal|sylvian|"
        r"interhemispheric fissure)",
        r"(?:sulcal|cisternal) hyperdens\w*",
    ),
    "intraparenchymal hemorrhage": (
        # a new hyperdensity in the brain's parenchyma is blood (or calcium): supports only
        r"~(?:new )?(?:confluent )?hyperdens\w* (?:\w+ ){0,4}(?:within|in) the (?:\w+ ){0,3}"
        r"(?:infarct|nucleus|lobes?|parenchyma|putamen|thalamus|hemisphere|gyrus)",
    ),
    "hemorrhage": (
        r"active extravasation",
        r"contrast (?:blush|extravasation)",
        # blood in a body cavity is fluid with internal echoes or density: supports only
        r"~(?:echogenic|complex|hyperdense|high[\s-]attenuation) (?:free )?fluid",
        r"susceptibility blooming",
        r"hyperdense (?:extra-axial |intraparenchymal )?(?:collection|blood)",
        # on a neonatal head ultrasound: echogenic material in a ventricle or the
        # caudothalamic groove (germinal matrix) supports a hemorrhage
        r"~echogenic (?:material|clot|debris|focus) (?:\w+ ){0,4}(?:ventricles?|caudothalamic)",
    ),
    "intraventricular hemorrhage": (
        r"intraventricular (?:blood|hyperdensity)",
        r"hyperdens\w* (?:\w+ ){0,3}(?:layering |dependent )?(?:in|within) (?:the )?(?:\w+ ){0,4}"
        r"(?:ventricles?|occipital horns?)",
        r"(?:layering|dependent) hyperdens\w* (?:\w+ ){0,3}(?:ventricles?|occipital horns?)",
        r"(?<!mass )extension into (?:the )?(?:\w+ ){0,5}ventricles?",
    ),
    "herniation": (
        r"(?:effacement|effaced) (?:of )?(?:the )?(?:basal |basilar |suprasellar )?cisterns?",
        r"tonsillar (?:descent|ectopia)",
        r"uncus (?:is |was )?(?:herniat\w*|displaced medially)",
        r"(?:effac\w*) (?:of )?(?:the )?(?:left |right )?"
        r"(?:ambient|quadrigeminal|perimesencephalic) cisterns?",
        r"(?:downward|transtentorial) (?:displacement|shift)",
    ),
    "midline shift": (r"(?:leftward|rightward) (?:midline )?shift", r"subfalcine"),
    "hydrocephalus": (r"ventriculomegaly", r"(?:dilated|enlarged) (?:lateral )?ventricles"),
    "abscess": (
        # "rim-enhancing, centrally hypoattenuating fluid collection": adjectives between
        r"(?:rim|peripherally)[\s-]enhancing,? (?:[\w-]+,? ){0,3}?collections?",
        r"(?:fluid )?collection with (?:an )?enhancing (?:wall|rim)",
    ),
    "foreign body": (
        r"metallic (?:\w+ ){0,2}(?:fragment|object|shard|sliver|density|body)s?",
        r"radio-?(?:dense|paque) (?:linear |\w+ ){0,2}(?:object|shard|sliver)s?",
        r"~radio-?(?:dense|paque) (?:linear |\w+ ){0,2}fragments?",
    ),
    "stenosis": (
        r"nascet (?:\w+ ){0,2}\d+ ?%",
        r"residual lumen",
        r"\d+ ?% (?:luminal |diameter )?(?:narrowing|stenosis)",
    ),
    # an anechoic, circumscribed lesion with posterior enhancement is a simple cyst: supports
    "cyst": (
        r"~anechoic(?:,? [\w-]+){0,4},? (?:mass|lesion|structure|collection|focus)",
        r"~posterior acoustic enhancement",
    ),
    "fracture": (
        r"cortical (?:break|disruption|discontinuity|step[\s-]off)",
        r"fracture line",
        r"lucent line",
        r"buckl\w+ of the cortex",
    ),
    "dislocation": (
        r"(?:humeral|femoral) head (?:is )?(?:displaced|dislocated)",
        r"subcoracoid",
        r"loss of (?:joint )?congruity",
        r"dislocated",
    ),
    "cord compression": (
        r"(?:flattening|compression|deformity|effacement) of the (?:spinal )?cord",
        r"cord (?:flattening|deformity|effacement)",
        # the verb forms: "compresses the spinal cord", "the cord is flattened"
        r"(?:compress|compresses|compressing|flattens|flattening|deforms|deforming|effaces|"
        r"effacing) (?:the )?(?:spinal )?cord",
        r"(?:spinal )?cord (?:is |appears )?(?:compressed|flattened|deformed)",
        r"(?:obliterat\w*|effac\w*) (?:of )?(?:the )?csf (?:around|surrounding) the "
        r"(?:spinal )?cord",
    ),
    "compression fracture": (
        r"(?:\d+ ?% )?loss of (?:the )?(?:vertebral )?(?:body )?height",
        r"(?:vertebral )?(?:body )?height loss",
    ),
    "cauda equina compression": (
        r"(?:compress|compresses|compressing|compressed|compression of) (?:the )?(?:\w+ ){0,2}"
        r"(?:cauda equina|conus)",
        r"(?:cauda equina|conus)(?: nerve roots)? (?:is |are |appears? )?(?:severely )?compressed",
    ),
    "bowel ischemia": (
        r"pneumatosis",
        r"portal venous gas",
        r"(?:lucenc\w*|gas|air) (?:\w+ ){0,3}(?:within|in) the (?:\w+ )?(?:bowel|intestinal) wall",
        r"intramural (?:gas|air)",
        r"branching lucenc\w* (?:\w+ ){0,3}(?:over )?the liver",
        r"mesenteric venous gas",
        r"(?:absent|lack of|no|diminished) (?:bowel )?wall enhancement",
    ),
    "ectopic pregnancy": (
        r"extra-?uterine (?:gestational sac|pregnancy)",
        r"tubal ring",
        r"adnexal (?:ring|gestational sac)",
        # an adnexal mass apart from the ovary, a vascular ring: support (a corpus luteum too)
        r"~(?:adnexal |extra-?ovarian )?mass (?:[\w,]+ ){0,6}separate from the (?:\w+ )?ovary",
        r"~ring of (?:peripheral )?(?:fire|vascularity)",
    ),
    "arterial thrombosis": (
        r"~hyperdense (?:\w+ ){0,3}(?:mca|ica|m1|m2|basilar|artery|vessel)",
        r"~(?:intraluminal |occlusive )?filling defect (?:\w+ ){0,4}arter\w*",
    ),
    "sinusitis": (
        r"~(?:mucosal thickening|air[\s-]fluid levels?|opacification) (?:[\w,]+ ){0,4}sinus\w*",
        r"~sinus\w* (?:[\w,]+ ){0,3}(?:mucosal thickening|air[\s-]fluid|opacifi\w*)",
    ),
    "volvulus": (
        r"coffee[\s-]bean",
        r"bird'?s[\s-]beak",
        r"mesenteric (?:whirl|swirl)\w*",
        r"corkscrew",
    ),
    "pneumonia": (r"consolidation", r"air bronchograms?"),
    "pulmonary edema": (
        r"kerley",
        r"interstitial edema",
        r"cephalization",
        r"peribronchial cuffing",
        r"vascular congestion",
    ),
    "cardiomegaly": (
        r"enlarged (?:cardiac|heart) (?:silhouette|size)",
        r"heart (?:size )?is enlarged",
        r"cardiac silhouette (?:is )?enlarged",
    ),
    "hydronephrosis": (
        r"pelv[io]calyceal dilat\w*",
        r"dilat\w* of the (?:renal )?pelvis",
        r"renal pelvi\w* (?:is )?dilat\w*",
        r"pelvicaliectasis",
        r"pelviectasis",
        r"caliectasis",
    ),
    # a shadowing or twinkling echogenic focus is a stone; in the kidney's lines, a kidney
    # stone (supports only: the gallbladder's are stones too)
    "nephrolithiasis": (
        r"~echogenic foc(?:us|i) (?:\w+ ){0,3}(?:posterior )?(?:acoustic )?shadowing",
        r"~twinkl\w* artifact",
    ),
    "aortic aneurysm": (r"aneurysmal (?:dilat\w*|aorta)",),
    "cholelithiasis": (
        r"gallbladder (?:\w+ ){0,4}(?:stones?|calculi|calculus)",
        r"(?:stones?|calculi|calculus) (?:\w+ ){0,3}(?:within |in )(?:the )?gallbladder",
    ),
    "joint effusion": (
        r"suprapatellar (?:joint )?(?:effusion|fluid)",
        r"(?:elevated|elevation of the) (?:anterior |posterior )?fat pads?",
        r"sail sign",
        r"(?:visible|displaced) posterior fat pad",
    ),
    # a uterine mass by its layer is a fibroid until proven otherwise; supports only
    "fibroid": (
        r"~(?:intramural|submucosal|subserosal|pedunculated) (?:[\w-]+ ){0,2}(?:masse?s?|lesions?)",
        r"~(?:masse?s?|lesions?) (?:[\w-]+ ){0,3}(?:intramural|submucosal|subserosal)",
    ),
    "degenerative change": (
        r"joint space (?:narrowing|loss)",
        r"(?:narrowing|loss) of (?:the )?(?:\w+ ){0,2}joint space",
        r"subchondral (?:sclerosis|cysts?)",
        r"marginal osteophytes?",
    ),
}


# The region whose images a diagnosis's stating signs speak for: restricted diffusion and a lost
# insular ribbon state an infarct in the brain; in the liver restricted diffusion is a tumour's.
# An exam of another region reads them as no statement of the diagnosis (`checks.check_critical`).
SIGN_REGION: dict[str, str] = {"infarct": "head"}


# Diagnoses whose stating signs are specific: their signs name the diagnosis without a hedge
# (an impression may be led by it; an impression that denies it contradicts the findings).
# Consolidation may be pneumonia or atelectasis, ventriculomegaly hydrocephalus or atrophy, a
# fracture line says "fracture" already: not here.
SPECIFIC: frozenset[str] = frozenset(
    {
        "infarct",
        "pneumoperitoneum",
        "bowel obstruction",
        "torsion",
        "appendicitis",
        "aortic dissection",
        "pulmonary embolism",
        "cholecystitis",
        "subdural hematoma",
        "epidural hematoma",
        "subarachnoid hemorrhage",
        "ectopic pregnancy",
        "volvulus",
        "bowel ischemia",
        "cord compression",
        "cauda equina compression",
        "abscess",
        "aortic aneurysm",
    }
)


# Two signs that together state a diagnosis neither states alone, in one sentence or under one
# organ header (`_pair_units`): an enlarged or heterogeneous ovary or testis (its adjective
# read where no negation covers it) with absent flow (itself an absence) is torsion; each alone
# may be a cyst, orchitis or a thrombosis. A yolk sac or an embryo in the adnexa is an ectopic
# pregnancy.
_GONAD = r"(?:ovary|ovaries|ovarian|testis|testes|testicle|testicular)"
_ENLARGED = r"(?P<adj>enlarged|swollen|edematous|heterogeneous)"
SIGN_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    # a yolk sac or an embryo in the adnexa, outside the ovary or the uterus: a tubal pregnancy;
    # so is a ring in the adnexa apart from the ovary (the tubal ring)
    "ectopic pregnancy": (
        (
            r"\b(?P<adj>adnexa|adnexal|tubal|extra-?ovarian|extra-?uterine)\b",
            r"\b(?:yolk sac|embryo|fetal pole|(?:embryonic|fetal) cardiac activity)\b",
        ),
        (
            r"\b(?P<adj>ring(?:[\s-]like|[\s-]shaped)?)\b(?! of fire)",
            r"\b(?:separate from|apart from|distinct from) (?:the )?(?:\w+ )?ovary\b",
        ),
    ),
    "torsion": (
        (
            rf"\b{_ENLARGED}\b(?: \w+){{0,3}} {_GONAD}\b|\b{_GONAD}\b[^.;]{{0,60}}?\b"
            + _ENLARGED.replace("adj", "adj2")
            + r"\b",
            r"\b(?:no|absent|without)\b(?: \w+){0,5} (?:flow|vascularity|perfusion)\b",
        ),
    ),
}


# Pairs whose second sign must be affirmed in its sentence, and what rules a pair out.
_SECOND_AFFIRMED = frozenset({"ectopic pregnancy"})
_UNLESS = {"ectopic pregnancy": r"\bintra-?uterine\b"}


def _pattern(patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile(r"(?<![\w-])(?:" + either_spelling("|".join(patterns)) + r")(?![\w-])")


@lru_cache(maxsize=1)
def _compiled() -> dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]]:
    """Per head: (stating pattern, supporting-only pattern)."""
    out = {}
    for head, patterns in SIGNS.items():
        strong = [p for p in patterns if not p.startswith("~")]
        weak = [p[1:] for p in patterns if p.startswith("~")]
        out[head] = (_pattern(strong), _pattern(weak))
    return out


@dataclass(frozen=True)
class Sign:
    """A sign of ``head`` at [start, end) of the text; ``states`` when it states the diagnosis."""

    head: str
    start: int
    end: int
    states: bool


@lru_cache(maxsize=1)
def _compiled_pairs() -> tuple[
    tuple[str, re.Pattern[str], re.Pattern[str], bool, re.Pattern[str] | None], ...
]:
    """Per pair: head, first and second sign, whether the second must be affirmed in its
    sentence (an absent flow is itself an absence), and what rules the pair out."""
    return tuple(
        (
            head,
            re.compile(first),
            re.compile(second),
            head in _SECOND_AFFIRMED,
            re.compile(_UNLESS[head]) if head in _UNLESS else None,
        )
        for head, pairs in SIGN_PAIRS.items()
        for first, second in pairs
    )


_SENTENCE_RE = re.compile(r"(?:[^.;\n]|\.(?=\d))+")  # "7.5 cm" keeps its sentence
# A line led by an organ header ("Right ovary: Enlarged ... No flow is detected.") speaks of that
# organ in every sentence up to the next header: a pair may lie in any two of them. A report
# section's own header ("FINDINGS:") names no organ.
_HEADER_RE = re.compile(r"(?m)(?:^|(?<=[.;]) )[ \t]*([a-z][a-z /&-]{1,40}):")
_SECTION_HEADERS = frozenset(
    "findings impression technique comparison history indication exam clinical history".split()
)
# A negation cue or a normal word earlier in the sentence: "no yolk sac", "normal adnexa".
_DENIED_BEFORE_RE = re.compile(r"\b(?:no|not|without|absent|negative for|normal|unremarkable)\b")


# The organ of a pair and its side, to join two sentences that speak of the same one: "The
# right ovary is enlarged ... No flow is detected within the right ovary."
_PAIR_ORGAN_RE = re.compile(r"\b(?:ovar|test|adnex)\w*|\b(?:left|right)\b")


def _organ_key(sentence: str) -> frozenset[str]:
    return frozenset(w[:4] for w in _PAIR_ORGAN_RE.findall(sentence))


def _pair_units(low: str) -> list[tuple[int, int]]:
    """Where a pair of `SIGN_PAIRS` may lie: each sentence, two consecutive sentences naming
    the same organ on the same side, and the text under each organ header up to the next
    header or the line's end."""
    sentences = list(_SENTENCE_RE.finditer(low))
    units = [(m.start(), m.end()) for m in sentences]
    keys = [_organ_key(m.group()) for m in sentences]
    for k in range(len(sentences) - 1):
        if keys[k] - {"left", "righ"} and keys[k] == keys[k + 1]:
            units.append((sentences[k].start(), sentences[k + 1].end()))
    headers = [m for m in _HEADER_RE.finditer(low) if m.group(1).strip() not in _SECTION_HEADERS]
    for k, header in enumerate(headers):
        line_end = low.find("\n", header.end())
        end = len(low) if line_end < 0 else line_end
        if k + 1 < len(headers):
            end = min(end, headers[k + 1].start())
        units.append((header.start(), end))
    return units


def _sentence_at(low: str, at: int, unit_start: int) -> tuple[int, int]:
    """The sentence (clause up to ".", ";", ":" or a line break) around ``at``, in its unit."""
    start = max(unit_start, *(low.rfind(c, 0, at) + 1 for c in ".;\n:"))
    ends = [e for e in (low.find(c, at) for c in ".;\n") if e >= 0]
    return start, min(ends) if ends else len(low)


def sign_matches(low: str) -> list[Sign]:
    """Every sign in lower-cased ``low``, in no particular order; a pair of `SIGN_PAIRS` in one
    sentence or under one organ header is a stating sign at the first one's adjective."""
    out: list[Sign] = []
    for head, (strong, weak) in _compiled().items():
        for pattern, states in ((strong, True), (weak, False)):
            if pattern is not None:
                out.extend(Sign(head, m.start(), m.end(), states) for m in pattern.finditer(low))
    units = _pair_units(low)
    for head, first, second, affirmed, unless in _compiled_pairs():
        for start, end in units:
            found = first.search(low, start, end)
            paired = found and second.search(low, start, end)
            if not found or not paired:
                continue
            s0, s1 = _sentence_at(low, paired.start(), start)
            if affirmed and _DENIED_BEFORE_RE.search(low, s0, paired.start()):
                continue  # "no yolk sac or embryo is seen outside the uterus"
            if unless is not None and unless.search(low, s0, s1):
                continue  # "intrauterine gestational sac with yolk sac"
            adj = "adj" if found.group("adj") else "adj2"
            sign = Sign(head, found.start(adj), found.end(adj), True)
            if sign not in out:
                out.append(sign)
    return out
