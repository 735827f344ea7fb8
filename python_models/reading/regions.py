"""Body regions: which an exam covers, which a normal statement names, and each one's normal
phrase, so a chest film never ends in "No acute intracranial abnormality"."""

from __future__ import annotations

import re
from collections import Counter

# region -> words naming it (in an exam name, a normal statement or findings text)
REGION_WORDS: dict[str, str] = {
    "head": r"head|brain|intracranial|cranial|cerebral|neuro|skull|orbits?|face|facial|sinus(?:es)?"
    r"|iac|sella|pituitary",
    "neck": r"neck|thyroid|soft tissue neck|carotids?|larynx|parotid",
    "chest": r"chest|thorax|thoracic(?! spine)|cardiopulmonary|pulmonary|lungs?|cxr|cardiac|heart"
    r"|mediastin\w*|pleura\w*|ribs?|pe protocol",
    "abdomen": r"abdomen|abdominal|abdominopelvic|pelvis|pelvic|abd|ruq|rlq|llq|luq"
    r"|upper quadrant|lower quadrant|renal|kidneys?|liver|hepatic|gallbladder|biliary|pancrea\w*"
    r"|spleen|bowel|appendix|bladder|uterus|uterine|ovar\w*|adnex\w*|scrot\w*|testic\w*|testes"
    r"|prostate|transvaginal|obstetric|aorta abd\w*",
    "spine": r"spine|spinal|lumbar|cervical spine|c-spine|l-spine|t-spine|thoracic spine|sacrum"
    r"|vertebra\w*|lumbosacral",
    "extremity": r"extremit\w*|knee|hip|shoulder|ankle|wrist|elbow|hand|foot|feet|femur|tibia"
    r"|fibula|humerus|forearm|leg|legs|arm|finger|toe|calf|thigh|osseous|musculoskeletal",
    "breast": r"breast|mammogra\w*|mammo",
    "vascular": r"venous|duplex|dvt|arterial|vascular|doppler",
}
_REGION_RES = {r: re.compile(rf"\b(?:{w})\b", re.I) for r, w in REGION_WORDS.items()}

NORMAL_PHRASE: dict[str, str] = {
    "head": "No acute intracranial abnormality.",
    "neck": "No acute abnormality of the neck.",
    "chest": "No acute cardiopulmonary abnormality.",
    "abdomen": "No acute abnormality in the abdomen or pelvis.",
    "spine": "No acute abnormality of the spine.",
    "extremity": "No acute osseous abnormality.",
    "breast": "No mammographic or sonographic evidence of malignancy.",
    "vascular": "No acute vascular abnormality.",
}
GENERIC_NORMAL = "No acute abnormality."


def regions_named(text: str | None) -> frozenset[str]:
    """Every region ``text`` names ("CT chest abdomen pelvis" -> chest and abdomen)."""
    if not text:
        return frozenset()
    found = {r for r, pattern in _REGION_RES.items() if pattern.search(text)}
    if "spine" in found and not re.search(r"\bchest\b|thorax|cardiopulmonary|lungs?\b", text, re.I):
        found.discard("chest")  # "thoracic spine"
    return frozenset(found)


def regions_of_findings(findings: str) -> frozenset[str]:
    """The regions the findings are mostly about: a fallback when no exam was sent."""
    counts: Counter[str] = Counter()
    for region, pattern in _REGION_RES.items():
        counts[region] = len(pattern.findall(findings))
    if not counts or counts.most_common(1)[0][1] == 0:
        return frozenset()
    top = counts.most_common(1)[0][1]
    return frozenset(r for r, n in counts.items() if n and n >= top / 2)


def normal_phrase(regions: frozenset[str]) -> str:
    """The normal statement for a study of ``regions`` (the generic one when several or none)."""
    if len(regions) == 1:
        return NORMAL_PHRASE[next(iter(regions))]
    return GENERIC_NORMAL
